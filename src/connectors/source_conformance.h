// Tests several connectors run on their Source, written once. Header-only, for the connectors'
// test binaries (gtest + gmock).
//
// ExpectBucketSumsConform: the bucket summaries (core/row_buckets.h), which `concord check`'s
// memo trusts to tell whether a bucket's rows changed — the summaries equal the sums of the rows
// ReadBuckets returns, ReadBuckets keeps to the buckets asked for, and each kind of change
// (NULL → '', '' → a value, an amount, a new row, a deleted row) changes the summary of exactly
// one bucket; the whole table's summary (TableSum) is the buckets' added up, and moves with them.
//
// ExpectWriteMarkMovesWithWrites: a database's mark of writes to a table (Source::WriteMark), by
// which a check chooses its first query: stays put while nobody writes, moves after a write
// (within the lag the database reports with), and is nullopt where the connector keeps none.
//
// ExpectReadChangedSinceOrdersByColumnThenKey: poll capture's read (Source::ReadChangedSince, a
// keyset read ordered by the change column, then the key): the server orders and compares,
// microseconds included, and a misspelt column is NotFound with a suggestion.
//
// ExpectFindByColumnAndCountRowsConform: the lookups `unique:` fields make (FindByColumn: every
// holder of a value, with its key, over lists longer than one statement takes), the row count
// `concord profile` shows as its progress total (CountRows), and the estimate the initial copy
// logs its progress against (EstimateRows, after the dialect's `analyze` statement).
//
// ExpectSnapshotChunksVisitEveryRowOnce: the snapshot's keyset read (Source::ReadChunk) over a
// two-column key, at limits from 1 to more than the table holds: every row once, in key order,
// in the fewest chunks, and a NULL key part to start after is InvalidArgument.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "connectors/connector.h"

namespace concord::testing {

// `app` runs SQL as an application would; the table `holders` must not exist yet. `create` is the
// dialect's CREATE TABLE holders (code text key, level text).
inline void ExpectFindByColumnAndCountRowsConform(
    Source* source, const std::function<void(const std::string&)>& app, const std::string& create,
    const std::string& analyze) {
  app(create);
  const TableRef t{"holders", {"code"}, {"code", "level"}};
  auto count = source->CountRows(t);
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 0);
  app("INSERT INTO holders (code, level) VALUES ('C1', 'VIP'), ('C2', 'VIP'), "
      "('C3', 'it''s; --\"x\" 😀'), ('C4', NULL)");
  count = source->CountRows(t);
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 4);
  EXPECT_FALSE(source->CountRows(TableRef{"no_such_table", {"code"}, {}}).ok());
  app(analyze);
  auto estimate = source->EstimateRows(t);
  ASSERT_TRUE(estimate.ok()) << estimate.status().ToString();
  EXPECT_GE(*estimate, 1);  // an estimate: the statistics of 4 rows, not a count
  EXPECT_LE(*estimate, 8);
  EXPECT_FALSE(source->EstimateRows(TableRef{"no_such_table", {"code"}, {}}).ok());

  auto found = [&](const std::vector<Value>& values) {
    std::vector<std::string> out;
    auto rows = source->FindByColumn(t, "level", values);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return out;
    for (const Row& r : *rows) {
      EXPECT_EQ(r.size(), 2u);  // the key and the column
      out.push_back(r.at("code").ToString() + "=" + r.at("level").ToString());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  // Both holders of VIP; a hostile value is bound, never pasted; NULL is nobody's value.
  EXPECT_EQ(found({Value::Text("VIP"), Value::Text("it's; --\"x\" 😀"), Value::Text("none")}),
            (std::vector<std::string>{"C1=VIP", "C2=VIP", "C3=it's; --\"x\" 😀"}));
  EXPECT_TRUE(found({}).empty());
  // A list longer than one statement's, with padded lengths, finds each row once.
  std::vector<Value> many;
  for (int i = 0; i < 5000; ++i) many.push_back(Value::Text("x" + std::to_string(i)));
  many.push_back(Value::Text("VIP"));
  EXPECT_EQ(found(many), (std::vector<std::string>{"C1=VIP", "C2=VIP"}));
  auto misspelt = source->FindByColumn(t, "levl", {Value::Text("VIP")});
  ASSERT_FALSE(misspelt.ok());
  EXPECT_THAT(misspelt.status().message(), ::testing::HasSubstr("levl"));
}

// `app` runs SQL as an application would; the table `memo` must not exist yet. `create` is the
// dialect's CREATE TABLE memo (id integer key, name text, amount decimal(10,2)).
inline void ExpectBucketSumsConform(Source* source,
                                    const std::function<void(const std::string&)>& app,
                                    const std::string& create) {
  app(create);
  std::string values;
  for (int i = 1; i <= 300; ++i) {
    values += (i > 1 ? ", (" : "(") + std::to_string(i) + ", 'n" + std::to_string(i) + "', " +
              std::to_string(i) + ".25)";
  }
  app("INSERT INTO memo (id, name, amount) VALUES " + values);
  const TableRef t{"memo", {"id"}, {"id", "name", "amount"}};
  constexpr uint32_t kBuckets = 16;
  // The whole table's summary (TableSum) is always the buckets' added up.
  auto sums = [&] {
    auto s = source->BucketSums(t, kBuckets);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return std::vector<BucketSum>();
    BucketSum all;
    for (const BucketSum& b : *s) all.Merge(b);
    auto total = source->TableSum(t);
    EXPECT_TRUE(total.ok()) << total.status().ToString();
    if (total.ok()) {
      EXPECT_EQ(*total, all);
    }
    return *s;
  };
  // Every row, in pages of `page` (70), summed here.
  auto read = [&](const std::vector<uint32_t>& which, size_t page_rows = 70) {
    std::vector<HashedRow> out;
    std::optional<Key> after;
    while (true) {
      auto page = source->ReadBuckets(t, kBuckets, which, after, page_rows);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) break;
      for (HashedRow& h : *page) out.push_back(std::move(h));
      after = Source::KeyOf(t, out.back().row);
      if (page->size() < page_rows) break;
    }
    return out;
  };
  std::vector<BucketSum> before = sums();
  ASSERT_EQ(before.size(), kBuckets);
  std::vector<BucketSum> from_rows(kBuckets);
  std::vector<HashedRow> all = read({});
  ASSERT_EQ(all.size(), 300u);
  for (const HashedRow& h : all) {
    ASSERT_LT(h.bucket, kBuckets);
    EXPECT_EQ(h.row.size(), 3u);
    from_rows[h.bucket].Add(h.hash1, h.hash2);
  }
  EXPECT_EQ(before, from_rows);
  int used = 0;
  for (const BucketSum& b : before) used += b.rows > 0;
  EXPECT_GT(used, 8) << "300 rows should spread over most of 16 buckets";
  // Some buckets only: their rows, all of them, in key order.
  std::vector<HashedRow> some = read({3, 7});
  EXPECT_EQ(static_cast<int64_t>(some.size()), before[3].rows + before[7].rows);
  for (const HashedRow& h : some) EXPECT_TRUE(h.bucket == 3 || h.bucket == 7) << h.bucket;
  // One bucket at a time in pages of a few rows (as a check reads the buckets that changed,
  // in pages sized to their rows): every row of the bucket, each once.
  for (size_t page_rows : {size_t{1}, size_t{4}}) {
    for (uint32_t b = 0; b < kBuckets; ++b) {
      std::vector<HashedRow> rows = read({b}, page_rows);
      std::set<std::string> keys;
      for (const HashedRow& h : rows) keys.insert(EncodeKey(Source::KeyOf(t, h.row)));
      EXPECT_EQ(static_cast<int64_t>(rows.size()), before[b].rows) << b << " " << page_rows;
      EXPECT_EQ(keys.size(), rows.size()) << b << " " << page_rows;
    }
  }
  // The rows of some keys (two buckets' worth, and a key that is not there), by key: the same
  // buckets and hashes as the scan gave them, so that they add up to those buckets' summaries.
  {
    std::vector<Key> keys;
    std::map<std::string, const HashedRow*> scanned;
    for (const HashedRow& h : some) {
      keys.push_back(Source::KeyOf(t, h.row));
      scanned[EncodeKey(keys.back())] = &h;
    }
    keys.push_back({Value::Int(100000)});
    auto by_key = source->ReadBucketRows(t, kBuckets, keys);
    ASSERT_TRUE(by_key.ok()) << by_key.status().ToString();
    ASSERT_EQ(by_key->size(), some.size());
    BucketSum three, seven;
    for (const HashedRow& h : *by_key) {
      auto it = scanned.find(EncodeKey(Source::KeyOf(t, h.row)));
      ASSERT_NE(it, scanned.end());
      EXPECT_EQ(h.bucket, it->second->bucket);
      EXPECT_EQ(h.hash1, it->second->hash1);
      EXPECT_EQ(h.hash2, it->second->hash2);
      (h.bucket == 3 ? three : seven).Add(h.hash1, h.hash2);
    }
    EXPECT_EQ(three, before[3]);
    EXPECT_EQ(seven, before[7]);
  }
  // Each change moves exactly one bucket's summary.
  for (const std::string& change :
       {std::string("UPDATE memo SET name = NULL WHERE id = 5"),
        std::string("UPDATE memo SET name = '' WHERE id = 5"),
        std::string("UPDATE memo SET name = 'NULL' WHERE id = 5"),
        std::string("UPDATE memo SET amount = 9.26 WHERE id = 9"),
        std::string("INSERT INTO memo (id, name, amount) VALUES (301, 'x', 0)"),
        std::string("DELETE FROM memo WHERE id = 100")}) {
    app(change);
    std::vector<BucketSum> after = sums();
    ASSERT_EQ(after.size(), kBuckets);
    int moved = 0;
    for (uint32_t b = 0; b < kBuckets; ++b) moved += !(after[b] == before[b]);
    EXPECT_EQ(moved, 1) << change;
    before = after;
  }
  // An empty table sums to nothing.
  app("DELETE FROM memo");
  auto empty = source->TableSum(t);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, BucketSum{});
}

// `app` runs SQL as an application would; `create` makes `marked` (id integer key, note text).
// `keeps_marks`: whether the database has a mark at all.
inline void ExpectWriteMarkMovesWithWrites(Source* source,
                                           const std::function<void(const std::string&)>& app,
                                           const std::string& create, bool keeps_marks) {
  app(create);
  app("INSERT INTO marked (id, note) VALUES (1, 'a'), (2, 'b')");
  const TableRef t{"marked", {"id"}, {"id", "note"}};
  auto mark = [&] {
    auto m = source->WriteMark(t);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : std::nullopt;
  };
  // Waits (up to 30 s: PostgreSQL reports a session's counters when it has been idle for up to
  // 10 s) until the mark is present and differs from `from`; returns it.
  auto moved_from = [&](const std::optional<std::string>& from) {
    std::optional<std::string> now = mark();
    for (int i = 0; i < 300 && (!now || now == from); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      now = mark();
    }
    return now;
  };
  if (!keeps_marks) {
    EXPECT_EQ(mark(), std::nullopt);
    return;
  }
  std::optional<std::string> first = moved_from(std::nullopt);
  ASSERT_TRUE(first.has_value()) << "no write mark after an insert";
  // MariaDB's mark is the update time to the second: the writes below land in a later second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // Moves with an update and a delete, each alone.
  for (const std::string& write : {std::string("UPDATE marked SET note = 'c' WHERE id = 1"),
                                   std::string("DELETE FROM marked WHERE id = 2")}) {
    std::optional<std::string> before = mark();
    app(write);
    std::optional<std::string> after = moved_from(before);
    EXPECT_NE(after, before) << write;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  }
  // Stays put while nobody writes (reads included).
  std::optional<std::string> settled = mark();
  auto rows = source->ReadChunk(t, std::nullopt, 10);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(mark(), settled);
}

// `app` runs SQL as an application would; `create` makes `events` (id integer key, updated_at a
// timestamp with microseconds, note text) in the dialect; `timezone` is appended to each
// timestamp literal ("+00" where the column has a time zone, "" otherwise).
inline void ExpectReadChangedSinceOrdersByColumnThenKey(
    Source* source, const std::function<void(const std::string&)>& app, const std::string& create,
    const std::string& timezone) {
  app(create);
  app("INSERT INTO events VALUES (1, '2024-01-01 10:00:02" + timezone + "', 'a'), "
      "(2, '2024-01-01 10:00:01.000001" + timezone + "', 'b'), (3, '2024-01-01 10:00:01.000001" +
      timezone + "', 'c'), (4, '2024-01-01 10:00:03.5" + timezone + "', 'd')");
  TableRef events{"events", {"id"}, {"id", "note"}};
  std::vector<int64_t> ids;
  std::optional<Key> after;
  while (true) {
    auto rows = source->ReadChangedSince(events, "updated_at", after, 2);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows->empty()) break;
    for (const Row& r : *rows) ids.push_back(r.at("id").int_value());
    after = Key{rows->back().at("updated_at"), rows->back().at("id")};
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 3, 1, 4}));
  auto typo = source->ReadChangedSince(events, "updated", std::nullopt, 2);
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), Code::kNotFound);
  EXPECT_THAT(typo.status().message(), ::testing::HasSubstr("did you mean \"updated_at\""));
}

// `app` runs SQL as an application would; the table `stock` must not exist yet. `create` is the
// dialect's CREATE TABLE stock (site text, sku integer, qty integer, PRIMARY KEY (site, sku));
// `fill` inserts its 1,000 rows: for i in 0..999, site = the letter 65 + i % 7, sku = i,
// qty = i * 2.
inline void ExpectSnapshotChunksVisitEveryRowOnce(
    Source* source, const std::function<void(const std::string&)>& app, const std::string& create,
    const std::string& fill) {
  app(create);
  app(fill);
  TableRef stock{"stock", {"site", "sku"}, {"qty"}};
  for (size_t limit : {1u, 7u, 333u, 1000u, 5000u}) {
    SCOPED_TRACE(limit);
    std::set<std::pair<std::string, int64_t>> seen;
    std::optional<Key> after;
    std::optional<std::pair<std::string, int64_t>> last;
    int chunks = 0;
    while (true) {
      auto rows = source->ReadChunk(stock, after, limit);
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      if (rows->empty()) break;
      ASSERT_LE(rows->size(), limit);
      ++chunks;
      for (const Row& row : *rows) {
        std::pair<std::string, int64_t> k{row.at("site").text(), row.at("sku").int_value()};
        EXPECT_TRUE(seen.insert(k).second) << "visited twice";
        if (last) {
          EXPECT_LT(*last, k) << "not in key order";
        }
        last = k;
        EXPECT_EQ(row.at("qty").int_value(), k.second * 2);
      }
      const Row& tail = rows->back();
      after = Key{tail.at("site"), tail.at("sku")};
    }
    EXPECT_EQ(seen.size(), 1000u);
    EXPECT_EQ(chunks, static_cast<int>((1000 + limit - 1) / limit));
  }
  auto bad = source->ReadChunk(stock, Key{Value::Null(), Value::Int(1)}, 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

}  // namespace concord::testing
