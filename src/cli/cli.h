// The `concord` command line: parses arguments (CLI11) and runs one command. Returns the process
// exit code: 0 ok, 1 runtime failure, 2 bad usage or configuration. Each command is a sentence
// in `concord --help`.
#pragma once

namespace concord {

int RunCli(int argc, char** argv);

}  // namespace concord
