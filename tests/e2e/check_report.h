// Reading `concord check --json` reports in end-to-end tests.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace concord::e2e {

// The report's differences by the first value of their key: "missing_left", "missing_right", or
// "differs" followed by the fields that differ ("differs name credit").
inline std::map<std::string, std::string> DifferencesByKey(const nlohmann::json& report) {
  std::map<std::string, std::string> found;
  for (const auto& d : report["differences"]) {
    std::string what = d["kind"];
    if (d.contains("fields")) {
      for (const auto& f : d["fields"]) what += " " + f["field"].get<std::string>();
    }
    found[d["key"][0].get<std::string>()] = what;
  }
  return found;
}

}  // namespace concord::e2e
