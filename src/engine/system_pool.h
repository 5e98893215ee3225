// SystemPool: the open connections to every configured system, opened on first use and dropped
// (to be reopened on the next use) after a failure, so a database that went away is reconnected
// once it is back. One thread; owns the connections.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "config/spec.h"
#include "connectors/connector.h"
#include "core/status.h"

namespace concord {

class SystemPool {
 public:
  explicit SystemPool(const ConfigSpec& spec) : spec_(spec) {}

  // The open connection to `system`; opens it when needed. Errors name the system.
  Result<Connection*> Get(const std::string& system);
  // Closes the connection to `system`; the next Get reopens it.
  void Drop(const std::string& system);

 private:
  const ConfigSpec& spec_;
  std::map<std::string, std::unique_ptr<Connection>> open_;
};

}  // namespace concord
