// Logical decoding for the postgres connector (`capture: logical`): a decoder of pgoutput's
// messages (protocol version 1) and LogicalStream, one replication connection streaming one
// replication slot through libpq's COPY BOTH mode (START_REPLICATION ... LOGICAL), with the
// bookkeeping that lets the engine acknowledge what it applied and the slot advance only then.
//
// Why the streaming protocol and not pg_logical_slot_peek_binary_changes(): the SQL functions
// decode the WAL from the slot's restart position again on every call (a poll re-reads every
// transaction not yet confirmed), and cannot wait for data; the stream decodes each transaction
// once and wakes the reader when data arrives on the socket. No blocker was found.
//
// Positions. A change's `seq` is the LSN of its WAL record (XLogData's dataStart). Records are
// at least 24 bytes long and in one transaction the stream sends them in LSN order, so the rare
// change sharing its record with the previous one (a multi-row insert, or the delete + insert an
// update of the key becomes) takes the previous seq + 1: seqs are unique and the same each time
// the stream sends the change again. They are not in stream order across transactions: the
// stream sends transactions in commit order, and a transaction that began earlier has lower
// LSNs. The slot's confirmed position is the end of a transaction's commit record; it moves past
// a transaction only once every change of it, and of every transaction before it, was
// acknowledged.
//
// Threading: one thread (the owning PostgresConnection's). It never prints the password.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connectors/connector.h"
#include "connectors/postgres/pg_conn.h"

namespace concord::postgres_connector {

using Lsn = uint64_t;
// "16/B374D848", as PostgreSQL prints an LSN.
std::string FormatLsn(Lsn lsn);

// The slot's and the publication's name for `consumer` (a flow id) in database `database`:
// "concord_<consumer, lowercased, other characters as _, at most 40 bytes>_<8 hex digits of
// FNV-1a(database + "/" + consumer)>" — within 63 bytes (NAMEDATALEN - 1), of the characters a
// slot name allows, and distinct for distinct consumers and databases (slots are cluster-wide).
std::string LogicalSlotName(std::string_view database, std::string_view consumer);

// The replication origin concord's sink sets for writes copied from system `source`:
// "concord:<source>", or "concord:<source>#<n>" (n = 2..) when another session holds the first
// (an origin can be active in one session at a time). SystemOfOrigin is the inverse: "" for an
// origin concord did not set.
std::string OriginName(std::string_view source, int n = 1);
std::string SystemOfOrigin(std::string_view origin);

// --- pgoutput, protocol version 1 (the logical replication message formats) ---

struct PgOutputColumn {
  std::string name;
  Oid type = 0;
  bool key = false;  // part of the replica identity
};

struct PgOutputRelation {
  uint32_t id = 0;
  std::string schema;
  std::string name;
  char replica_identity = 'd';  // d default (primary key), n nothing, f full, i index
  std::vector<PgOutputColumn> columns;
};

// One column of TupleData: 'n' NULL, 'u' unchanged TOASTed value (not sent), 't' text.
struct PgOutputField {
  char kind = 'n';
  std::string text;
};

struct PgOutputMessage {
  char type = 0;  // B C O R Y I U D T, or another byte (ignored by the reader)
  // B: the transaction's commit LSN, commit time (µs since 2000-01-01 UTC), xid.
  // C: commit LSN, end of the commit record (the position to confirm), commit time.
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;
  int64_t commit_time_us = 0;
  uint32_t xid = 0;
  std::string origin;  // O
  PgOutputRelation relation;  // R
  uint32_t relation_id = 0;   // I U D
  char old_kind = 0;          // U D: 'K' (replica identity columns) or 'O' (whole row), 0 none
  std::vector<PgOutputField> old_tuple;
  std::vector<PgOutputField> new_tuple;  // I U
};

// Parses one pgoutput message (the payload of an XLogData message). DataLoss when it is cut
// short or malformed.
Result<PgOutputMessage> ParsePgOutput(std::string_view data);

// --- the stream ---

// What LogicalStream must know of the captured table to turn tuples into keys.
struct LogicalTable {
  std::string schema;  // as pgoutput names the relation
  std::string name;
  std::vector<std::string> key_columns;  // the binding's key, in order
  std::map<std::string, Oid> base_types;  // column → type OID deciding the conversion
  std::string context;                   // "erp.accounts", for messages
};

class LogicalStream {
 public:
  // `options` as the main connection's; `label` prefixes messages ("erp").
  LogicalStream(PgConn::Options options, std::string label, std::string slot,
                std::string publication, LogicalTable table);
  ~LogicalStream();

  const std::string& slot() const { return slot_; }
  bool streaming() const { return conn_ != nullptr; }

  // CREATE_REPLICATION_SLOT <slot> LOGICAL pgoutput on a replication connection (which is then
  // kept for streaming). The caller checked that the slot does not exist.
  Status CreateSlot();
  // The SQLSTATE of the last failed CreateSlot ("" when none).
  const std::string& last_sqlstate() const { return last_sqlstate_; }

  // Reads what has arrived (waiting up to `timeout_ms` when nothing has), decodes it into pending
  // changes, answers the server's keepalives and sends the status update when it is due.
  // Connects and starts streaming first when needed. A broken stream is closed: its unconfirmed
  // changes are sent again by the next one (the pending ones are forgotten, and a later Pump
  // starts over from the slot's confirmed position).
  Status Pump(int64_t timeout_ms);

  // Reads on while changes keep arriving in bursts (each read, waiting up to 1 ms, brings at
  // least `burst`), until `want` are pending or `within` has passed: a backlog streams in a socket
  // buffer at a time, as fast as the server decodes it, and a reader that took only what had
  // arrived would get small batches. A steady trickle (a change or two per ms) stops it at once.
  Status Fill(size_t want, size_t burst, std::chrono::milliseconds within);

  // Reads until the stream has delivered everything before WAL position `target` (a keepalive
  // reported it), for at most `within`. Starts the stream when needed (which catches up itself).
  Status CatchUpTo(Lsn target, std::chrono::milliseconds within);

  // The oldest `max` pending (unacknowledged) changes, without row images. Resets fresh().
  std::vector<SourceChange> Peek(size_t max);
  // Changes that arrived since the last Peek.
  size_t fresh() const { return fresh_; }
  size_t pending() const { return unacked_; }
  int64_t oldest_pending_ms() const;
  // Newest log time among pending changes of `key` (encoded) whose origin is not `ignore`.
  std::map<std::string, int64_t> LatestPendingMs(const std::set<std::string>& keys,
                                                 std::string_view ignore) const;

  // Marks `seqs` applied; confirms the position past every transaction now fully applied (sent
  // to the server at once). Seqs not pending are remembered, so that a change acknowledged
  // before this stream started (applied by an earlier process) is not delivered again.
  Status Ack(const std::vector<int64_t>& seqs);

  // The position confirmed to the server so far (0 until something was).
  Lsn confirmed() const { return flush_; }

  // Closes the replication connection (ending the COPY cleanly, so the last status update is
  // read by the server before it releases the slot).
  void Close();

  // The socket to wait on, -1 when not streaming.
  int socket() const;

 private:
  struct Pending {
    SourceChange change;
    uint64_t txn = 0;  // serial of its transaction
    bool acked = false;
  };
  struct Txn {
    Lsn end_lsn = 0;  // 0 until its commit arrived
    size_t unacked = 0;
  };

  Status Connect();
  Status Start();
  Status CatchUp(Lsn target);
  Status Handle(const char* data, size_t size);
  Status HandleChange(const PgOutputMessage& m, Lsn lsn);
  Result<Key> KeyOf(const PgOutputRelation& rel, const std::vector<PgOutputField>& tuple,
                    std::string_view which);
  void Append(SourceChange c);
  void Advance();  // pops applied transactions and changes from the front
  Status SendStatus(bool reply_requested);
  Status Broken(const Status& s);
  // `s`'s message without the label prefix.
  std::string conn_error_message(const Status& s);

  PgConn::Options options_;
  std::string label_;
  std::string slot_;
  std::string publication_;
  LogicalTable table_;
  std::unique_ptr<PgConn> conn_;
  bool copying_ = false;
  std::string last_sqlstate_;

  std::unordered_map<uint32_t, PgOutputRelation> relations_;
  // The transaction being received (between B and C).
  bool in_txn_ = false;
  uint64_t txn_serial_ = 0;  // serial of the current (or last) transaction
  std::string txn_origin_;
  int64_t txn_at_ms_ = 0;
  int64_t last_seq_ = 0;

  std::deque<Pending> changes_;  // stream order
  std::unordered_map<int64_t, Pending*> by_seq_;
  std::deque<Txn> txns_;  // not yet confirmed, oldest first
  uint64_t first_txn_ = 1;  // serial of txns_.front()
  std::set<int64_t> preacked_;
  size_t unacked_ = 0;
  size_t fresh_ = 0;

  Lsn received_ = 0;
  Lsn keepalive_end_ = 0;  // the newest WAL end a keepalive reported
  Lsn flush_ = 0;
  Lsn sent_flush_ = 0;
  std::chrono::steady_clock::time_point last_status_{};
};

}  // namespace concord::postgres_connector
