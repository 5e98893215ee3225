// `concord init --from <url> --to <url>`: a first draft of concord.yaml for two databases the
// user already has, so nobody starts from a blank page.
//
// It lists both systems' tables (Connection::ListTables / DescribeTable), samples rows of each
// (Source::ReadChunk), and proposes which tables hold the same entity and which columns the same
// field, from two kinds of evidence:
//  - names, through a synonym table of business words in English, German, Chinese and pinyin
//    (accounts / customers / clients / kunden / kehu / 客户; tel / mobile / phone / dianhua /
//    电话; cust_name / 客户名称 / mc) after splitting names into words (snake_case, camelCase,
//    ERP module prefixes such as bd_, so_, ic_ dropped);
//  - data: sampled values that are equal once normalized by the quality normalizers (phones as
//    E.164, dates as ISO, decimals exactly, text trimmed and case-folded), so "13812345678" and
//    "+86 138 1234 5678" count as the same value.
// The proposal shows the intersection (matched tables and fields) and the union (what each side
// has alone). The draft config marks every guess `# REVIEW: <why>` and passes
// `concord validate`; nothing is written to either database.
//
// Threading: one thread; owns the connections it opens.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "core/status.h"

namespace concord::init {

// A system given as a URL: sqlite:path/to.db, postgres://user[:pw]@host[:port]/db (also
// postgresql://), mysql://user[:pw]@host[:port]/db (also mariadb://).
struct SystemUrl {
  std::string name;       // system name for the config: the file's or database's name
  std::string connector;  // "sqlite", "postgres", "mysql"
  std::map<std::string, std::string> options;  // connector options, password included
  std::string password;   // kept out of the draft config
};
// InvalidArgument naming the URL and the accepted forms.
Result<SystemUrl> ParseSystemUrl(const std::string& url);

struct ColumnMatch {
  std::string field;        // canonical field name proposed ("phone")
  std::string type;         // canonical type proposed ("phone", "decimal", ...)
  std::string left, right;  // the two columns
  bool key = false;         // both are their table's primary key
  std::string reference;    // for a reference field: the entity it points to
  std::string why;          // "names: phone; data: 41 of 60 sampled values equal as E.164 phones"
  std::string review;       // what a person should check ("" when nothing in particular)
};

struct TableMatch {
  std::string entity;       // proposed entity name ("customer")
  std::string left, right;  // the two tables
  std::string why;
  std::vector<ColumnMatch> columns;  // the intersection
  std::vector<std::string> left_only, right_only;  // the union's two halves
};

struct Proposal {
  std::string left_system, right_system;
  std::vector<TableMatch> tables;
  std::vector<std::string> left_only, right_only;  // tables with no counterpart
};

struct InitOptions {
  size_t sample_rows = 500;  // rows read from the start of each table
};

// Inspects both connections and proposes the mapping. Unavailable/NotFound from the connectors.
Result<Proposal> Propose(const std::string& left_system, Connection* left,
                         const std::string& right_system, Connection* right,
                         const InitOptions& options = {});

// The proposal for people: per matched table the fields both have (with why), then what each
// side has alone; then the tables with no counterpart.
std::string ProposalText(const Proposal& p);

// The draft concord.yaml: systems, entities, bindings and a flow each way per entity, every
// guess marked `# REVIEW:`.
std::string DraftConfig(const SystemUrl& from, const SystemUrl& to, const Proposal& p);

// Opens the system a URL names through the connector registry.
Result<std::unique_ptr<Connection>> OpenSystem(const SystemUrl& url, const std::string& base_dir);

}  // namespace concord::init
