// pgoutput decoding and the replication stream of `capture: logical`; see pg_logical.h.
#include "connectors/postgres/pg_logical.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "connectors/postgres/pg_types.h"

namespace concord::postgres_connector {
namespace {

// PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds.
constexpr int64_t kPgEpochMs = 946684800000LL;
// A status update at least this often, well inside wal_sender_timeout (60 s by default).
constexpr std::chrono::seconds kStatusInterval{10};
// Reading stops while this many changes wait for their acknowledgement (the server then waits
// too: TCP flow control), so one huge transaction never holds more than this in memory.
constexpr size_t kMaxPending = 100000;
// A slot a just-killed predecessor still holds is released within moments: wait this long.
constexpr std::chrono::seconds kSlotBusyWait{5};
// How long Start waits for the stream to catch up with the log's end as of the start.
constexpr std::chrono::seconds kCatchUpWait{30};
// Seqs acknowledged before their change arrived (an earlier process applied them) are kept at
// most this many; beyond, they are forgotten and those changes delivered again (harmless).
constexpr size_t kMaxPreacked = 1000000;

class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ >= d_.size(); }
  uint64_t U(int bytes) {
    if (pos_ + bytes > d_.size()) {
      ok_ = false;
      pos_ = d_.size();
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(d_[pos_++]);
    return v;
  }
  char Byte() { return static_cast<char>(U(1)); }
  std::string CString() {
    size_t end = d_.find('\0', pos_);
    if (end == std::string_view::npos) {
      ok_ = false;
      pos_ = d_.size();
      return "";
    }
    std::string s(d_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  std::string Bytes(size_t n) {
    if (pos_ + n > d_.size()) {
      ok_ = false;
      pos_ = d_.size();
      return "";
    }
    std::string s(d_.substr(pos_, n));
    pos_ += n;
    return s;
  }

 private:
  std::string_view d_;
  size_t pos_ = 0;
  bool ok_ = true;
};

std::vector<PgOutputField> Tuple(Reader& r) {
  size_t n = r.U(2);
  std::vector<PgOutputField> out;
  for (size_t i = 0; i < n && r.ok(); ++i) {
    PgOutputField f;
    f.kind = r.Byte();
    if (f.kind == 't' || f.kind == 'b') f.text = r.Bytes(r.U(4));
    out.push_back(std::move(f));
  }
  return out;
}

void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

int64_t NowPgMicros() {
  using namespace std::chrono;
  int64_t us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  return us - kPgEpochMs * 1000;
}

}  // namespace

std::string FormatLsn(Lsn lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

std::string LogicalSlotName(std::string_view database, std::string_view consumer) {
  std::string base;
  for (unsigned char c : consumer) {
    if (base.size() == 40) break;
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok && !base.empty() && base.back() == '_') continue;  // one _ for a run of others
    base.push_back(ok ? static_cast<char>(c) : '_');
  }
  char hash[9];
  std::snprintf(hash, sizeof hash, "%08x",
                Fnv1a(std::string(database) + "/" + std::string(consumer)));
  return "concord_" + base + "_" + hash;
}

std::string OriginName(std::string_view source, int n) {
  std::string name = "concord:" + std::string(source);
  if (n > 1) name += "#" + std::to_string(n);
  return name;
}

std::string SystemOfOrigin(std::string_view origin) {
  constexpr std::string_view kPrefix = "concord:";
  if (origin.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string_view system = origin.substr(kPrefix.size());
  size_t hash = system.rfind('#');
  if (hash != std::string_view::npos && hash + 1 < system.size() &&
      std::all_of(system.begin() + hash + 1, system.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    system = system.substr(0, hash);
  }
  return std::string(system);
}

Result<PgOutputMessage> ParsePgOutput(std::string_view data) {
  Reader r(data);
  PgOutputMessage m;
  m.type = r.Byte();
  switch (m.type) {
    case 'B':
      m.commit_lsn = r.U(8);
      m.commit_time_us = static_cast<int64_t>(r.U(8));
      m.xid = static_cast<uint32_t>(r.U(4));
      break;
    case 'C':
      r.U(1);  // flags
      m.commit_lsn = r.U(8);
      m.end_lsn = r.U(8);
      m.commit_time_us = static_cast<int64_t>(r.U(8));
      break;
    case 'O':
      r.U(8);  // the commit LSN on the origin server
      m.origin = r.CString();
      break;
    case 'R': {
      m.relation.id = static_cast<uint32_t>(r.U(4));
      m.relation.schema = r.CString();
      m.relation.name = r.CString();
      m.relation.replica_identity = r.Byte();
      size_t n = r.U(2);
      for (size_t i = 0; i < n && r.ok(); ++i) {
        PgOutputColumn c;
        c.key = (r.U(1) & 1) != 0;
        c.name = r.CString();
        c.type = static_cast<Oid>(r.U(4));
        r.U(4);  // type modifier
        m.relation.columns.push_back(std::move(c));
      }
      break;
    }
    case 'I':
      m.relation_id = static_cast<uint32_t>(r.U(4));
      if (r.Byte() != 'N') return DataLoss("pgoutput: insert without a new tuple");
      m.new_tuple = Tuple(r);
      break;
    case 'U': {
      m.relation_id = static_cast<uint32_t>(r.U(4));
      char kind = r.Byte();
      if (kind == 'K' || kind == 'O') {
        m.old_kind = kind;
        m.old_tuple = Tuple(r);
        kind = r.Byte();
      }
      if (kind != 'N') return DataLoss("pgoutput: update without a new tuple");
      m.new_tuple = Tuple(r);
      break;
    }
    case 'D':
      m.relation_id = static_cast<uint32_t>(r.U(4));
      m.old_kind = r.Byte();
      if (m.old_kind != 'K' && m.old_kind != 'O') {
        return DataLoss("pgoutput: delete without the old key");
      }
      m.old_tuple = Tuple(r);
      break;
    default:
      return m;  // Y (type), T (truncate), M (message), ...: nothing the reader needs
  }
  if (!r.ok()) {
    return DataLoss(std::string("pgoutput: message '") + m.type + "' is cut short (" +
                    std::to_string(data.size()) + " bytes)");
  }
  return m;
}

// --- LogicalStream ---

LogicalStream::LogicalStream(PgConn::Options options, std::string label, std::string slot,
                             std::string publication, LogicalTable table)
    : options_(std::move(options)),
      label_(std::move(label)),
      slot_(std::move(slot)),
      publication_(std::move(publication)),
      table_(std::move(table)) {
  options_.replication = true;
  options_.application_name += " (logical)";
  options_.statement_timeout_ms = 0;  // START_REPLICATION runs as long as we stream
}

LogicalStream::~LogicalStream() { Close(); }

int LogicalStream::socket() const { return conn_ ? PQsocket(conn_->raw()) : -1; }

Status LogicalStream::Connect() {
  if (conn_ != nullptr) return Status::Ok();
  ASSIGN_OR_RETURN(conn_, PgConn::Connect(options_, label_));
  return Status::Ok();
}

Status LogicalStream::CreateSlot() {
  RETURN_IF_ERROR(Connect());
  // NOEXPORT_SNAPSHOT: the snapshot is taken later by ordinary reads, which see at least what
  // the slot's consistent point saw (see the README's "Logical capture").
  Status s = conn_->Exec("CREATE_REPLICATION_SLOT " + QuoteIdent(slot_) +
                         " LOGICAL pgoutput NOEXPORT_SNAPSHOT");
  last_sqlstate_ = s.ok() ? "" : conn_->last_error().sqlstate;
  if (!s.ok()) conn_.reset();
  return s;
}

Status LogicalStream::Start() {
  RETURN_IF_ERROR(Connect());
  // Where the log ends now (inserted, so an asynchronous commit is counted): Start returns once
  // the stream delivered everything before it, so a reader that finds nothing right after a
  // start (`concord run --once`) has really seen every change committed before.
  Lsn target = 0;
  {
    // The simple protocol: a replication connection takes no other.
    PgResult r(PQexec(conn_->raw(), "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn"));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      Status s = conn_->ErrorOf(r.get(), label_);
      conn_.reset();
      return s.WithContext(table_.context + ": starting logical replication");
    }
    target = std::strtoull(PQgetvalue(r.get(), 0, 0), nullptr, 10);
  }
  // 0/0: from the slot's confirmed position. The publication name is a literal holding a list
  // of identifiers; ours are [a-z0-9_] only.
  const std::string sql = "START_REPLICATION SLOT " + QuoteIdent(slot_) +
                          " LOGICAL 0/0 (proto_version '1', publication_names '" +
                          QuoteIdent(publication_) + "')";
  auto deadline = std::chrono::steady_clock::now() + kSlotBusyWait;
  while (true) {
    PgResult r(PQexec(conn_->raw(), sql.c_str()));
    if (r && PQresultStatus(r.get()) == PGRES_COPY_BOTH) break;
    Status s = conn_->ErrorOf(r.get(), label_);
    const std::string state = conn_->last_error().sqlstate;
    if (state == "55006" && std::chrono::steady_clock::now() < deadline) {
      // Active for another PID: typically the walsender of a process that just died, which
      // lets go as soon as it notices. Anything else holding it is reported below.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    conn_.reset();
    if (state == "42704") {
      return DataLoss(table_.context + ": replication slot \"" + slot_ +
                      "\" does not exist (was it dropped?); changes since then were not "
                      "captured: restart the flow to reinstall capture and take a new snapshot");
    }
    if (state == "55006") {
      return Unavailable(table_.context + ": replication slot \"" + slot_ +
                         "\" is in use by another session (" + conn_error_message(s) +
                         "); is another concord process running this flow?");
    }
    return s.WithContext(table_.context + ": starting logical replication");
  }
  copying_ = true;
  last_status_ = std::chrono::steady_clock::now();
  return CatchUp(target);
}

Status LogicalStream::CatchUpTo(Lsn target, std::chrono::milliseconds within) {
  if (!copying_) return Pump(0);  // starting catches up
  if (keepalive_end_ >= target) return Status::Ok();
  auto deadline = std::chrono::steady_clock::now() + within;
  while (keepalive_end_ < target && unacked_ < kMaxPending &&
         std::chrono::steady_clock::now() < deadline) {
    RETURN_IF_ERROR(SendStatus(/*reply_requested=*/true));
    Lsn before = keepalive_end_;
    while (keepalive_end_ == before && unacked_ < kMaxPending &&
           std::chrono::steady_clock::now() < deadline) {
      RETURN_IF_ERROR(Pump(10));
    }
  }
  return Status::Ok();
}

Status LogicalStream::Fill(size_t want, size_t burst, std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (unacked_ < want && unacked_ < kMaxPending && std::chrono::steady_clock::now() < deadline) {
    const size_t before = fresh_;
    RETURN_IF_ERROR(Pump(1));
    if (fresh_ - before < burst) break;  // no burst: the backlog is read, or there is none
  }
  return Status::Ok();
}

Status LogicalStream::CatchUp(Lsn target) {
  // The server sends a transaction only once it decoded its commit, and says how far it has read
  // only in keepalives: ask for one (a status update requesting a reply) until it reports the
  // target, reading whatever comes before it. Bounded: a server slow to decode a huge backlog
  // only delays the catching up to later reads.
  auto deadline = std::chrono::steady_clock::now() + kCatchUpWait;
  keepalive_end_ = 0;
  while (keepalive_end_ < target && unacked_ < kMaxPending &&
         std::chrono::steady_clock::now() < deadline) {
    RETURN_IF_ERROR(SendStatus(/*reply_requested=*/true));
    Lsn before = keepalive_end_;
    auto ask_again = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (keepalive_end_ == before && unacked_ < kMaxPending &&
           std::chrono::steady_clock::now() < ask_again) {
      RETURN_IF_ERROR(Pump(20));
    }
  }
  return Status::Ok();
}

std::string LogicalStream::conn_error_message(const Status& s) {
  std::string m = s.message();
  if (m.rfind(label_ + ": ", 0) == 0) m.erase(0, label_.size() + 2);
  return m;
}

Status LogicalStream::Broken(const Status& s) {
  conn_.reset();
  copying_ = false;
  relations_.clear();
  in_txn_ = false;
  changes_.clear();
  by_seq_.clear();
  txns_.clear();
  first_txn_ = txn_serial_ + 1;
  unacked_ = 0;
  fresh_ = 0;
  return s;
}

void LogicalStream::Close() {
  if (conn_ == nullptr) return;
  if (copying_) {
    // A transaction whose changes were all acknowledged may still wait for its commit message
    // (in flight, or unread in the socket): read it, so the slot confirms that transaction now
    // rather than deliver it again to the next process. Bounded: 1 s.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!txns_.empty() && txns_.front().end_lsn == 0 && txns_.front().unacked == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      if (!Pump(50).ok()) return;
    }
  }
  if (conn_ != nullptr && copying_) {
    if (flush_ > sent_flush_) SendStatus(false).IgnoreError();
    PQputCopyEnd(conn_->raw(), nullptr);
    PQflush(conn_->raw());
  }
  Broken(Status::Ok()).IgnoreError();
}

Status LogicalStream::SendStatus(bool reply_requested) {
  if (!copying_) return Status::Ok();
  std::string msg = "r";
  PutU64(&msg, std::max(received_, flush_));  // written
  PutU64(&msg, flush_);                       // flushed: what the slot may confirm
  PutU64(&msg, flush_);                       // applied
  PutU64(&msg, static_cast<uint64_t>(NowPgMicros()));
  msg.push_back(reply_requested ? 1 : 0);
  if (PQputCopyData(conn_->raw(), msg.data(), static_cast<int>(msg.size())) != 1 ||
      PQflush(conn_->raw()) != 0) {
    return Broken(Unavailable(label_ + ": replication connection lost: " +
                              std::string(PQerrorMessage(conn_->raw()))));
  }
  sent_flush_ = flush_;
  last_status_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status LogicalStream::Pump(int64_t timeout_ms) {
  if (!copying_) RETURN_IF_ERROR(Start());
  PGconn* raw = conn_->raw();
  if (PQconsumeInput(raw) == 0) {
    return Broken(Unavailable(table_.context + ": replication connection lost: " +
                              std::string(PQerrorMessage(raw))));
  }
  bool waited = false;
  while (unacked_ < kMaxPending) {
    char* buf = nullptr;
    int n = PQgetCopyData(raw, &buf, /*async=*/1);
    if (n > 0) {
      Status s = Handle(buf, static_cast<size_t>(n));
      PQfreemem(buf);
      if (!s.ok()) return Broken(s);
      continue;
    }
    if (n == 0) {
      if (waited || timeout_ms <= 0) break;
      pollfd pfd{PQsocket(raw), POLLIN, 0};
      int ready = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(timeout_ms, 60000)));
      waited = true;
      if (ready <= 0) break;  // timeout, or a signal: the caller checks for a stop
      if (PQconsumeInput(raw) == 0) {
        return Broken(Unavailable(table_.context + ": replication connection lost: " +
                                  std::string(PQerrorMessage(raw))));
      }
      continue;
    }
    // -1: the server ended the COPY (an error follows as the result); -2: connection failure.
    PgResult r(PQgetResult(raw));
    Status s = conn_->ErrorOf(r && PQresultStatus(r.get()) == PGRES_FATAL_ERROR ? r.get() : nullptr,
                              label_);
    if (s.ok() || s.code() != Code::kUnavailable) {
      s = Status(s.ok() ? Code::kUnavailable : s.code(),
                 table_.context + ": logical replication stopped: " + conn_error_message(s));
    }
    return Broken(s);
  }
  if (std::chrono::steady_clock::now() - last_status_ >= kStatusInterval) {
    RETURN_IF_ERROR(SendStatus(false));
  }
  return Status::Ok();
}

Status LogicalStream::Handle(const char* data, size_t size) {
  Reader r(std::string_view(data, size));
  char kind = r.Byte();
  if (kind == 'k') {  // primary keepalive: walEnd, sendTime, reply requested
    Lsn wal_end = r.U(8);
    r.U(8);
    bool reply = r.U(1) != 0;
    received_ = std::max(received_, wal_end);
    keepalive_end_ = std::max(keepalive_end_, wal_end);
    // Everything sent before the keepalive has been read; with nothing of it still waiting for
    // an acknowledgement, the slot may move up to here (past transactions of other tables, or
    // empty ones), so a quiet table does not hold back the server's WAL.
    if (!in_txn_ && txns_.empty() && wal_end > flush_) flush_ = wal_end;
    if (reply || flush_ > sent_flush_) return SendStatus(false);
    return Status::Ok();
  }
  if (kind != 'w') return Status::Ok();
  Lsn start = r.U(8);
  r.U(8);  // walEnd
  r.U(8);  // send time
  if (!r.ok()) return DataLoss(table_.context + ": replication message cut short");
  received_ = std::max(received_, start);
  ASSIGN_OR_RETURN(PgOutputMessage m, ParsePgOutput(std::string_view(data + 25, size - 25)));
  switch (m.type) {
    case 'B':
      in_txn_ = true;
      ++txn_serial_;
      txns_.push_back(Txn{});
      txn_origin_.clear();
      txn_at_ms_ = m.commit_time_us / 1000 + kPgEpochMs;
      last_seq_ = 0;
      return Status::Ok();
    case 'O':
      txn_origin_ = SystemOfOrigin(m.origin);
      return Status::Ok();
    case 'C':
      if (!in_txn_ || txns_.empty()) {
        return DataLoss(table_.context + ": replication stream: commit without a begin");
      }
      in_txn_ = false;
      txns_.back().end_lsn = m.end_lsn;
      received_ = std::max(received_, m.end_lsn);
      Advance();
      if (flush_ > sent_flush_) return SendStatus(false);
      return Status::Ok();
    case 'R':
      relations_[m.relation.id] = std::move(m.relation);
      return Status::Ok();
    case 'I':
    case 'U':
    case 'D':
      return HandleChange(m, start);
    default:
      return Status::Ok();
  }
}

Result<Key> LogicalStream::KeyOf(const PgOutputRelation& rel,
                                 const std::vector<PgOutputField>& tuple, std::string_view which) {
  Key key;
  for (const std::string& k : table_.key_columns) {
    size_t i = 0;
    while (i < rel.columns.size() && rel.columns[i].name != k) ++i;
    if (i == rel.columns.size() || i >= tuple.size()) {
      return DataLoss(table_.context + ": the replication stream's " + std::string(which) +
                      " row has no key column \"" + k + "\"");
    }
    const PgOutputField& f = tuple[i];
    if (f.kind == 'u') {
      return InvalidArgument(table_.context + ": key column \"" + k +
                             "\" holds a TOASTed value the replication stream does not send; "
                             "logical capture needs keys shorter than ~2 kB");
    }
    auto t = table_.base_types.find(k);
    Oid type = t == table_.base_types.end() ? rel.columns[i].type : t->second;
    key.push_back(ValueFromText(f.text.data(), static_cast<int>(f.text.size()), f.kind == 'n',
                                type));
  }
  return key;
}

Status LogicalStream::HandleChange(const PgOutputMessage& m, Lsn lsn) {
  if (!in_txn_ || txns_.empty()) {
    return DataLoss(table_.context + ": replication stream: a change outside a transaction");
  }
  auto it = relations_.find(m.relation_id);
  if (it == relations_.end()) {
    return DataLoss(table_.context + ": replication stream: a change of relation " +
                    std::to_string(m.relation_id) + " before its description");
  }
  const PgOutputRelation& rel = it->second;
  if (rel.schema != table_.schema || rel.name != table_.name) return Status::Ok();
  auto change = [&](ChangeOp op, Key key) {
    SourceChange c;
    int64_t seq = static_cast<int64_t>(lsn);
    if (seq <= last_seq_) seq = last_seq_ + 1;  // another change of the same record
    last_seq_ = seq;
    c.seq = seq;
    c.key = std::move(key);
    c.op = op;
    c.origin = txn_origin_;
    c.at_ms = txn_at_ms_;
    Append(std::move(c));
  };
  if (m.type == 'I') {
    ASSIGN_OR_RETURN(Key key, KeyOf(rel, m.new_tuple, "new"));
    change(ChangeOp::kInsert, std::move(key));
  } else if (m.type == 'D') {
    ASSIGN_OR_RETURN(Key key, KeyOf(rel, m.old_tuple, "old"));
    change(ChangeOp::kDelete, std::move(key));
  } else {
    std::vector<PgOutputField> fresh = m.new_tuple;
    if (m.old_kind != 0) {
      // A key column whose TOASTed value did not change is not in the new tuple; the old one
      // has it.
      for (size_t i = 0; i < fresh.size() && i < m.old_tuple.size(); ++i) {
        if (fresh[i].kind == 'u' && m.old_tuple[i].kind != 'u') fresh[i] = m.old_tuple[i];
      }
    }
    ASSIGN_OR_RETURN(Key key, KeyOf(rel, fresh, "new"));
    if (m.old_kind != 0) {
      ASSIGN_OR_RETURN(Key old, KeyOf(rel, m.old_tuple, "old"));
      if (EncodeKey(old) != EncodeKey(key)) {
        // A changed key is a different row: the old key is gone, the new one appears.
        change(ChangeOp::kDelete, std::move(old));
        change(ChangeOp::kInsert, std::move(key));
        return Status::Ok();
      }
    }
    change(ChangeOp::kUpdate, std::move(key));
  }
  return Status::Ok();
}

void LogicalStream::Append(SourceChange c) {
  if (!preacked_.empty()) {
    auto p = preacked_.find(c.seq);
    if (p != preacked_.end()) {  // applied by an earlier process: not delivered again
      preacked_.erase(p);
      return;
    }
  }
  Pending p;
  p.txn = txn_serial_;
  p.change = std::move(c);
  changes_.push_back(std::move(p));
  by_seq_[changes_.back().change.seq] = &changes_.back();
  ++txns_.back().unacked;
  ++unacked_;
  ++fresh_;
}

void LogicalStream::Advance() {
  while (!changes_.empty() && changes_.front().acked) {
    by_seq_.erase(changes_.front().change.seq);
    changes_.pop_front();
  }
  while (!txns_.empty() && txns_.front().end_lsn != 0 && txns_.front().unacked == 0) {
    flush_ = std::max(flush_, txns_.front().end_lsn);
    txns_.pop_front();
    ++first_txn_;
  }
}

std::vector<SourceChange> LogicalStream::Peek(size_t max) {
  std::vector<SourceChange> out;
  for (const Pending& p : changes_) {
    if (out.size() >= max) break;
    if (!p.acked) out.push_back(p.change);
  }
  fresh_ = 0;
  return out;
}

int64_t LogicalStream::oldest_pending_ms() const {
  for (const Pending& p : changes_) {
    if (!p.acked) return p.change.at_ms;
  }
  return 0;
}

std::map<std::string, int64_t> LogicalStream::LatestPendingMs(const std::set<std::string>& keys,
                                                              std::string_view ignore) const {
  std::map<std::string, int64_t> out;
  for (const Pending& p : changes_) {
    if (p.acked || p.change.origin == ignore) continue;
    std::string k = EncodeKey(p.change.key);
    if (!keys.count(k)) continue;
    int64_t& v = out[k];
    v = std::max(v, p.change.at_ms);
  }
  return out;
}

Status LogicalStream::Ack(const std::vector<int64_t>& seqs) {
  for (int64_t seq : seqs) {
    auto it = by_seq_.find(seq);
    if (it == by_seq_.end()) {
      if (preacked_.size() >= kMaxPreacked) preacked_.clear();
      preacked_.insert(seq);
      continue;
    }
    Pending* p = it->second;
    if (p->acked) continue;
    p->acked = true;
    --unacked_;
    if (p->txn >= first_txn_ && p->txn - first_txn_ < txns_.size()) {
      --txns_[p->txn - first_txn_].unacked;
    }
  }
  Advance();
  if (flush_ > sent_flush_) return SendStatus(false);
  return Status::Ok();
}

}  // namespace concord::postgres_connector
