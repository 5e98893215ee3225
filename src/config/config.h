// Loading concord.yaml: parse, resolve secrets, validate in full, and return a ConfigSpec — or
// every error found, each with file:line:col, the dotted path, what was expected, what was found,
// and a hint ("did you mean ...?", the allowed list).
//
// Pure functions; no shared state; safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/spec.h"
#include "core/did_you_mean.h"  // ClosestMatch, used with every config error
#include "core/status.h"

namespace concord {

struct ConfigError {
  Location loc;
  std::string path;     // dotted path: "bindings.crm.customer.fields.nme"
  std::string message;  // what was expected and what was found
  std::string hint;     // "did you mean \"name\"?" or the allowed values; may be empty
  // concord.yaml:12:5: bindings.crm.customer.fields.nme: unknown field "nme"
  //   hint: did you mean "name"?
  std::string ToString() const;
};

// Reads and validates `path`. On success returns the spec and leaves `errors` empty. On failure
// returns InvalidArgument ("concord.yaml: 3 errors") and fills `errors` with every problem found,
// in file order. A file that cannot be read gives one error, "cannot read <path>: <reason>".
Result<ConfigSpec> LoadConfigFile(const std::string& path, std::vector<ConfigError>* errors);

// Same, from text (tests, `concord demo`). `name` stands for the file in locations; relative
// paths resolve against `base_dir`.
Result<ConfigSpec> LoadConfigString(const std::string& yaml, const std::string& name,
                                    const std::string& base_dir, std::vector<ConfigError>* errors);


// `concord validate --connect`: opens every system through its connector and checks that each
// binding's table and mapped/key columns exist, with did-you-mean on tables and columns. Systems
// that cannot be opened yield one error each (naming the system and the reason).
std::vector<ConfigError> CheckAgainstDatabases(const ConfigSpec& spec);

// The user reference for concord.yaml in Markdown, rendered from the declared spec (sections,
// keys, types, defaults, ranges, docs) and the connector registry. docs/configuration.md is
// exactly this text; config_test fails when the two differ.
std::string ConfigReferenceMarkdown();

// Replaces every secret option value of `spec` that occurs in `text` with "<redacted>", for
// messages that come from elsewhere (a connector's error) and may quote a secret.
std::string RedactSecrets(const ConfigSpec& spec, std::string text);

}  // namespace concord
