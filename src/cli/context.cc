#include "cli/context.h"

#include <iostream>

#include "config/config.h"
#include "core/clock.h"
#include "engine/logging.h"

namespace concord {

std::optional<ConfigSpec> LoadOrReport(const std::string& path) {
  std::vector<ConfigError> errors;
  auto spec = LoadConfigFile(path, &errors);
  if (spec.ok()) return std::move(spec).value();
  for (const auto& e : errors) std::cerr << e.ToString() << "\n";
  std::cerr << spec.status().message() << "\n";
  return std::nullopt;
}

bool CheckLiveSchema(const ConfigSpec& spec) {
  bool ok = true;
  for (const auto& e : CheckAgainstDatabases(spec)) {
    if (e.path.rfind("systems.", 0) == 0) {
      ComponentLogger("engine")->warn("{} (will retry)", e.message);
      continue;
    }
    std::cerr << e.ToString() << "\n";
    ok = false;
  }
  return ok;
}

std::optional<Context> Context::Open(const Common& c, Need need, int* rc,
                                     bool check_live_schema) {
  auto spec = LoadOrReport(c.config);
  if (!spec) {
    *rc = kExitUsage;
    return std::nullopt;
  }
  if (check_live_schema && !CheckLiveSchema(*spec)) {
    *rc = kExitUsage;
    return std::nullopt;
  }
  Context ctx;
  ctx.spec = std::make_unique<ConfigSpec>(std::move(*spec));
  Status failed;
  if (need == kEngine) {
    auto engine = Engine::Create(*ctx.spec, &SystemClock::Get());
    if (engine.ok()) ctx.engine = std::move(engine).value();
    else failed = engine.status();
  } else {
    auto state = StateStore::Open(ctx.spec->state_path);
    if (state.ok()) ctx.state = std::move(state).value();
    else failed = state.status();
  }
  if (!failed.ok()) {
    std::cerr << "concord: " << failed.ToString() << "\n";
    *rc = kExitRuntime;
    return std::nullopt;
  }
  return ctx;
}

}  // namespace concord
