// `concord init --from <url> --to <url> [--out concord.yaml] [--force]`: the command-line face
// of init.h — opens both systems, prints the proposal (intersection and union), writes the draft
// and checks that it validates. Exit codes: 0 ok, 1 a system could not be read, 2 bad usage (a
// bad URL, or --out exists without --force).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace concord::init {

class InitCommand {
 public:
  explicit InitCommand(CLI::App* app);
  bool parsed() const { return cmd_->parsed(); }
  int Run();

 private:
  CLI::App* cmd_;
  std::string from_, to_, out_ = "concord.yaml";
  bool force_ = false;
};

}  // namespace concord::init
