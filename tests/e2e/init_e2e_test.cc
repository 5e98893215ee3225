// `concord init` through the binary: on the demo's CRM and ERP it proposes the customer, product
// and order mappings (tables and the columns that matter); on a pair of schemas it has never seen
// — a web shop in English against an ERP named in pinyin — it proposes at least the obvious ones;
// the drafts it writes validate against the live databases; bad URLs are usage errors.
#include <string>

#include <gtest/gtest.h>

#include "e2e/harness.h"

namespace concord::e2e {
namespace {

// `line` of the proposal contains every one of `parts` (in any spacing).
bool HasLine(const std::string& text, const std::vector<std::string>& parts) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    bool all = true;
    for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
    if (all) return true;
    start = end + 1;
  }
  return false;
}

TEST(InitE2e, ProposesTheDemoSystemsCustomerProductAndOrderMappings) {
  TempDir dir;
  ProcResult demo = RunConcord(dir.path(), {"demo", "--dir", "out", "--seconds", "0"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  std::string out_dir = dir / "out";
  ProcResult r = RunConcord(out_dir, {"init", "--from", "sqlite:crm.db", "--to", "sqlite:erp.db",
                                      "--out", "draft.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::string& p = r.out;
  EXPECT_TRUE(HasLine(p, {"customer: crm.accounts ↔ erp.bd_customer"})) << p;
  EXPECT_TRUE(HasLine(p, {"product: crm.products ↔ erp.bd_material"})) << p;
  EXPECT_TRUE(HasLine(p, {"order: crm.orders ↔ erp.so_order"})) << p;
  EXPECT_TRUE(HasLine(p, {"inventory: crm.stock ↔ erp.ic_onhand"})) << p;
  // The columns: by name across languages, confirmed by values equal in canonical form.
  EXPECT_TRUE(HasLine(p, {"code", "account_no", "cust_code", "both primary keys"})) << p;
  EXPECT_TRUE(HasLine(p, {"name", "account_name", "cust_name"})) << p;
  EXPECT_TRUE(HasLine(p, {"phone", "phone", "联系电话", "equal as phone values"})) << p;
  EXPECT_TRUE(HasLine(p, {"email", "email", "电子邮箱"})) << p;
  EXPECT_TRUE(HasLine(p, {"credit_limit", "credit_limit", "信用额度"})) << p;
  EXPECT_TRUE(HasLine(p, {"price", "list_price", "参考售价"})) << p;
  EXPECT_TRUE(HasLine(p, {"customer", "account_no", "cust_code", "names: both mean customer"}))
      << p;
  EXPECT_TRUE(HasLine(p, {"product", "product_sku", "inv_code"})) << p;
  EXPECT_TRUE(HasLine(p, {"amount", "amount", "订单金额"})) << p;
  EXPECT_TRUE(HasLine(p, {"status", "状态", "add a value map"})) << p;
  // The union: what each side has alone.
  EXPECT_TRUE(HasLine(p, {"only in erp:", "地址"})) << p;
  EXPECT_TRUE(HasLine(p, {"Tables only in crm", "contacts", "opportunities", "service_tickets"}))
      << p;
  EXPECT_TRUE(HasLine(p, {"Tables only in erp", "ar_invoice", "ar_payment"})) << p;
  // The draft: every guess marked, and it validates against the live databases.
  std::string yaml = ReadFile(out_dir + "/draft.yaml");
  EXPECT_NE(yaml.find("      phone: {type: phone, region: CN}   # REVIEW:"), std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("      phone: 联系电话"), std::string::npos) << yaml;
  ProcResult v = RunConcord(out_dir, {"-c", "draft.yaml", "validate", "--connect"});
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
  // It does not overwrite a file without --force.
  ProcResult again = RunConcord(out_dir, {"init", "--from", "sqlite:crm.db", "--to",
                                          "sqlite:erp.db", "--out", "draft.yaml"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("draft.yaml exists"), std::string::npos) << again.err;
}

// A web shop (English) and an ERP whose tables and columns are pinyin abbreviations: kehu
// (客户, customer) with kehu_bh (编号, number) and kehu_mc (名称, name), shangpin (商品, goods),
// dingdan (订单, order) with jine (金额, amount). Phones are written differently on each side.
TEST(InitE2e, ProposesTheObviousMappingsOnSchemasItHasNeverSeen) {
  TempDir dir;
  {
    Db shop(dir / "shop.db");
    ASSERT_TRUE(shop.Exec(R"sql(
      CREATE TABLE clients (client_id TEXT PRIMARY KEY, client_name TEXT, mobile TEXT, mail TEXT,
                            signup TEXT, newsletter INTEGER);
      CREATE TABLE goods (goods_no TEXT PRIMARY KEY, title TEXT, price TEXT, colour TEXT);
      CREATE TABLE orders (order_id TEXT PRIMARY KEY, client_id TEXT, goods_no TEXT, qty INTEGER,
                           total TEXT, status TEXT);
      CREATE TABLE reviews (review_id INTEGER PRIMARY KEY, goods_no TEXT, stars INTEGER);
      INSERT INTO clients VALUES
        ('K1001', '杭州西湖茶业', '13812345678', 'tea@xihu.example', '2025-03-01', 1),
        ('K1002', '南京紫金电子', '139-0000-1111', 'buy@zijin.example', '2025/3/2', 0),
        ('K1003', '苏州平江丝绸', '+86 137 2222 3333', 'silk@pingjiang.example', '20250303', 1),
        ('K1004', '成都锦里食品', '136 4444 5555', 'food@jinli.example', '2025-03-04', 0);
      INSERT INTO goods VALUES ('G01', '龙井茶 250g', '188.00', 'green'),
                               ('G02', '丝巾', '99.50', 'red'), ('G03', '耳机', '259.00', 'black');
      INSERT INTO orders VALUES ('D9001', 'K1001', 'G01', 2, '376.00', 'paid'),
                                ('D9002', 'K1003', 'G02', 1, '99.50', 'shipped');
      INSERT INTO reviews VALUES (1, 'G01', 5);
    )sql"));
    Db erp(dir / "erp.db");
    ASSERT_TRUE(erp.Exec(R"sql(
      CREATE TABLE kehu (kehu_bh TEXT PRIMARY KEY, kehu_mc TEXT, dianhua TEXT, youxiang TEXT,
                         dizhi TEXT);
      CREATE TABLE shangpin (sp_bh TEXT PRIMARY KEY, sp_mc TEXT, danjia NUMERIC);
      CREATE TABLE dingdan (dd_bh TEXT PRIMARY KEY, kehu_bh TEXT, sp_bh TEXT, shuliang INTEGER,
                            jine NUMERIC, zhuangtai TEXT);
      CREATE TABLE pingzheng (pz_id INTEGER PRIMARY KEY, zhaiyao TEXT);
      INSERT INTO kehu VALUES ('K1001', '杭州西湖茶业', '+8613812345678', NULL, '杭州市西湖区'),
                              ('K1002', '南京紫金电子', '+8613900001111', NULL, '南京市玄武区');
      INSERT INTO shangpin VALUES ('G01', '龙井茶 250g', 188), ('G02', '丝巾', 99.5);
      INSERT INTO dingdan VALUES ('D9001', 'K1001', 'G01', 2, 376, '已付款');
      INSERT INTO pingzheng VALUES (1, '收款');
    )sql"));
  }
  ProcResult r = RunConcord(dir.path(), {"init", "--from", "sqlite:shop.db", "--to",
                                         "sqlite:erp.db", "--out", "concord.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::string& p = r.out;
  EXPECT_TRUE(HasLine(p, {"customer: shop.clients ↔ erp.kehu"})) << p;
  EXPECT_TRUE(HasLine(p, {"product: shop.goods ↔ erp.shangpin"})) << p;
  EXPECT_TRUE(HasLine(p, {"order: shop.orders ↔ erp.dingdan"})) << p;
  EXPECT_TRUE(HasLine(p, {"code", "client_id", "kehu_bh"})) << p;
  EXPECT_TRUE(HasLine(p, {"name", "client_name", "kehu_mc"})) << p;
  EXPECT_TRUE(HasLine(p, {"phone", "mobile", "dianhua", "equal as phone values"})) << p;
  EXPECT_TRUE(HasLine(p, {"email", "mail", "youxiang"})) << p;
  EXPECT_TRUE(HasLine(p, {"name", "title", "sp_mc"})) << p;
  EXPECT_TRUE(HasLine(p, {"price", "price", "danjia"})) << p;
  EXPECT_TRUE(HasLine(p, {"customer", "client_id", "kehu_bh"})) << p;
  EXPECT_TRUE(HasLine(p, {"product", "goods_no", "sp_bh"})) << p;
  EXPECT_TRUE(HasLine(p, {"quantity", "qty", "shuliang"})) << p;
  EXPECT_TRUE(HasLine(p, {"amount", "total", "jine"})) << p;
  EXPECT_TRUE(HasLine(p, {"Tables only in shop", "reviews"})) << p;
  EXPECT_TRUE(HasLine(p, {"Tables only in erp", "pingzheng"})) << p;
  ProcResult v = RunConcord(dir.path(), {"validate", "--connect"});
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
  // The draft is a starting point that runs: the plan works on it.
  ProcResult plan = RunConcord(dir.path(), {"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err << plan.out;
}

TEST(InitE2e, ABadUrlIsAUsageErrorThatShowsTheAcceptedForms) {
  TempDir dir;
  ProcResult r = RunConcord(dir.path(), {"init", "--from", "ftp://host/db", "--to",
                                         "sqlite:erp.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("\"ftp://host/db\": unknown scheme \"ftp\" (expected sqlite:path/to.db, "
                       "postgres://user@host[:port]/database or mysql://"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace concord::e2e
