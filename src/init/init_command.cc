#include "init/init_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "config/config.h"
#include "init/init.h"

namespace concord::init {

InitCommand::InitCommand(CLI::App* app) {
  cmd_ = app->add_subcommand("init", "draft a concord.yaml from two existing databases");
  cmd_->add_option("--from", from_, "the first system: sqlite:PATH, postgres://..., mysql://...")
      ->required();
  cmd_->add_option("--to", to_, "the second system, same forms")->required();
  cmd_->add_option("--out", out_, "where to write the draft")->capture_default_str();
  cmd_->add_flag("--force", force_, "overwrite --out if it exists");
}

int InitCommand::Run() {
  namespace fs = std::filesystem;
  auto from = ParseSystemUrl(from_);
  auto to = ParseSystemUrl(to_);
  for (const auto* u : {&from, &to}) {
    if (!u->ok()) {
      std::cerr << "concord init: " << u->status().message() << "\n";
      return 2;
    }
  }
  if (from->name == to->name) to->name += "_2";
  if (fs::exists(out_) && !force_) {
    std::cerr << "concord init: " << out_ << " exists; choose another --out or add --force\n";
    return 2;
  }
  auto left = OpenSystem(*from, ".");
  auto right = left.ok() ? OpenSystem(*to, ".") : left.status();
  if (!left.ok() || !right.ok()) {
    std::cerr << "concord init: " << (left.ok() ? right.status() : left.status()).ToString()
              << "\n";
    return 1;
  }
  auto proposal = Propose(from->name, left->get(), to->name, right->get());
  if (!proposal.ok()) {
    std::cerr << "concord init: " << proposal.status().ToString() << "\n";
    return 1;
  }
  std::cout << ProposalText(*proposal);
  // SQLite paths in the draft are relative to the draft's own directory.
  fs::path out_dir = fs::absolute(out_).parent_path();
  for (auto* u : {&*from, &*to}) {
    if (u->connector == "sqlite") {
      u->options["path"] = fs::relative(fs::absolute(u->options["path"]), out_dir).string();
    }
  }
  {
    std::ofstream f(out_, std::ios::trunc);
    f << DraftConfig(*from, *to, *proposal);
    if (!f) {
      std::cerr << "concord init: cannot write " << out_ << "\n";
      return 1;
    }
  }
  std::vector<ConfigError> errors;
  auto spec = LoadConfigFile(out_, &errors);
  if (!spec.ok()) {
    // A draft that does not validate is a bug in init; say so and show why.
    for (const auto& e : errors) std::cerr << e.ToString() << "\n";
    std::cerr << "concord init: the draft does not validate (please report this)\n";
    return 1;
  }
  std::cout << "\nWrote " << out_ << " (" << proposal->tables.size()
            << " entities; every guess is marked # REVIEW). It validates; next:\n"
            << "  concord -c " << out_ << " validate --connect && concord -c " << out_
            << " plan\n";
  return 0;
}

}  // namespace concord::init
