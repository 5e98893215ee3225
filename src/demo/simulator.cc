// The demo's business events (see simulator.h). Each event reads what it needs, then writes in
// one transaction, and notes the commit time of every captured row it changed.
#include "demo/simulator.h"

#include <ctime>

#include <fmt/format.h>

#include "core/change.h"
#include "demo/sample_data.h"

namespace concord::demo {
namespace {

using Statements = std::vector<std::pair<std::string, std::vector<Value>>>;

int64_t AsInt(const Value& v) {
  if (v.kind() == ValueKind::kInt) return v.int_value();
  if (v.kind() == ValueKind::kReal) return static_cast<int64_t>(v.real_value());
  if (v.kind() == ValueKind::kText) return std::atoll(v.text().c_str());
  return 0;
}

}  // namespace

Result<std::unique_ptr<BusinessSimulator>> BusinessSimulator::Open(const std::string& dir,
                                                                   uint64_t seed,
                                                                   const Clock* clock) {
  SqliteDb::Options o;
  o.create = false;
  o.busy_timeout_ms = 10000;
  ASSIGN_OR_RETURN(auto crm, SqliteDb::Open(dir + "/crm.db", o, "crm"));
  ASSIGN_OR_RETURN(auto erp, SqliteDb::Open(dir + "/erp.db", o, "erp"));
  std::unique_ptr<BusinessSimulator> s(
      new BusinessSimulator(std::move(crm), std::move(erp), seed, clock));
  auto count = [&](const char* table) -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto v, s->crm_->QueryValue(std::string("SELECT count(*) FROM ") + table));
    return v ? v->int_value() : 0;
  };
  ASSIGN_OR_RETURN(s->next_account_, count("accounts"));
  ASSIGN_OR_RETURN(s->next_order_, count("orders"));
  ASSIGN_OR_RETURN(s->next_opp_, count("opportunities"));
  ASSIGN_OR_RETURN(s->next_ticket_, count("service_tickets"));
  s->next_account_ += 1;
  s->next_order_ += 200001;
  s->next_opp_ += 100001;
  s->next_ticket_ += 300001;
  return s;
}

Status BusinessSimulator::Step() {
  // Weights: what a busy sales and fulfilment day looks like.
  static const std::vector<int> kWeights = {12, 14, 16, 6, 8, 6, 14, 8, 6, 4, 4, 2};
  const int64_t before = total_;
  // An event with nothing to act on (no shipped order to invoice yet) draws again.
  for (int attempt = 0; attempt < 8 && total_ == before; ++attempt) {
    Status s;
    switch (rng_.Weighted(kWeights)) {
      case 0: s = NewOpportunity(); break;
      case 1: s = WinOpportunity(); break;
      case 2: s = ApproveOrder(); break;
      case 3: s = NewAccount(); break;
      case 4: s = EditAccount(); break;
      case 5: s = NewTicket(); break;
      case 6: s = ShipOrder(); break;
      case 7: s = InvoiceOrder(); break;
      case 8: s = RecordPayment(); break;
      case 9: s = ReviewCredit(); break;
      case 10: s = Restock(); break;
      default: s = CancelWhileShipping(); break;
    }
    RETURN_IF_ERROR(s);
  }
  return total_ == before ? NewOpportunity() : Status::Ok();
}

Result<std::optional<std::vector<Value>>> BusinessSimulator::PickRow(
    SqliteDb* db, const std::string& sql_select, const std::string& count_sql) {
  ASSIGN_OR_RETURN(auto n, db->QueryValue(count_sql));
  int64_t count = n ? n->int_value() : 0;
  if (count == 0) return std::optional<std::vector<Value>>();
  int64_t offset = static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(count)));
  ASSIGN_OR_RETURN(SqliteStmt q, db->Prepare(sql_select + " LIMIT 1 OFFSET ?"));
  RETURN_IF_ERROR(q.Bind(1, Value::Int(offset)));
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<std::vector<Value>>();
  std::vector<Value> out;
  for (int i = 0; i < q.ColumnCount(); ++i) out.push_back(q.Column(i));
  return std::optional<std::vector<Value>>(std::move(out));
}

Status BusinessSimulator::Transaction(SqliteDb* db, const Statements& statements) {
  RETURN_IF_ERROR(db->Exec("BEGIN IMMEDIATE"));
  for (const auto& [sql, params] : statements) {
    Status s = db->Run(sql, params);
    if (!s.ok()) {
      db->Exec("ROLLBACK").IgnoreError();
      return s;
    }
  }
  return db->Exec("COMMIT");
}

void BusinessSimulator::Wrote(const std::string& system_table, const std::string& key) {
  writes_[system_table][EncodeKey({Value::Text(key)})].push_back(clock_->NowMs());
}

namespace {
std::string Today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}
}  // namespace

Status BusinessSimulator::NewOpportunity() {
  const Material& m = rng_.Pick(Materials());
  std::string account = fmt::format("C{:05}", rng_.Between(1, next_account_ - 1));
  RETURN_IF_ERROR(Transaction(
      crm_.get(), {{"INSERT INTO opportunities VALUES (?, ?, ?, ?, 'prospecting', ?)",
                    {Value::Text(fmt::format("OP{:06}", next_opp_++)), Value::Text(account),
                     Value::Text(m.name + "采购项目"),
                     Value::Text(fmt::format("{}.00", rng_.Between(5, 500) * 1000)),
                     Value::Text(Today())}}}));
  ++counts_["crm: opportunity added"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::WinOpportunity() {
  ASSIGN_OR_RETURN(auto opp, PickRow(crm_.get(),
                                     "SELECT opp_id, account_no FROM opportunities WHERE stage IN "
                                     "('prospecting','proposal','negotiation') ORDER BY opp_id",
                                     "SELECT count(*) FROM opportunities WHERE stage IN "
                                     "('prospecting','proposal','negotiation')"));
  if (!opp) return Status::Ok();
  ASSIGN_OR_RETURN(auto product, PickRow(crm_.get(),
                                         "SELECT sku, list_price FROM products ORDER BY sku",
                                         "SELECT count(*) FROM products"));
  if (!product) return Status::Ok();  // the catalogue has not arrived from the ERP yet
  int64_t qty = rng_.Between(1, 40);
  int64_t cents = AsInt((*product)[1]) * 100 * qty;
  if (cents <= 0) cents = rng_.Between(1000, 90000) * qty;
  std::string no = fmt::format("SO{:06}", next_order_++);
  RETURN_IF_ERROR(Transaction(
      crm_.get(),
      {{"UPDATE opportunities SET stage = 'won' WHERE opp_id = ?", {(*opp)[0]}},
       {"INSERT INTO orders VALUES (?, ?, ?, ?, ?, 'draft', ?)",
        {Value::Text(no), (*opp)[1], (*product)[0], Value::Int(qty),
         Value::Text(fmt::format("{}.{:02}", cents / 100, cents % 100)), Value::Text(Today())}}}));
  Wrote("crm.orders", no);
  ++counts_["crm: opportunity won → draft order"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::ApproveOrder() {
  ASSIGN_OR_RETURN(auto order, PickRow(crm_.get(),
                                       "SELECT order_no FROM orders WHERE status = 'draft' "
                                       "ORDER BY order_no",
                                       "SELECT count(*) FROM orders WHERE status = 'draft'"));
  if (!order) return Status::Ok();
  RETURN_IF_ERROR(Transaction(
      crm_.get(), {{"UPDATE orders SET status = 'approved' WHERE order_no = ?", {(*order)[0]}}}));
  Wrote("crm.orders", (*order)[0].text());
  ++counts_["crm: order approved"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::NewAccount() {
  const CityInfo& city = rng_.Pick(Cities());
  const Brand& brand = rng_.Pick(Brands());
  std::string name = city.name + brand.hanzi + rng_.Pick(IndustriesCn()) + rng_.Pick(CompanySuffixes());
  std::string mobile = rng_.Pick(MobilePrefixes()) + rng_.Digits(8);
  // One in fifty is mistyped: a digit group short.
  std::string phone = rng_.PerMille(20) ? mobile.substr(0, 3) + "-" + mobile.substr(3, 4)
                                        : mobile.substr(0, 3) + "-" + mobile.substr(3, 4) + "-" +
                                              mobile.substr(7);
  std::string code = fmt::format("C{:05}", next_account_++);
  RETURN_IF_ERROR(Transaction(
      crm_.get(),
      {{"INSERT INTO accounts (account_no, account_name, phone, email, industry, tier, "
        "created_on, owner) VALUES (?, ?, ?, ?, ?, 'Silver', ?, ?)",
        {Value::Text(code), Value::Text(name), Value::Text(phone),
         Value::Text(rng_.Pick(EmailLocals()) + "@" + brand.pinyin + rng_.Pick(EmailDomains())),
         Value::Text(rng_.Pick(IndustriesEn())), Value::Text(Today()),
         Value::Text(rng_.Pick(SalesReps()))}}}));
  Wrote("crm.accounts", code);
  ++counts_["crm: account opened"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::EditAccount() {
  std::string code = fmt::format("C{:05}", rng_.Between(1, next_account_ - 1));
  std::string mobile = rng_.Pick(MobilePrefixes()) + rng_.Digits(8);
  RETURN_IF_ERROR(Transaction(
      crm_.get(), {{"UPDATE accounts SET phone = ? WHERE account_no = ?",
                    {Value::Text("+86 " + mobile), Value::Text(code)}}}));
  Wrote("crm.accounts", code);
  ++counts_["crm: phone number corrected"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::NewTicket() {
  std::string account = fmt::format("C{:05}", rng_.Between(1, next_account_ - 1));
  RETURN_IF_ERROR(Transaction(
      crm_.get(), {{"INSERT INTO service_tickets VALUES (?, ?, ?, 'normal', 'open', ?)",
                    {Value::Text(fmt::format("T{:06}", next_ticket_++)), Value::Text(account),
                     Value::Text(rng_.Pick(TicketSubjects())), Value::Text(Today())}}}));
  ++counts_["crm: service ticket logged"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::ShipOrder() {
  ASSIGN_OR_RETURN(auto order, PickRow(erp_.get(),
                                       "SELECT so_code, inv_code, 数量 FROM so_order WHERE "
                                       "状态 = '已审核' ORDER BY so_code",
                                       "SELECT count(*) FROM so_order WHERE 状态 = '已审核'"));
  if (!order) return Status::Ok();
  RETURN_IF_ERROR(Transaction(
      erp_.get(), {{"UPDATE so_order SET 状态 = '已发货' WHERE so_code = ?", {(*order)[0]}},
                   {"UPDATE ic_onhand SET 现存量 = 现存量 - ? WHERE inv_code = ?",
                    {(*order)[2], (*order)[1]}}}));
  Wrote("erp.so_order", (*order)[0].text());
  if (!(*order)[1].is_null()) Wrote("erp.ic_onhand", (*order)[1].text());
  ++counts_["erp: order shipped, stock reduced"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::InvoiceOrder() {
  const char* kWhere =
      " FROM so_order s WHERE 状态 = '已发货' AND NOT EXISTS (SELECT 1 FROM ar_invoice i "
      "WHERE i.so_code = s.so_code)";
  ASSIGN_OR_RETURN(auto order, PickRow(erp_.get(),
                                       std::string("SELECT so_code, cust_code, 订单金额") +
                                           kWhere + " ORDER BY so_code",
                                       std::string("SELECT count(*)") + kWhere));
  if (!order) return Status::Ok();
  RETURN_IF_ERROR(Transaction(
      erp_.get(), {{"INSERT INTO ar_invoice VALUES (?, ?, ?, ?, ?)",
                    {Value::Text(fmt::format("FP{:07}", next_doc_++)), (*order)[0], (*order)[1],
                     (*order)[2], Value::Text(Today())}}}));
  ++counts_["erp: invoice issued"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::RecordPayment() {
  const char* kWhere =
      " FROM ar_invoice i WHERE NOT EXISTS (SELECT 1 FROM ar_payment p WHERE p.invoice_no = "
      "i.invoice_no)";
  ASSIGN_OR_RETURN(auto inv, PickRow(erp_.get(),
                                     std::string("SELECT invoice_no, cust_code, 发票金额") +
                                         kWhere + " ORDER BY invoice_no",
                                     std::string("SELECT count(*)") + kWhere));
  if (!inv) return Status::Ok();
  // A customer who pays gets a little more credit (whole yuan; the limit stays an integer).
  int64_t raise = AsInt((*inv)[2]) / 10;
  RETURN_IF_ERROR(Transaction(
      erp_.get(), {{"INSERT INTO ar_payment VALUES (?, ?, ?, ?, ?)",
                    {Value::Text(fmt::format("SK{:07}", next_doc_++)), (*inv)[0], (*inv)[1],
                     (*inv)[2], Value::Text(Today())}},
                   {"UPDATE bd_customer SET 信用额度 = 信用额度 + ? WHERE cust_code = ? AND "
                    "信用额度 >= 0",
                    {Value::Int(raise), (*inv)[1]}}}));
  Wrote("erp.bd_customer", (*inv)[1].text());
  ++counts_["erp: payment recorded, credit raised"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::ReviewCredit() {
  ASSIGN_OR_RETURN(auto cust, PickRow(erp_.get(),
                                      "SELECT cust_code FROM bd_customer WHERE 信用额度 >= 0 "
                                      "ORDER BY cust_code",
                                      "SELECT count(*) FROM bd_customer WHERE 信用额度 >= 0"));
  if (!cust) return Status::Ok();
  static const std::vector<std::string> kGrades = {"A", "B", "C", "D"};
  RETURN_IF_ERROR(Transaction(
      erp_.get(), {{"UPDATE bd_customer SET 信用等级 = ?, 信用额度 = ? WHERE cust_code = ?",
                    {Value::Text(rng_.Pick(kGrades)), Value::Int(rng_.Between(1, 80) * 10000),
                     (*cust)[0]}}}));
  Wrote("erp.bd_customer", (*cust)[0].text());
  ++counts_["erp: credit reviewed"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::Restock() {
  ASSIGN_OR_RETURN(auto item, PickRow(erp_.get(), "SELECT inv_code FROM ic_onhand ORDER BY inv_code",
                                      "SELECT count(*) FROM ic_onhand"));
  if (!item) return Status::Ok();
  RETURN_IF_ERROR(Transaction(
      erp_.get(), {{"UPDATE ic_onhand SET 现存量 = 现存量 + ? WHERE inv_code = ?",
                    {Value::Int(rng_.Between(50, 500)), (*item)[0]}}}));
  Wrote("erp.ic_onhand", (*item)[0].text());
  ++counts_["erp: restocked"];
  ++total_;
  return Status::Ok();
}

Status BusinessSimulator::CancelWhileShipping() {
  ASSIGN_OR_RETURN(auto order, PickRow(erp_.get(),
                                       "SELECT so_code FROM so_order WHERE 状态 = '已审核' "
                                       "ORDER BY so_code",
                                       "SELECT count(*) FROM so_order WHERE 状态 = '已审核'"));
  if (!order) return Status::Ok();
  RETURN_IF_ERROR(Transaction(
      crm_.get(), {{"UPDATE orders SET status = 'cancelled' WHERE order_no = ?", {(*order)[0]}}}));
  Wrote("crm.orders", (*order)[0].text());
  RETURN_IF_ERROR(Transaction(
      erp_.get(), {{"UPDATE so_order SET 状态 = '已发货' WHERE so_code = ?", {(*order)[0]}}}));
  Wrote("erp.so_order", (*order)[0].text());
  ++counts_["both: CRM cancels an order the ERP ships"];
  ++total_;
  return Status::Ok();
}

}  // namespace concord::demo
