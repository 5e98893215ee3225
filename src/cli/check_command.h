// `concord check <entity>`: the command-line face of src/reconcile — options, progress on the
// terminal, the report in the chosen format, and the exit code (0 equal, 3 different).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "reconcile/check.h"
#include "reconcile/repair.h"

namespace concord {

class CheckCommand {
 public:
  // Registers the subcommand and its options on `app`.
  explicit CheckCommand(CLI::App* app);
  bool parsed() const { return cmd_->parsed(); }
  int Run(const Common& c);

 private:
  int Repair(const ConfigSpec& spec, Engine& engine, const CheckReport& report,
             const CheckProgress& progress);

  // Keeps the result in the check history (usage errors are not kept).
  void Keep(Engine& engine, int64_t started, const Result<CheckReport>& report);

  CLI::App* cmd_;
  CheckOptions options_;
  std::vector<std::string> between_;
  bool json_ = false;
  std::string html_;
  bool repair_ = false;
  bool yes_ = false;
  std::string prefer_;
};

}  // namespace concord
