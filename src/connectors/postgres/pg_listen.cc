// The LISTEN connection of the postgres connector; see pg_listen.h.
#include "connectors/postgres/pg_listen.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <utility>

namespace concord::postgres_connector {
namespace {

constexpr std::chrono::milliseconds kFirstRetry{1000};
constexpr std::chrono::milliseconds kMaxRetry{8000};

}  // namespace

PgListener::PgListener(PgConn::Options options, std::string label, std::string channel)
    : options_(std::move(options)),
      label_(std::move(label)),
      channel_(std::move(channel)),
      retry_delay_(kFirstRetry) {
  options_.application_name += " (listen)";
  options_.statement_timeout_ms = 10000;  // LISTEN is all it runs
}

bool PgListener::Open() {
  auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) return false;
  Result<std::unique_ptr<PgConn>> c = PgConn::Connect(options_, label_);
  if (c.ok() && (*c)->Exec("LISTEN " + QuoteIdent(channel_)).ok()) {
    conn_ = std::move(c).value();
    retry_delay_ = kFirstRetry;
    return true;
  }
  // The engine learns about a server that is down from its own statements; this channel only
  // falls back to polling until the next attempt.
  next_attempt_ = now + retry_delay_;
  retry_delay_ = std::min(retry_delay_ * 2, kMaxRetry);
  return false;
}

bool PgListener::Drain() {
  bool any = false;
  while (PGnotify* n = PQnotifies(conn_->raw())) {
    PQfreemem(n);
    any = true;
  }
  return any;
}

Source::WakeUp PgListener::Wait(int64_t timeout_ms) {
  using WakeUp = Source::WakeUp;
  if (conn_ != nullptr && (conn_->broken() || PQsocket(conn_->raw()) < 0)) conn_.reset();
  if (conn_ == nullptr) {
    // Announcements made while nobody listened are lost: have the caller read once now.
    return Open() ? WakeUp::kChanged : WakeUp::kNoSignal;
  }
  if (Drain()) return WakeUp::kChanged;  // arrived with an earlier read
  pollfd pfd{PQsocket(conn_->raw()), POLLIN, 0};
  int ready = poll(&pfd, 1, static_cast<int>(std::clamp<int64_t>(timeout_ms, 0, 60000)));
  if (ready <= 0) return WakeUp::kTimedOut;  // timeout, or EINTR (a stop signal: caller checks)
  if (PQconsumeInput(conn_->raw()) == 0) {
    // The server went away. Try again at once on the next call (a restart may already be over),
    // then with backoff.
    conn_.reset();
    next_attempt_ = {};
    return WakeUp::kNoSignal;
  }
  return Drain() ? WakeUp::kChanged : WakeUp::kTimedOut;
}

}  // namespace concord::postgres_connector
