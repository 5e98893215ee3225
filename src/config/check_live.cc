// `concord validate --connect`: the checks that need the systems themselves — tables and columns
// named in bindings must exist. Everything else is checked without a connection by the loader.
#include <algorithm>
#include <map>
#include <memory>

#include "config/config.h"
#include "connectors/registry.h"

namespace concord {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string MissingHint(const std::string& found, const std::vector<std::string>& candidates,
                        std::string_view label) {
  std::string match = ClosestMatch(found, candidates);
  if (!match.empty()) return "did you mean " + Quote(match) + "?";
  if (candidates.empty() || candidates.size() > 30) return "";
  std::string out(label);
  out += ": ";
  for (size_t i = 0; i < candidates.size(); ++i) out += (i ? ", " : "") + candidates[i];
  return out;
}

}  // namespace

std::string RedactSecrets(const ConfigSpec& spec, std::string text) {
  for (const auto& [name, sys] : spec.systems) {
    for (const std::string& option : sys.secret_options) {
      auto it = sys.options.find(option);
      if (it == sys.options.end() || it->second.empty()) continue;
      for (size_t p = text.find(it->second); p != std::string::npos; p = text.find(it->second, p)) {
        text.replace(p, it->second.size(), "<redacted>");
        p += 10;
      }
    }
  }
  return text;
}

std::vector<ConfigError> CheckAgainstDatabases(const ConfigSpec& spec) {
  std::vector<ConfigError> errors;
  std::map<std::string, std::unique_ptr<Connection>> open;  // system → connection (or null)
  for (const auto& [binding_name, b] : spec.bindings) {
    const std::string path = "bindings." + binding_name;
    auto sys_it = spec.systems.find(b.system);
    if (sys_it == spec.systems.end()) continue;  // the loader reported it
    const SystemSpec& sys = sys_it->second;
    if (!open.count(sys.name)) {
      std::unique_ptr<Connection>& conn = open[sys.name];
      const ConnectorDescriptor* desc = FindConnector(sys.connector);
      if (desc == nullptr) continue;  // the loader reported it
      Result<std::unique_ptr<Connection>> r =
          desc->open(ConnectionParams{sys.name, sys.options, spec.base_dir});
      if (!r.ok()) {
        std::string message = RedactSecrets(spec, r.status().message());
        if (message.rfind(sys.name + ": ", 0) == 0) message.erase(0, sys.name.size() + 2);
        errors.push_back({sys.loc, "systems." + sys.name,
                          "cannot open " + sys.name + ": " + message,
                          "check the system's options and that it is reachable"});
        continue;
      }
      conn = std::move(r).value();
    }
    Connection* conn = open[sys.name].get();
    if (conn == nullptr || b.table.empty()) continue;
    const std::string where = sys.name + "." + b.table;
    Result<std::vector<ColumnInfo>> described = conn->DescribeTable(b.table);
    if (!described.ok()) {
      if (described.status().code() == Code::kNotFound) {
        std::vector<std::string> tables;
        if (Result<std::vector<std::string>> t = conn->ListTables(); t.ok()) tables = *t;
        errors.push_back({b.table_loc, path + ".table",
                          sys.name + ": table " + Quote(b.table) + " does not exist",
                          MissingHint(b.table, tables, "tables")});
      } else {
        errors.push_back({b.table_loc, path + ".table",
                          where + ": cannot read the table's columns: " +
                              RedactSecrets(spec, described.status().message()),
                          ""});
      }
      continue;
    }
    std::vector<std::string> columns;
    for (const ColumnInfo& c : *described) columns.push_back(c.name);
    auto exists = [&](const std::string& c) {
      return std::find(columns.begin(), columns.end(), c) != columns.end();
    };
    for (const std::string& key : b.key) {
      if (!exists(key)) {
        errors.push_back({b.key_loc, path + ".key",
                          where + ": key column " + Quote(key) + " does not exist",
                          MissingHint(key, columns, "columns")});
      }
    }
    if (b.capture == CaptureMode::kPoll && !b.poll.column.empty() && !exists(b.poll.column)) {
      errors.push_back({b.poll.loc, path + ".poll.column",
                        where + ": poll column " + Quote(b.poll.column) + " does not exist",
                        MissingHint(b.poll.column, columns, "columns")});
    }
    for (const FieldMapping& m : b.fields) {
      if (!m.column.empty() && !exists(m.column)) {
        errors.push_back({m.loc, path + ".fields." + m.field,
                          where + ": column " + Quote(m.column) + " does not exist",
                          MissingHint(m.column, columns, "columns")});
      }
    }
  }
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.loc.line, a.loc.col) < std::pair(b.loc.line, b.loc.col);
  });
  return errors;
}

}  // namespace concord
