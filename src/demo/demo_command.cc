#include "demo/demo_command.h"

#include <unistd.h>

#include <iostream>

#include "engine/logging.h"

namespace concord::demo {

DemoCommand::DemoCommand(CLI::App* app) {
  cmd_ = app->add_subcommand(
      "demo", "generate a sample CRM and ERP, sync them while business goes on, and report");
  cmd_->add_option("--dir", options_.dir, "where the databases, config and state go")
      ->capture_default_str();
  cmd_->add_option("--seconds", options_.seconds, "how long business is simulated")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  cmd_->add_option("--seed", options_.seed, "seed of the generated data")->capture_default_str();
}

int DemoCommand::Run(bool verbose) {
  options_.tty = isatty(STDERR_FILENO) != 0;
  SetLogLevel(verbose ? spdlog::level::debug : spdlog::level::err);
  Status s = RunDemo(options_, std::cout, std::cerr);
  std::cout.flush();
  if (s.ok()) return 0;
  std::cerr << "concord demo: " << s.ToString() << "\n";
  return s.code() == Code::kInvalidArgument ? 2 : 1;
}

}  // namespace concord::demo
