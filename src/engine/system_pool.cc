#include "engine/system_pool.h"

#include "connectors/registry.h"

namespace concord {

Result<Connection*> SystemPool::Get(const std::string& system) {
  auto it = open_.find(system);
  if (it != open_.end()) return it->second.get();
  auto sys = spec_.systems.find(system);
  if (sys == spec_.systems.end()) return NotFound("no system named \"" + system + "\"");
  const ConnectorDescriptor* d = FindConnector(sys->second.connector);
  if (d == nullptr) {
    return NotFound(system + ": unknown connector \"" + sys->second.connector + "\"");
  }
  ConnectionParams params{system, sys->second.options, spec_.base_dir};
  auto conn = d->open(params);
  if (!conn.ok()) return conn.status();
  Connection* raw = conn->get();
  open_[system] = std::move(conn).value();
  return raw;
}

void SystemPool::Drop(const std::string& system) { open_.erase(system); }

}  // namespace concord
