// PgListener: a dedicated libpq connection that LISTENs on concord's notification channel, so an
// idle engine wakes as soon as a captured table changes (the trigger function runs
// pg_notify('concord_changes', tbl)) instead of sleeping its whole poll interval.
//
// A notification is a hint: the changelog is the record of a change, and a missed notification
// only delays a change until the engine's next poll. Hence the rules below: the channel is opened
// lazily, a broken one is dropped and reopened later (1 s, doubling to 8 s, between attempts),
// and every (re)opening reports kChanged, because whatever was announced while nobody listened
// is lost.
//
// Threading: one thread (the owning PostgresConnection's). It never prints the password.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/postgres/pg_conn.h"

namespace concord::postgres_connector {

class PgListener {
 public:
  // `options` as the main connection's (the same server and database); `label` names the system
  // in the connection's messages; `channel` is the NOTIFY channel.
  PgListener(PgConn::Options options, std::string label, std::string channel);

  // Waits up to `timeout_ms` for a notification on the channel (see Source::WaitForChanges).
  // kChanged: one or more arrived (all buffered ones are consumed), or the channel was just
  // opened. kTimedOut: none arrived (also after a signal interrupted the wait). kNoSignal: the
  // channel is down and not due for another attempt yet, or the attempt failed; returned at once.
  Source::WakeUp Wait(int64_t timeout_ms);

  // Whether the LISTEN connection is open (for tests).
  bool listening() const { return conn_ != nullptr; }

 private:
  // Opens the connection and runs LISTEN; on failure schedules the next attempt.
  bool Open();
  // Consumes buffered notifications; true when there was at least one.
  bool Drain();

  PgConn::Options options_;
  std::string label_;
  std::string channel_;
  std::unique_ptr<PgConn> conn_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds retry_delay_;
};

}  // namespace concord::postgres_connector
