// Checks of trigger capture (Source::InstallCapture, ReadChanges, AckChanges, PendingChanges) and
// of the Sink's Apply/ReadRows contract that every trigger-capturing connector (sqlite, postgres,
// mysql) must pass, written once. Header-only, for the connectors' test binaries (gtest); each
// connector test calls a check from a one-line TEST_F.
//
// A sibling of source_conformance.h rather than a part of it: those checks read a Source alone,
// from a table each creates; these need a Source and a Sink on one database, the changelog the
// triggers fill, and the fixture's `accounts` table, so they take one bundle of inputs
// (CaptureDb) instead.
//
// Every check expects the fixture's state at the start of a test: the table `accounts`
// (account_no text key, name text NOT NULL, level text) exists and is empty, and no capture is
// installed. What differs between dialects (DDL, a bulk INSERT) is passed in as SQL; what the
// connectors do differently on purpose (error texts, extra objects) stays in their own tests.
// Not thread-safe: gtest runs one test at a time.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/connector.h"

namespace concord::testing {

// One database as a check sees it. The pointers are the fixture's and outlive the check.
struct CaptureDb {
  Source* source = nullptr;
  Sink* sink = nullptr;
  // Runs SQL (one or more statements) as the application would, on a connection of its own;
  // fails the test when the database refuses it.
  std::function<void(const std::string&)> app;
  // The first column of the first row of a query, as an integer.
  std::function<int64_t(const std::string&)> count;
  // Checks that the connector's capture objects (its triggers, and functions where it has them)
  // are on the database for the one table captured when `installed`, and that none are otherwise.
  std::function<void(bool installed)> expect_capture_objects;
};

// Helpers for these checks that the connectors' tests use as well: values, write ops, and
// reading and acking changes where a failure fails the test.
inline Value T(std::string s) { return Value::Text(std::move(s)); }
inline Value I(int64_t v) { return Value::Int(v); }

inline WriteOp Upsert(Key key, Row values) {
  WriteOp op;
  op.kind = WriteOp::Kind::kUpsert;
  op.key = std::move(key);
  op.values = std::move(values);
  return op;
}

inline WriteOp Delete(Key key) {
  WriteOp op;
  op.kind = WriteOp::Kind::kDelete;
  op.key = std::move(key);
  return op;
}

// The pending changes of `consumer` (at most `max`); a failed read fails the test and gives none.
inline std::vector<SourceChange> ReadChangesOrFail(Source* source, const TableRef& t,
                                                   std::string_view consumer, size_t max = 1000) {
  auto r = source->ReadChanges(t, consumer, max);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<SourceChange>{};
}

inline void AckChangesOrFail(Source* source, std::string_view consumer,
                             const std::vector<SourceChange>& changes) {
  std::vector<int64_t> seqs;
  for (const auto& c : changes) seqs.push_back(c.seq);
  Status s = source->AckChanges(consumer, seqs);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

namespace capture_internal {

inline const TableRef& Accounts() {
  static const TableRef accounts{"accounts", {"account_no"}, {"account_no", "name", "level"}};
  return accounts;
}

}  // namespace capture_internal

// Inserts, updates and deletes by the application are logged in order, each with the key's
// current image (none once the row is gone), no origin, and a time in milliseconds since the
// epoch in UTC (whatever the writing session's time zone: a window around this process's clock).
// Reading does not consume; `max` limits, oldest first; PendingChanges counts what is unacked and
// its oldest time; acknowledging removes exactly what was acked.
inline void ExpectCapturesInsertUpdateDeleteWithCurrentImage(const CaptureDb& db) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  ASSERT_EQ(db.source->InstallCapture(accounts, "f1").ToString(), "OK");
  db.app("INSERT INTO accounts VALUES ('A1', 'Acme', 'VIP')");
  db.app("INSERT INTO accounts VALUES ('A2', 'Beta', NULL)");
  db.app("UPDATE accounts SET name = 'Acme Ltd' WHERE account_no = 'A1'");
  db.app("DELETE FROM accounts WHERE account_no = 'A2'");

  auto changes = ReadChangesOrFail(db.source, accounts, "f1");
  ASSERT_EQ(changes.size(), 4u);
  struct Want {
    ChangeOp op;
    Key key;
    bool has_row;
  };
  std::vector<Want> want = {{ChangeOp::kInsert, {T("A1")}, true},
                            {ChangeOp::kInsert, {T("A2")}, false},
                            {ChangeOp::kUpdate, {T("A1")}, true},
                            {ChangeOp::kDelete, {T("A2")}, false}};
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(changes[i].op, want[i].op);
    EXPECT_EQ(changes[i].key, want[i].key);
    EXPECT_EQ(changes[i].row.has_value(), want[i].has_row);
    EXPECT_EQ(changes[i].origin, "");
    EXPECT_GT(changes[i].at_ms, 1600000000000);  // ms since the epoch, not seconds
    // In UTC: a session time zone would put it hours away.
    EXPECT_GT(changes[i].at_ms, now_ms - 60000);
    EXPECT_LE(changes[i].at_ms, now_ms + 1000);
    if (i) {
      EXPECT_GT(changes[i].seq, changes[i - 1].seq);
    }
  }
  // Every change of a key carries the key's latest image.
  Row a1 = {{"account_no", T("A1")}, {"name", T("Acme Ltd")}, {"level", T("VIP")}};
  EXPECT_EQ(*changes[0].row, a1);
  EXPECT_EQ(*changes[2].row, a1);

  // Reading does not consume; max limits, oldest first.
  auto again = ReadChangesOrFail(db.source, accounts, "f1", 2);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].seq, changes[0].seq);
  EXPECT_EQ(again[1].seq, changes[1].seq);

  auto backlog = db.source->PendingChanges("f1");
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(backlog->count, 4);
  EXPECT_EQ(backlog->oldest_at_ms, changes[0].at_ms);

  AckChangesOrFail(db.source, "f1", again);
  auto rest = ReadChangesOrFail(db.source, accounts, "f1");
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].seq, changes[2].seq);
  AckChangesOrFail(db.source, "f1", rest);
  EXPECT_TRUE(ReadChangesOrFail(db.source, accounts, "f1").empty());
  backlog = db.source->PendingChanges("f1");
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(backlog->count, 0);
  EXPECT_EQ(backlog->oldest_at_ms, 0);
}

// An UPDATE of the key is logged as the old key's delete (no row) and the new key's insert.
inline void ExpectKeyChangeLogsDeleteAndInsert(const CaptureDb& db) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  ASSERT_EQ(db.source->InstallCapture(accounts, "f1").ToString(), "OK");
  db.app("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  AckChangesOrFail(db.source, "f1", ReadChangesOrFail(db.source, accounts, "f1"));
  db.app("UPDATE accounts SET account_no = 'A9' WHERE account_no = 'A1'");
  auto changes = ReadChangesOrFail(db.source, accounts, "f1");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].op, ChangeOp::kDelete);
  EXPECT_EQ(changes[0].key, Key{T("A1")});
  EXPECT_FALSE(changes[0].row.has_value());
  EXPECT_EQ(changes[1].op, ChangeOp::kInsert);
  EXPECT_EQ(changes[1].key, Key{T("A9")});
  ASSERT_TRUE(changes[1].row.has_value());
  EXPECT_EQ(changes[1].row->at("name"), T("Acme"));
}

// A two-column key: each change carries both parts (as integers), the current image matches the
// logged key, and moving one key part is a delete and an insert. `create` is the dialect's
// CREATE TABLE order_lines (order_id integer, line_no integer, sku text, qty a double,
// PRIMARY KEY (order_id, line_no)).
inline void ExpectCompositeKeysAreCaptured(const CaptureDb& db, const std::string& create) {
  using namespace capture_internal;
  db.app(create);
  TableRef lines{"order_lines", {"order_id", "line_no"}, {"order_id", "line_no", "sku", "qty"}};
  ASSERT_EQ(db.source->InstallCapture(lines, "f1").ToString(), "OK");
  db.app("INSERT INTO order_lines VALUES (1, 1, 'X', 2.5), (1, 2, 'Y', 1), (2, 1, 'Z', 3)");
  db.app("UPDATE order_lines SET qty = 4 WHERE order_id = 1 AND line_no = 2");
  db.app("UPDATE order_lines SET line_no = 3 WHERE order_id = 2 AND line_no = 1");  // a part moves
  db.app("DELETE FROM order_lines WHERE order_id = 1 AND line_no = 1");

  auto changes = ReadChangesOrFail(db.source, lines, "f1");
  struct Want {
    ChangeOp op;
    Key key;
    std::optional<Value> qty;  // nullopt: no row
  };
  std::vector<Want> want = {
      {ChangeOp::kInsert, {I(1), I(1)}, std::nullopt},
      {ChangeOp::kInsert, {I(1), I(2)}, Value::Real(4)},
      {ChangeOp::kInsert, {I(2), I(1)}, std::nullopt},
      {ChangeOp::kUpdate, {I(1), I(2)}, Value::Real(4)},
      {ChangeOp::kDelete, {I(2), I(1)}, std::nullopt},
      {ChangeOp::kInsert, {I(2), I(3)}, Value::Real(3)},
      {ChangeOp::kDelete, {I(1), I(1)}, std::nullopt},
  };
  ASSERT_EQ(changes.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(changes[i].op, want[i].op);
    EXPECT_EQ(changes[i].key, want[i].key);
    ASSERT_EQ(changes[i].row.has_value(), want[i].qty.has_value());
    if (want[i].qty) {
      EXPECT_EQ(changes[i].row->at("qty"), *want[i].qty);
      EXPECT_EQ(changes[i].row->at("order_id"), want[i].key[0]);
      EXPECT_EQ(changes[i].row->at("line_no"), want[i].key[1]);
    }
  }
}

// Two consumers of one table: each sees only what happened after it registered, in rows of its
// own; acking one consumer's seqs (even another's seqs, by mistake) never removes the other's.
inline void ExpectConsumersReadAndAckIndependently(const CaptureDb& db) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  ASSERT_EQ(db.source->InstallCapture(accounts, "to_erp").ToString(), "OK");
  db.app("INSERT INTO accounts VALUES ('A0', 'Before', NULL)");  // before to_shop registered
  ASSERT_EQ(db.source->InstallCapture(accounts, "to_shop").ToString(), "OK");
  db.app("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  db.app("UPDATE accounts SET level = 'B' WHERE account_no = 'A1'");

  auto erp = ReadChangesOrFail(db.source, accounts, "to_erp");
  auto shop = ReadChangesOrFail(db.source, accounts, "to_shop");
  ASSERT_EQ(erp.size(), 3u);
  ASSERT_EQ(shop.size(), 2u);
  EXPECT_EQ(shop[0].key, Key{T("A1")});
  EXPECT_EQ(shop[1].op, ChangeOp::kUpdate);
  std::set<int64_t> erp_seqs;
  for (auto& c : erp) erp_seqs.insert(c.seq);
  for (auto& c : shop) EXPECT_EQ(erp_seqs.count(c.seq), 0u) << "rows are per consumer";

  AckChangesOrFail(db.source, "to_erp", erp);
  // Acking another consumer's seqs deletes nothing of this one.
  AckChangesOrFail(db.source, "to_erp", shop);
  EXPECT_TRUE(ReadChangesOrFail(db.source, accounts, "to_erp").empty());
  EXPECT_EQ(ReadChangesOrFail(db.source, accounts, "to_shop").size(), 2u);
  EXPECT_EQ(db.source->PendingChanges("to_erp")->count, 0);
  EXPECT_EQ(db.source->PendingChanges("to_shop")->count, 2);
  AckChangesOrFail(db.source, "to_shop", shop);
  EXPECT_TRUE(ReadChangesOrFail(db.source, accounts, "to_shop").empty());
}

// More keys than one statement takes: 2,468 changes (1,234 inserts, then one UPDATE of them
// all) are read with their rows and acked in one call. `insert_1234` is the dialect's INSERT of
// accounts K00001..K01234, named 'name <i>', level NULL.
inline void ExpectManyKeysAreFetchedAndAcked(const CaptureDb& db, const std::string& insert_1234) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  ASSERT_EQ(db.source->InstallCapture(accounts, "f1").ToString(), "OK");
  db.app(insert_1234);
  db.app("UPDATE accounts SET level = 'A'");
  auto changes = ReadChangesOrFail(db.source, accounts, "f1", 5000);
  ASSERT_EQ(changes.size(), 2468u);
  for (const auto& c : changes) {
    ASSERT_TRUE(c.row.has_value()) << c.key[0].ToString();
    EXPECT_EQ(c.row->at("account_no"), c.key[0]);
    EXPECT_EQ(c.row->at("level"), T("A"));
  }
  AckChangesOrFail(db.source, "f1", changes);
  EXPECT_EQ(db.source->PendingChanges("f1")->count, 0);
}

// Apply: an upsert updates only the columns given, inserts with the key from the op, a delete of
// a missing row is fine, the keys come back in op order, ReadRows returns each found row once in
// the order asked, and applying the same batch again changes nothing.
inline void ExpectApplyUpsertAndDelete(const CaptureDb& db) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  db.app("INSERT INTO accounts VALUES ('A1', 'Old', 'C')");
  std::vector<WriteOp> ops = {
      Upsert({T("A1")}, {{"name", T("Acme")}}),                           // update, level kept
      Upsert({T("A2")}, {{"account_no", T("A2")}, {"name", T("Beta")}}),  // insert
      Upsert({T("A3")}, {{"name", T("Gamma")}, {"level", T("B")}}),       // insert, key from op
      Delete({T("A3")}),
      Delete({T("nope")}),  // a missing row is fine
  };
  auto r = db.sink->Apply(accounts, ops, "erp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->keys, (std::vector<Key>{{T("A1")}, {T("A2")}, {T("A3")}, {T("A3")}, {T("nope")}}));

  auto rows = db.sink->ReadRows(accounts, {{T("A1")}, {T("A2")}, {T("A3")}, {T("A1")}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], (Row{{"account_no", T("A1")}, {"name", T("Acme")}, {"level", T("C")}}));
  EXPECT_EQ((*rows)[1],
            (Row{{"account_no", T("A2")}, {"name", T("Beta")}, {"level", Value::Null()}}));

  // Applying the same batch again changes nothing (idempotent).
  ASSERT_TRUE(db.sink->Apply(accounts, ops, "erp").ok());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM accounts"), 2);
}

// A key-only upsert inserts the row when it is missing (the other columns take their defaults)
// and leaves an existing row alone; a later upsert of a column updates it. `table` is created by
// `create` as (tag text, note text DEFAULT 'd'), with or without a key constraint on tag.
inline void ExpectApplyKeyOnlyInsertsWhenMissing(const CaptureDb& db, const std::string& table,
                                                 const std::string& create) {
  using namespace capture_internal;
  SCOPED_TRACE(table);
  db.app(create);
  db.app("INSERT INTO " + table + " VALUES ('x', 'kept')");
  TableRef t{table, {"tag"}, {"tag", "note"}};
  auto r = db.sink->Apply(t, {Upsert({T("x")}, {{"tag", T("x")}}), Upsert({T("y")}, {})}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM " + table + " WHERE tag = 'x' AND note = 'kept'"), 1);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM " + table + " WHERE tag = 'y' AND note = 'd'"), 1);
  ASSERT_TRUE(db.sink->Apply(t, {Upsert({T("y")}, {{"note", T("z")}})}, "").ok());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM " + table), 2);
}

// ReadRows compares keys as the database does: the key 17 given as text finds the integer row
// (as UPDATE ... WHERE id = '17' would); a key with no row is left out. `create` is the dialect's
// CREATE TABLE nums (id integer key, v text).
inline void ExpectReadRowsMatchesLikeTheDatabaseCompares(const CaptureDb& db,
                                                         const std::string& create) {
  using namespace capture_internal;
  db.app(create);
  db.app("INSERT INTO nums VALUES (17, 'seventeen')");
  TableRef nums{"nums", {"id"}, {"id", "v"}};
  auto rows = db.sink->ReadRows(nums, {{T("17")}, {I(18)}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].at("id"), I(17));
}

// A mapped column renamed away, a misspelt column, and a dropped table are NotFound, each with
// its message pinned: `system` is the fixture's system name. `typo_key` is the key of the upsert
// that names the misspelt column (empty: a keyless insert, where the connector supports one).
inline void ExpectMissingTableOrColumnIsNotFound(const CaptureDb& db, const std::string& system,
                                                 const Key& typo_key) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  ASSERT_EQ(db.source->InstallCapture(accounts, "f1").ToString(), "OK");
  db.app("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  db.app("ALTER TABLE accounts RENAME COLUMN level TO grade");

  const std::string where = system + ".accounts: ";
  struct Case {
    std::string what;
    Status status;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({"ReadChanges", db.source->ReadChanges(accounts, "f1", 10).status(),
                   where + "column \"level\" does not exist"});
  cases.push_back({"ReadChunk", db.source->ReadChunk(accounts, std::nullopt, 10).status(),
                   where + "column \"level\" does not exist"});
  cases.push_back({"ReadRows", db.sink->ReadRows(accounts, {{T("A1")}}).status(),
                   where + "column \"level\" does not exist"});
  cases.push_back({"Apply update",
                   db.sink->Apply(accounts, {Upsert({T("A1")}, {{"level", T("A")}})}, "").status(),
                   where + "column \"level\" does not exist (op 1 of 1; nothing was written)"});
  cases.push_back({"Apply insert typo",
                   db.sink->Apply(accounts, {Upsert(typo_key, {{"nme", T("x")}})}, "").status(),
                   where + "column \"nme\" does not exist (did you mean \"name\"?) (op 1 of 1; "
                           "nothing was written)"});
  db.app("DROP TABLE accounts");
  cases.push_back({"Apply dropped",
                   db.sink->Apply(accounts, {Upsert({T("A1")}, {{"name", T("x")}})}, "").status(),
                   where + "table \"accounts\" does not exist (op 1 of 1; nothing was written)"});
  cases.push_back({"ReadChanges dropped", db.source->ReadChanges(accounts, "f1", 10).status(),
                   where + "table \"accounts\" does not exist"});
  cases.push_back({"ReadChunk dropped", db.source->ReadChunk(accounts, std::nullopt, 10).status(),
                   where + "table \"accounts\" does not exist"});
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), Code::kNotFound) << c.what << ": " << c.status.ToString();
    EXPECT_EQ(c.status.message(), c.message) << c.what;
  }
}

// LatestPendingMs: per key asked, the time of the consumer's latest pending change that was not
// concord's own write from `origin`; keys with none are left out, as are other consumers' and
// acked changes. `create` is the dialect's CREATE TABLE parts (site text, no integer, note text,
// PRIMARY KEY (site, no)); `newer_update` is the application's UPDATE parts SET note = 'again'
// WHERE no = 1, logged at a later time than the INSERT before it; `s3_no` is how the key part
// `no` of the key S3/3 is asked for (an integer, or text where the column's type compares it).
inline void ExpectLatestPendingMsIgnoresConcordsOwnWrites(const CaptureDb& db,
                                                          const std::string& create,
                                                          const std::string& newer_update,
                                                          const Value& s3_no) {
  using namespace capture_internal;
  db.app(create);
  TableRef parts{"parts", {"site", "no"}, {}};
  ASSERT_EQ(db.source->InstallCapture(parts, "erp_to_crm").ToString(), "OK");
  db.app("INSERT INTO parts VALUES ('S\"1', 1, 'app')");  // the application: counts
  db.app(newer_update);                                   // newer change of the same key
  ASSERT_TRUE(db.sink->Apply(parts, {Upsert({T("S\"1"), I(2)}, {{"note", T("x")}})}, "crm").ok());
  db.app("INSERT INTO parts VALUES ('S3', 3, NULL)");
  auto changes = ReadChangesOrFail(db.source, parts, "erp_to_crm");
  ASSERT_EQ(changes.size(), 4u);

  auto latest = db.source->LatestPendingMs(
      parts, "erp_to_crm",
      {{T("S\"1"), I(1)}, {T("S\"1"), I(2)}, {T("S3"), s3_no}, {T("S9"), I(9)}}, "crm");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  std::map<std::string, int64_t> want = {{EncodeKey({T("S\"1"), I(1)}), changes[1].at_ms},
                                         {EncodeKey({T("S3"), s3_no}), changes[3].at_ms}};
  EXPECT_EQ(*latest, want);  // S"1/2 was concord's write from crm; S9 has no change

  auto other = db.source->LatestPendingMs(parts, "someone_else", {{T("S3"), I(3)}}, "crm");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
  AckChangesOrFail(db.source, "erp_to_crm", changes);
  latest = db.source->LatestPendingMs(parts, "erp_to_crm", {{T("S3"), I(3)}}, "crm");
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(latest->empty());
}

// A batch with one op the database refuses (a NOT NULL column left out of a new row) writes
// nothing, logs nothing, fails with `message` (the database's reason, the op and "nothing was
// written") as InvalidArgument, and leaves the connection usable.
inline void ExpectApplyRollsBackOnConstraintFailure(const CaptureDb& db,
                                                    const std::string& message) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  ASSERT_EQ(db.source->InstallCapture(accounts, "f1").ToString(), "OK");
  db.app("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  AckChangesOrFail(db.source, "f1", ReadChangesOrFail(db.source, accounts, "f1"));
  std::vector<WriteOp> ops = {
      Upsert({T("A1")}, {{"name", T("changed")}}),
      Upsert({T("A2")}, {{"name", T("Beta")}}),
      Upsert({T("A3")}, {{"level", T("B")}}),  // name is NOT NULL (and has no default)
      Upsert({T("A4")}, {{"name", T("Delta")}}),
  };
  auto r = db.sink->Apply(accounts, ops, "erp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), message);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM accounts"), 1);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM accounts WHERE name = 'Acme'"), 1);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM _concord_changelog"), 0);
  // The connection is usable afterwards.
  ASSERT_TRUE(db.sink->Apply(accounts, {ops[1]}, "erp").ok());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM accounts"), 2);
}

// Installing capture again for a consumer changes nothing (one change logged however often
// installed); removing a consumer, twice, keeps the capture objects for the other consumer and
// drops only its own rows (reading it then is NotFound); the last consumer leaving drops the
// objects and application writes are no longer logged.
inline void ExpectInstallAndRemoveAreIdempotent(const CaptureDb& db) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(db.source->InstallCapture(accounts, "f1").ToString(), "OK");
  ASSERT_EQ(db.source->InstallCapture(accounts, "f2").ToString(), "OK");
  {
    SCOPED_TRACE("installed for f1 and f2");
    db.expect_capture_objects(true);
  }
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM _concord_consumers"), 2);
  db.app("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  EXPECT_EQ(ReadChangesOrFail(db.source, accounts, "f1").size(), 1u)
      << "logged once however often installed";

  // Removing one consumer keeps the capture objects for the other and drops only its rows.
  for (int i = 0; i < 2; ++i) ASSERT_EQ(db.source->RemoveCapture(accounts, "f1").ToString(), "OK");
  {
    SCOPED_TRACE("f1 removed, f2 left");
    db.expect_capture_objects(true);
  }
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM _concord_changelog WHERE consumer = 'f1'"), 0);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM _concord_changelog WHERE consumer = 'f2'"), 1);
  auto gone = db.source->ReadChanges(accounts, "f1", 10);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
  EXPECT_THAT(gone.status().message(),
              ::testing::HasSubstr("capture is not installed for consumer \"f1\""));

  // The last consumer leaving drops the objects; application writes are no longer logged.
  for (int i = 0; i < 2; ++i) ASSERT_EQ(db.source->RemoveCapture(accounts, "f2").ToString(), "OK");
  {
    SCOPED_TRACE("f1 and f2 removed");
    db.expect_capture_objects(false);
  }
  db.app("INSERT INTO accounts VALUES ('A2', 'Beta', NULL)");
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM _concord_changelog"), 0);
}

// Installing capture again with another key replaces what the first install set up: changes are
// logged by the new key, with the new binding's columns. `create` is the dialect's CREATE TABLE
// items (id integer key, code text UNIQUE).
inline void ExpectReinstallWithAnotherKeyLogsTheNewKey(const CaptureDb& db,
                                                       const std::string& create) {
  using namespace capture_internal;
  db.app(create);
  ASSERT_EQ(db.source->InstallCapture({"items", {"id"}, {}}, "f1").ToString(), "OK");
  TableRef by_code{"items", {"code"}, {"code"}};
  ASSERT_EQ(db.source->InstallCapture(by_code, "f1").ToString(), "OK");
  db.expect_capture_objects(true);
  db.app("INSERT INTO items VALUES (7, 'X7')");
  auto changes = ReadChangesOrFail(db.source, by_code, "f1");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, Key{T("X7")});
  EXPECT_EQ(*changes[0].row, (Row{{"code", T("X7")}}));
}

// InstallCapture on a misspelt table or key column is NotFound with the message pinned, and
// installs nothing. `table_message` is the connector's message for the table "acounts";
// `system` the fixture's system name.
inline void ExpectInstallCaptureChecksTableAndKey(const CaptureDb& db,
                                                  const std::string& table_message,
                                                  const std::string& system) {
  Status s = db.source->InstallCapture({"acounts", {"account_no"}, {}}, "f1");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), table_message);
  s = db.source->InstallCapture({"accounts", {"acount_no"}, {}}, "f1");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), system +
                             ".accounts: key column \"acount_no\" does not exist (did you mean "
                             "\"account_no\"?)");
  db.expect_capture_objects(false);
}

// ReadChanges without capture installed is NotFound; after a migration recreates the table (its
// capture objects gone with it) it is DataLoss with `lost_message` in it, never an empty read;
// reinstalling repairs it. `create_accounts` is the dialect's CREATE TABLE accounts as the
// fixture made it; `system` the fixture's system name.
inline void ExpectReadChangesExplainsBrokenCapture(const CaptureDb& db, const std::string& system,
                                                   const std::string& create_accounts,
                                                   const std::string& lost_message) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  auto none = db.source->ReadChanges(accounts, "f1", 10);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  EXPECT_THAT(none.status().message(),
              ::testing::StartsWith(system + ".accounts: capture is not installed"));

  ASSERT_EQ(db.source->InstallCapture(accounts, "f1").ToString(), "OK");
  // A migration that recreates the table drops its capture objects.
  db.app("DROP TABLE accounts");
  db.app(create_accounts);
  auto lost = db.source->ReadChanges(accounts, "f1", 10);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Code::kDataLoss);
  EXPECT_THAT(lost.status().message(), ::testing::HasSubstr(lost_message));
  // Reinstalling repairs it.
  ASSERT_EQ(db.source->InstallCapture(accounts, "f1").ToString(), "OK");
  db.app("INSERT INTO accounts VALUES ('A1', 'Acme', NULL)");
  EXPECT_EQ(ReadChangesOrFail(db.source, accounts, "f1").size(), 1u);
}

// An upsert whose key has more values than the table's key is InvalidArgument, naming the table.
inline void ExpectApplyRejectsWrongKeyArity(const CaptureDb& db, const std::string& system) {
  using namespace capture_internal;
  auto r = db.sink->Apply(Accounts(), {Upsert({T("A"), T("B")}, {{"name", T("x")}})}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              ::testing::StartsWith(system + ".accounts: upsert key has 2 values"));
}

// The changelog rows of concord's own writes carry the origin Apply was given; the application's
// writes, before and after, carry none. The origin does not stick to the connection: a failed
// Apply with an origin, then an Apply without one, leave the next write untagged.
inline void ExpectApplyTagsChangelogRowsWithOrigin(const CaptureDb& db) {
  using namespace capture_internal;
  const TableRef& accounts = Accounts();
  ASSERT_EQ(db.source->InstallCapture(accounts, "to_erp").ToString(), "OK");
  db.app("INSERT INTO accounts VALUES ('A0', 'app', NULL)");  // untagged, before concord's write
  auto r = db.sink->Apply(accounts,
                          {Upsert({T("A1")}, {{"name", T("from erp")}}), Delete({T("A0")})}, "erp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  db.app("UPDATE accounts SET level = 'A' WHERE account_no = 'A1'");  // the application again
  // A failed Apply (name is NOT NULL) and an Apply without origin leave nothing tagged behind.
  ASSERT_FALSE(db.sink->Apply(accounts, {Upsert({T("A2")}, {{"level", T("x")}})}, "erp").ok());
  ASSERT_TRUE(db.sink->Apply(accounts, {Upsert({T("A3")}, {{"name", T("n")}})}, "").ok());

  auto changes = ReadChangesOrFail(db.source, accounts, "to_erp");
  ASSERT_EQ(changes.size(), 5u);
  std::vector<std::pair<ChangeOp, std::string>> want = {{ChangeOp::kInsert, ""},
                                                        {ChangeOp::kInsert, "erp"},
                                                        {ChangeOp::kDelete, "erp"},
                                                        {ChangeOp::kUpdate, ""},
                                                        {ChangeOp::kInsert, ""}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(changes[i].op, want[i].first) << i;
    EXPECT_EQ(changes[i].origin, want[i].second) << i;
  }
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM _concord_changelog WHERE origin IS NULL"), 3);
}

}  // namespace concord::testing
