// concord's entry point. Holds the only top-level catch: anything that escapes (a bug, or a
// third-party library throwing where we did not expect it) becomes exit code 1 with a message.
// Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.
#include <exception>
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  try {
    return concord::RunCli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "concord: internal error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << "concord: internal error\n";
    return 1;
  }
}
