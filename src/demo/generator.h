// The demo's sample systems: a CRM and an ERP as two SQLite databases, generated from a seed.
//
// The CRM (crm.db) speaks English: accounts, contacts, opportunities, orders, service_tickets,
// and the products/stock tables its reps quote from (filled by concord from the ERP). Sales reps
// typed its phone numbers and dates in every layout they know ("+86 138 1234 5678",
// "13812345678", "138-1234-5678"; "2024-03-05", "2024/3/5", "20240305", "2024年3月5日").
// The ERP (erp.db) is named the way Chinese ERPs are (bd_customer, bd_material, ic_onhand,
// so_order, ar_invoice, ar_payment; columns such as cust_name, 联系电话, 信用额度), holds
// Chinese company names and addresses and +86 phones, and already knows about 60% of the CRM's
// customers from before the integration.
//
// About 2% of rows are invalid on purpose (a phone number too short, a date that does not
// exist, an e-mail without @, a negative credit limit, a negative amount, a price of "面议"),
// and about 3% of the CRM's accounts are duplicates of another account (the same company typed
// again, phone in another layout). The result lists both, so tests and the demo's report can
// say which rows concord must reject and why.
//
// Deterministic: one seed, one DemoRandom (see random.h), one fixed order of draws — the same
// seed gives the same databases on every machine.
//
// Threading: pure apart from the files it writes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace concord::demo {

struct GeneratorOptions {
  uint64_t seed = 2026;
  int customers = 5000;  // CRM accounts, duplicates included
  int orders = 3000;     // CRM orders
  int items = 2000;      // ERP materials, one inventory row each
};

// A row generated invalid on purpose.
struct InvalidRow {
  std::string system;  // "crm" | "erp"
  std::string table;   // "accounts"
  std::string key;     // the row's key as stored ("C00042")
  std::string column;  // the column at fault
  std::string problem;  // "phone number too short", "date does not exist", ...
};

struct Dataset {
  std::map<std::string, int64_t> rows;  // "crm.accounts" → row count, for every table
  std::vector<InvalidRow> invalid;
  // (duplicate account_no, the account_no it duplicates)
  std::vector<std::pair<std::string, std::string>> duplicates;
  // CRM account numbers the ERP already had before the integration.
  int64_t erp_known_customers = 0;
};

// Writes `dir`/crm.db and `dir`/erp.db (replacing them). Fails with Unavailable/InvalidArgument
// from SQLite, naming the file.
Result<Dataset> GenerateDatabases(const std::string& dir, const GeneratorOptions& options);

// The SQL schemas, for tests and docs (also used by GenerateDatabases).
const char* CrmSchemaSql();
const char* ErpSchemaSql();

// The tutorial concord.yaml the demo writes next to the databases (paths relative to it).
std::string DemoConfigYaml();

}  // namespace concord::demo
