// `concord demo [--dir DIR] [--seconds N] [--seed S]`: the command-line face of demo.h —
// options, the live display only when stderr is a terminal, quiet engine logs (they would tear
// the progress line; -v brings them back), and the exit code (0 ok, 1 failure, 2 bad usage).
#pragma once

#include <CLI/CLI.hpp>

#include "demo/demo.h"

namespace concord::demo {

class DemoCommand {
 public:
  // Registers the subcommand and its options on `app`.
  explicit DemoCommand(CLI::App* app);
  bool parsed() const { return cmd_->parsed(); }
  int Run(bool verbose);

 private:
  CLI::App* cmd_;
  DemoOptions options_;
};

}  // namespace concord::demo
