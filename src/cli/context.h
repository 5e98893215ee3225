// What every `concord` command shares: the global options, the exit codes, loading the config
// with every error printed, and opening the state store or the engine a command needs.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/spec.h"
#include "engine/engine.h"
#include "state/state_store.h"

namespace concord {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitDifferent = 3;  // `concord check`: the systems differ

struct Common {
  std::string config = "concord.yaml";
  bool verbose = false;
  bool quiet = false;
};

// Loads and validates the config; prints every error. nullopt → exit 2.
std::optional<ConfigSpec> LoadOrReport(const std::string& path);

// Checks the bindings against the live databases (tables, columns); prints what is wrong. A system
// that cannot be reached is only a warning (the engine retries it). false → exit 2.
bool CheckLiveSchema(const ConfigSpec& spec);

// What a command works with: the loaded config and, as it needs, the engine (which owns a state
// store) or just the state store. The spec lives on the heap: the engine keeps references to it.
struct Context {
  enum Need { kState, kEngine };
  std::unique_ptr<ConfigSpec> spec;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<StateStore> state;  // kState only; with kEngine use engine->state()

  // Loads and opens what `need` says; on failure prints why, sets *rc and returns nullopt.
  static std::optional<Context> Open(const Common& c, Need need, int* rc,
                                     bool check_live_schema = false);
};

}  // namespace concord
