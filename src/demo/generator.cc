// Generates the demo's CRM and ERP databases (see generator.h for what they hold and why).
// Every draw goes through one DemoRandom in a fixed order; changing the order of draws changes
// every number the README tour quotes (demo_e2e_test pins them).
#include "demo/generator.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "connectors/sqlite/sqlite_db.h"
#include "demo/random.h"
#include "demo/sample_data.h"

namespace concord::demo {
namespace {

const char* kCrmSchema = R"sql(
CREATE TABLE accounts (
  account_no   TEXT PRIMARY KEY,
  account_name TEXT NOT NULL,
  phone        TEXT,
  email        TEXT,
  industry     TEXT,
  tier          TEXT,         -- sales segment: Platinum / Gold / Silver / On hold
  credit_rating TEXT,         -- shown to reps; decided in the ERP
  credit_limit  TEXT,         -- likewise
  created_on   TEXT,          -- as reps typed it
  owner        TEXT
);
CREATE TABLE contacts (
  contact_id INTEGER PRIMARY KEY,
  account_no TEXT NOT NULL,
  full_name  TEXT NOT NULL,
  mobile     TEXT,
  email      TEXT,
  job_title  TEXT
);
CREATE TABLE opportunities (
  opp_id         TEXT PRIMARY KEY,
  account_no     TEXT NOT NULL,
  title          TEXT,
  amount         TEXT,
  stage          TEXT,        -- prospecting / proposal / negotiation / won / lost
  expected_close TEXT
);
CREATE TABLE orders (
  order_no    TEXT PRIMARY KEY,
  account_no  TEXT NOT NULL,
  product_sku TEXT,
  quantity    INTEGER,
  amount      TEXT,
  status      TEXT NOT NULL DEFAULT 'draft',  -- draft / approved / shipped / cancelled
  order_date  TEXT
);
CREATE TABLE service_tickets (
  ticket_no  TEXT PRIMARY KEY,
  account_no TEXT NOT NULL,
  subject    TEXT,
  priority   TEXT,
  status     TEXT,
  opened_on  TEXT
);
CREATE TABLE products (
  sku          TEXT PRIMARY KEY,
  product_name TEXT NOT NULL,
  unit         TEXT,
  list_price   TEXT
);
CREATE TABLE stock (
  sku       TEXT PRIMARY KEY,
  warehouse TEXT,
  on_hand   INTEGER
);
)sql";

const char* kErpSchema = R"sql(
CREATE TABLE bd_customer (
  cust_code TEXT PRIMARY KEY,
  cust_name TEXT NOT NULL,
  联系电话  TEXT,
  电子邮箱  TEXT,
  地址      TEXT,
  信用等级  TEXT,
  信用额度  NUMERIC,
  建档日期  TEXT
);
CREATE TABLE bd_material (
  inv_code TEXT PRIMARY KEY,
  inv_name TEXT NOT NULL,
  规格型号 TEXT,
  计量单位 TEXT,
  参考售价 TEXT
);
CREATE TABLE ic_onhand (
  inv_code TEXT PRIMARY KEY REFERENCES bd_material(inv_code),
  仓库     TEXT,
  现存量   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE so_order (
  so_code   TEXT PRIMARY KEY,
  cust_code TEXT NOT NULL,
  inv_code  TEXT,
  数量      INTEGER,
  订单金额  NUMERIC,
  状态      TEXT,           -- 草稿 / 已审核 / 已发货 / 已作废
  订单日期  TEXT
);
CREATE TABLE ar_invoice (
  invoice_no TEXT PRIMARY KEY,
  so_code    TEXT NOT NULL,
  cust_code  TEXT NOT NULL,
  发票金额   NUMERIC,
  开票日期   TEXT
);
CREATE TABLE ar_payment (
  pay_no     TEXT PRIMARY KEY,
  invoice_no TEXT NOT NULL,
  cust_code  TEXT NOT NULL,
  收款金额   NUMERIC,
  收款日期   TEXT
);
)sql";

// `k` distinct indices of [lo, n), drawn by a partial Fisher-Yates shuffle.
std::set<int> Choose(DemoRandom& rng, int lo, int n, int k) {
  std::vector<int> idx;
  for (int i = lo; i < n; ++i) idx.push_back(i);
  std::set<int> out;
  for (int i = 0; i < k && i < static_cast<int>(idx.size()); ++i) {
    int j = i + static_cast<int>(rng.Below(idx.size() - i));
    std::swap(idx[i], idx[j]);
    out.insert(idx[i]);
  }
  return out;
}

struct Account {
  std::string code, name, name_short, pinyin, phone_e164_digits;  // national digits
  bool foreign = false, landline = false;
  std::string area;  // landline area code ("021")
  std::string email, industry, tier, created_iso, address;
};

// Inserts rows into `table` with one prepared statement.
class Inserter {
 public:
  static Result<Inserter> Make(SqliteDb* db, const std::string& table, int columns) {
    std::string sql = "INSERT INTO " + QuoteIdent(table) + " VALUES (";
    for (int i = 0; i < columns; ++i) sql += i ? ",?" : "?";
    ASSIGN_OR_RETURN(SqliteStmt stmt, db->Prepare(sql + ")"));
    return Inserter(std::move(stmt));
  }
  Status Add(const std::vector<Value>& values) {
    RETURN_IF_ERROR(stmt_.BindAll(values));
    RETURN_IF_ERROR(stmt_.Run());
    ++count_;
    return stmt_.Reset();
  }
  int64_t count() const { return count_; }

 private:
  explicit Inserter(SqliteStmt stmt) : stmt_(std::move(stmt)) {}
  SqliteStmt stmt_;
  int64_t count_ = 0;
};

class Generator {
 public:
  Generator(const GeneratorOptions& o) : o_(o), rng_(o.seed) {}

  Status Run(SqliteDb* crm, SqliteDb* erp, Dataset* out) {
    out_ = out;
    MakeAccounts();
    RETURN_IF_ERROR(crm->Exec("BEGIN"));
    RETURN_IF_ERROR(erp->Exec("BEGIN"));
    RETURN_IF_ERROR(WriteAccounts(crm, erp));
    RETURN_IF_ERROR(WriteContacts(crm));
    RETURN_IF_ERROR(WriteMaterials(erp));
    RETURN_IF_ERROR(WriteOpportunities(crm));
    RETURN_IF_ERROR(WriteOrders(crm));
    RETURN_IF_ERROR(WriteTickets(crm));
    RETURN_IF_ERROR(crm->Exec("COMMIT"));
    RETURN_IF_ERROR(erp->Exec("COMMIT"));
    for (auto* db : {crm, erp}) {
      const std::string sys = db == crm ? "crm" : "erp";
      ASSIGN_OR_RETURN(SqliteStmt q, db->Prepare("SELECT name FROM sqlite_master WHERE type = "
                                                 "'table' ORDER BY name"));
      std::vector<std::string> tables;
      while (true) {
        ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        tables.push_back(q.ColumnText(0));
      }
      for (const auto& t : tables) {
        ASSIGN_OR_RETURN(auto n, db->QueryValue("SELECT count(*) FROM " + QuoteIdent(t)));
        out->rows[sys + "." + t] = n ? n->int_value() : 0;
      }
    }
    return Status::Ok();
  }

 private:
  std::string Mobile() {
    return rng_.Pick(MobilePrefixes()) + rng_.Digits(8);
  }

  // A date between 2015 and 2026 as {y, m, d}.
  std::array<int, 3> Date(int from_year, int to_year) {
    int y = static_cast<int>(rng_.Between(from_year, to_year));
    int m = static_cast<int>(rng_.Between(1, 12));
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = kDays[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    return {y, m, static_cast<int>(rng_.Between(1, dim))};
  }
  static std::string Iso(const std::array<int, 3>& d) {
    return fmt::format("{:04}-{:02}-{:02}", d[0], d[1], d[2]);
  }
  // A date the way a rep types it: one of four layouts.
  std::string TypedDate(const std::array<int, 3>& d) {
    switch (rng_.Weighted({55, 20, 15, 10})) {
      case 0: return Iso(d);
      case 1: return fmt::format("{}/{}/{}", d[0], d[1], d[2]);
      case 2: return fmt::format("{:04}{:02}{:02}", d[0], d[1], d[2]);
      default: return fmt::format("{}年{}月{}日", d[0], d[1], d[2]);
    }
  }
  std::string ImpossibleDate() {
    int y = static_cast<int>(rng_.Between(2018, 2025));
    switch (rng_.Below(3)) {
      case 0: return fmt::format("{}-02-30", y);
      case 1: return fmt::format("{}-13-{:02}", y, rng_.Between(1, 28));
      default: return fmt::format("{}/4/31", y);
    }
  }
  // How a CRM rep types a phone number.
  std::string TypedPhone(const Account& a) {
    const std::string& n = a.phone_e164_digits;
    if (a.foreign) return "+852 " + n.substr(0, 4) + " " + n.substr(4);
    if (a.landline) {
      std::string local = n.substr(a.area.size() - 1);
      return rng_.PerMille(500) ? a.area + "-" + local.substr(0, 4) + " " + local.substr(4)
                                : "(" + a.area + ") " + local;
    }
    switch (rng_.Weighted({30, 30, 25, 15})) {
      case 0: return "+86 " + n.substr(0, 3) + " " + n.substr(3, 4) + " " + n.substr(7);
      case 1: return n;
      case 2: return n.substr(0, 3) + "-" + n.substr(3, 4) + "-" + n.substr(7);
      default: return n.substr(0, 3) + " " + n.substr(3, 4) + " " + n.substr(7);
    }
  }
  // How the ERP stores it: +86 and spaces (its binding writes `format: international`).
  static std::string ErpPhone(const Account& a) {
    const std::string& n = a.phone_e164_digits;
    if (a.foreign) return "+852 " + n.substr(0, 4) + " " + n.substr(4);
    if (a.landline) {
      std::string area = a.area.substr(1);
      std::string local = n.substr(area.size());
      return "+86 " + area + " " + local.substr(0, 4) + " " + local.substr(4);
    }
    return "+86 " + n.substr(0, 3) + " " + n.substr(3, 4) + " " + n.substr(7);
  }

  void MakeAccounts() {
    const int n = o_.customers;
    const int dups = n * 3 / 100;
    const int invalid = n * 2 / 100;
    std::set<int> dup_at = Choose(rng_, n / 50, n, dups);
    std::set<std::string> names;
    for (int i = 0; i < n; ++i) {
      Account a;
      a.code = fmt::format("C{:05}", i + 1);
      if (dup_at.count(i) && !originals_.empty()) {
        // The same company typed again later: same name (sometimes with a stray blank or a
        // full-width bracket), the phone in another layout, a new account number.
        const Account& orig = accounts_[originals_[rng_.Below(originals_.size())]];
        std::string code = a.code;
        a = orig;
        a.code = code;
        if (rng_.PerMille(300)) a.name += " ";
        a.created_iso = Iso(Date(2025, 2026));
        out_->duplicates.push_back({a.code, orig.code});
        dup_flags_.push_back(true);
        accounts_.push_back(a);
        continue;
      }
      a.foreign = rng_.PerMille(40);
      if (a.foreign) {
        do {
          a.name = rng_.Pick(ForeignFirstWords()) + " " + rng_.Pick(ForeignSecondWords()) + " " +
                   rng_.Pick(ForeignSuffixes());
        } while (!names.insert(a.name).second);
        a.pinyin = a.name.substr(0, a.name.find(' '));
        std::transform(a.pinyin.begin(), a.pinyin.end(), a.pinyin.begin(), ::tolower);
        // Hong Kong fixed lines: 21, 23-29 are allocated throughout (22 and 20 are not).
        a.phone_e164_digits = "2" + std::string(1, "13456789"[rng_.Below(8)]) + rng_.Digits(6);
        a.address = "香港九龙尖沙咀广东道 " + std::to_string(rng_.Between(1, 300)) + " 号";
      } else {
        const CityInfo* city;
        const Brand* brand;
        std::string industry_cn;
        do {
          city = &rng_.Pick(Cities());
          brand = &rng_.Pick(Brands());
          industry_cn = rng_.Pick(IndustriesCn());
          a.name = city->name + brand->hanzi + industry_cn + rng_.Pick(CompanySuffixes());
        } while (!names.insert(a.name).second);
        a.name_short = city->name + brand->hanzi + industry_cn;
        a.pinyin = brand->pinyin;
        a.landline = rng_.PerMille(250);
        if (a.landline) {
          a.area = city->area_code;
          // Area code without its 0, then an 8-digit local number that starts with 2-8.
          a.phone_e164_digits = a.area.substr(1) + std::to_string(rng_.Between(2, 8)) +
                                rng_.Digits(7);
        } else {
          a.phone_e164_digits = Mobile();
        }
        a.address = city->province + city->name + "市" + rng_.Pick(city->districts) +
                    rng_.Pick(Roads()) + std::to_string(rng_.Between(1, 999)) + "号";
      }
      a.email = rng_.Pick(EmailLocals()) + "@" + a.pinyin + rng_.Pick(EmailDomains());
      a.industry = rng_.Pick(IndustriesEn());
      a.tier = std::to_string(rng_.Weighted({8, 22, 60, 10}));
      a.created_iso = Iso(Date(2015, 2026));
      originals_.push_back(static_cast<int>(accounts_.size()));
      dup_flags_.push_back(false);
      accounts_.push_back(a);
    }
    invalid_accounts_ = Choose(rng_, 0, n, invalid);
  }

  Status WriteAccounts(SqliteDb* crm, SqliteDb* erp) {
    static const char* kTiers[] = {"Platinum", "Gold", "Silver", "On hold"};
    static const char* kGrades[] = {"A", "B", "C", "D"};
    static const int kLimits[] = {800000, 300000, 100000, 0};
    ASSIGN_OR_RETURN(Inserter ins, Inserter::Make(crm, "accounts", 10));
    ASSIGN_OR_RETURN(Inserter erp_ins, Inserter::Make(erp, "bd_customer", 8));
    for (size_t i = 0; i < accounts_.size(); ++i) {
      const Account& a = accounts_[i];
      std::string phone = TypedPhone(a);
      std::string email = a.email;
      std::array<int, 3> created{};
      std::string created_typed;
      {
        int y = 0, m = 0, d = 0;
        std::sscanf(a.created_iso.c_str(), "%d-%d-%d", &y, &m, &d);
        created = {y, m, d};
        created_typed = TypedDate(created);
      }
      if (invalid_accounts_.count(static_cast<int>(i))) {
        switch (rng_.Weighted({40, 30, 30})) {
          case 0:
            phone = a.phone_e164_digits.substr(0, 3) + "-" + a.phone_e164_digits.substr(3, 4);
            Invalid("crm", "accounts", a.code, "phone", "phone number too short");
            break;
          case 1:
            created_typed = ImpossibleDate();
            Invalid("crm", "accounts", a.code, "created_on", "date does not exist");
            break;
          default:
            email = a.email.substr(0, a.email.find('@')) + "." + a.email.substr(a.email.find('@') + 1);
            Invalid("crm", "accounts", a.code, "email", "e-mail address without @");
        }
      }
      int tier = std::stoi(a.tier);
      std::string owner = rng_.Pick(SalesReps());
      RETURN_IF_ERROR(ins.Add({Value::Text(a.code), Value::Text(a.name), Value::Text(phone),
                               Value::Text(email), Value::Text(a.industry),
                               Value::Text(kTiers[tier]), Value::Null(), Value::Null(),
                               Value::Text(created_typed), Value::Text(owner)}));
      // The ERP knows about 60% of the original customers from before the integration.
      if (!dup_flags_[i] && rng_.PerMille(600)) {
        std::string limit = fmt::format("{}.00", kLimits[tier] / 10 * rng_.Between(5, 15));
        if (rng_.PerMille(20)) {
          limit = fmt::format("-{}.00", rng_.Between(1, 50) * 1000);
          Invalid("erp", "bd_customer", a.code, "信用额度", "negative credit limit");
        }
        // A sixth of them under the short name the ERP clerk typed; concord renames them.
        std::string name = !a.name_short.empty() && rng_.PerMille(170) ? a.name_short : a.name;
        RETURN_IF_ERROR(erp_ins.Add({Value::Text(a.code), Value::Text(name),
                                     Value::Text(ErpPhone(a)),
                                     rng_.PerMille(700) ? Value::Text(a.email) : Value::Null(),
                                     Value::Text(a.address), Value::Text(kGrades[tier]),
                                     Value::Text(limit), Value::Text(a.created_iso)}));
        ++out_->erp_known_customers;
      }
    }
    return Status::Ok();
  }

  Status WriteContacts(SqliteDb* crm) {
    ASSIGN_OR_RETURN(Inserter ins, Inserter::Make(crm, "contacts", 6));
    int id = 1;
    for (const Account& a : accounts_) {
      int k = static_cast<int>(rng_.Weighted({10, 50, 30, 10}));
      for (int j = 0; j < k; ++j) {
        std::string name = rng_.Pick(Surnames()) + rng_.Pick(GivenNames());
        std::string mobile = Mobile();
        RETURN_IF_ERROR(ins.Add({Value::Int(id++), Value::Text(a.code), Value::Text(name),
                                 Value::Text(mobile), Value::Null(),
                                 Value::Text(rng_.Pick(JobTitles()))}));
      }
    }
    return Status::Ok();
  }

  Status WriteMaterials(SqliteDb* erp) {
    ASSIGN_OR_RETURN(Inserter mat, Inserter::Make(erp, "bd_material", 5));
    ASSIGN_OR_RETURN(Inserter onhand, Inserter::Make(erp, "ic_onhand", 3));
    std::set<int> bad_price = Choose(rng_, 0, o_.items, o_.items * 2 / 100);
    for (int i = 0; i < o_.items; ++i) {
      const Material& m = rng_.Pick(Materials());
      std::string code = fmt::format("M{:05}", 10001 + i);
      std::string spec = rng_.Pick(m.specs);
      int64_t cents = rng_.Between(m.min_price * 100, m.max_price * 100);
      std::string price = fmt::format("{}.{:02}", cents / 100, cents % 100);
      if (bad_price.count(i)) {
        price = "面议";
        Invalid("erp", "bd_material", code, "参考售价", "price is not a number");
      }
      prices_.push_back(bad_price.count(i) ? -1 : cents);
      skus_.push_back(code);
      RETURN_IF_ERROR(mat.Add({Value::Text(code), Value::Text(m.name + " " + spec),
                               Value::Text(spec), Value::Text(m.unit), Value::Text(price)}));
      RETURN_IF_ERROR(onhand.Add({Value::Text(code), Value::Text(rng_.Pick(Warehouses())),
                                  Value::Int(rng_.Between(0, 5000))}));
    }
    return Status::Ok();
  }

  Status WriteOpportunities(SqliteDb* crm) {
    static const std::vector<std::string> kStages = {"prospecting", "proposal", "negotiation",
                                                     "won", "lost"};
    ASSIGN_OR_RETURN(Inserter ins, Inserter::Make(crm, "opportunities", 6));
    int n = o_.orders * 4 / 3;
    for (int i = 0; i < n; ++i) {
      const Account& a = accounts_[rng_.Below(accounts_.size())];
      const Material& m = rng_.Pick(Materials());
      RETURN_IF_ERROR(ins.Add({Value::Text(fmt::format("OP{:06}", 100001 + i)),
                               Value::Text(a.code), Value::Text(m.name + "采购项目"),
                               Value::Text(fmt::format("{}.00", rng_.Between(5, 500) * 1000)),
                               Value::Text(kStages[rng_.Weighted({25, 25, 20, 15, 15})]),
                               Value::Text(Iso(Date(2026, 2027)))}));
    }
    return Status::Ok();
  }

  Status WriteOrders(SqliteDb* crm) {
    static const std::vector<std::string> kStatus = {"draft", "approved", "cancelled"};
    ASSIGN_OR_RETURN(Inserter ins, Inserter::Make(crm, "orders", 7));
    std::set<int> bad = Choose(rng_, 0, o_.orders, o_.orders * 2 / 100);
    for (int i = 0; i < o_.orders; ++i) {
      std::string no = fmt::format("SO{:06}", 200001 + i);
      const Account& a = accounts_[rng_.Below(accounts_.size())];
      size_t p = rng_.Below(skus_.size());
      int64_t qty = rng_.Between(1, 40);
      int64_t unit = prices_[p] >= 0 ? prices_[p] : rng_.Between(1000, 90000);
      int64_t cents = unit * qty;
      std::string amount = fmt::format("{}.{:02}", cents / 100, cents % 100);
      std::string date = TypedDate(Date(2025, 2026));
      std::string status = kStatus[rng_.Weighted({30, 60, 10})];
      if (bad.count(i)) {
        if (rng_.PerMille(500)) {
          date = ImpossibleDate();
          Invalid("crm", "orders", no, "order_date", "date does not exist");
        } else {
          amount = "-" + amount;
          Invalid("crm", "orders", no, "amount", "negative amount");
        }
      }
      RETURN_IF_ERROR(ins.Add({Value::Text(no), Value::Text(a.code), Value::Text(skus_[p]),
                               Value::Int(qty), Value::Text(amount), Value::Text(status),
                               Value::Text(date)}));
    }
    return Status::Ok();
  }

  Status WriteTickets(SqliteDb* crm) {
    static const std::vector<std::string> kPriority = {"low", "normal", "high", "urgent"};
    static const std::vector<std::string> kStatus = {"open", "in progress", "closed"};
    ASSIGN_OR_RETURN(Inserter ins, Inserter::Make(crm, "service_tickets", 6));
    int n = o_.orders / 2;
    for (int i = 0; i < n; ++i) {
      const Account& a = accounts_[rng_.Below(accounts_.size())];
      RETURN_IF_ERROR(ins.Add({Value::Text(fmt::format("T{:06}", 300001 + i)),
                               Value::Text(a.code), Value::Text(rng_.Pick(TicketSubjects())),
                               Value::Text(kPriority[rng_.Weighted({20, 50, 25, 5})]),
                               Value::Text(kStatus[rng_.Weighted({20, 15, 65})]),
                               Value::Text(TypedDate(Date(2025, 2026)))}));
    }
    return Status::Ok();
  }

  void Invalid(const char* sys, const char* table, const std::string& key, const char* col,
               const char* problem) {
    out_->invalid.push_back({sys, table, key, col, problem});
  }

  GeneratorOptions o_;
  DemoRandom rng_;
  Dataset* out_ = nullptr;
  std::vector<Account> accounts_;
  std::vector<int> originals_;
  std::vector<bool> dup_flags_;
  std::set<int> invalid_accounts_;
  std::vector<std::string> skus_;
  std::vector<int64_t> prices_;  // cents; -1 where the price is not a number
};

}  // namespace

const char* CrmSchemaSql() { return kCrmSchema; }
const char* ErpSchemaSql() { return kErpSchema; }

Result<Dataset> GenerateDatabases(const std::string& dir, const GeneratorOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InvalidArgument("demo: cannot create directory \"" + dir + "\": " + ec.message());
  auto open = [&](const std::string& name) -> Result<std::unique_ptr<SqliteDb>> {
    std::string path = dir + "/" + name + ".db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
    SqliteDb::Options o;
    o.create = true;
    return SqliteDb::Open(path, o, name);
  };
  ASSIGN_OR_RETURN(auto crm, open("crm"));
  ASSIGN_OR_RETURN(auto erp, open("erp"));
  RETURN_IF_ERROR(crm->Exec(kCrmSchema));
  RETURN_IF_ERROR(erp->Exec(kErpSchema));
  Dataset out;
  Generator g(options);
  RETURN_IF_ERROR(g.Run(crm.get(), erp.get(), &out));
  return out;
}

}  // namespace concord::demo
