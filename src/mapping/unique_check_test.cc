#include "mapping/unique_check.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/change.h"

namespace concord {
namespace {

Value T(const char* s) { return Value::Text(s); }

EntitySpec Customer() {
  EntitySpec e;
  e.name = "customer";
  e.key = {"code"};
  FieldSpec code;
  code.name = "code";
  FieldSpec phone;
  phone.name = "phone";
  phone.type = FieldType::kPhone;
  phone.region = "CN";
  phone.personal = true;
  phone.unique = true;
  FieldSpec email;
  email.name = "email";
  email.type = FieldType::kEmail;
  email.unique = true;
  FieldSpec name;
  name.name = "name";
  e.fields = {code, phone, email, name};
  return e;
}

// erp.customer: key cust_code (mapped), phone written in the national layout.
BindingSpec Erp() {
  BindingSpec b;
  b.system = "erp";
  b.entity = "customer";
  b.table = "customers";
  b.key = {"cust_code"};
  auto map = [](const char* field, const char* column, FormatKind format = FormatKind::kCanonical) {
    FieldMapping m;
    m.field = field;
    m.column = column;
    m.format = format;
    if (format == FormatKind::kNational) m.format_text = "national";
    return m;
  };
  b.fields = {map("code", "cust_code"), map("phone", "mobile", FormatKind::kNational),
              map("email", "email"), map("name", "cust_name")};
  return b;
}

// The target table, searched as a database compares: exact equality of the stored value.
struct Table {
  std::vector<Row> rows;
  int calls = 0;
  Result<std::vector<Row>> Find(const TableRef& t, const std::string& column,
                                const std::vector<Value>& values) {
    ++calls;
    std::vector<Row> out;
    for (const Row& r : rows) {
      auto v = r.find(column);
      if (v != r.end() && std::find(values.begin(), values.end(), v->second) != values.end()) {
        Row found;
        for (const std::string& k : t.key_columns) found[k] = r.at(k);
        found[column] = v->second;
        out.push_back(found);
      }
    }
    return out;
  }
};

class UniqueCheckTest : public ::testing::Test {
 protected:
  UniqueCheckTest() : entity_(Customer()), erp_(Erp()), mapper_(entity_, erp_) {}

  void Add(const char* code, const char* phone, const char* email, bool in_target) {
    Record r;
    r["code"] = T(code);
    r["phone"] = phone ? T(phone) : Value::Null();
    r["email"] = email ? T(email) : Value::Null();
    records_.push_back(r);
    keys_.push_back(code);
    in_target_.push_back(in_target);
  }

  std::vector<UniqueClash> Check(const std::vector<Key>& deleted = {}) {
    std::vector<UniqueCandidate> candidates;
    for (size_t i = 0; i < records_.size(); ++i) {
      candidates.push_back({&records_[i], &fields_, keys_[i],
                            in_target_[i] ? std::optional<Key>(Key{T(keys_[i].c_str())})
                                          : std::nullopt});
    }
    auto find = [&](const TableRef& t, const std::string& c, const std::vector<Value>& v) {
      return table_.Find(t, c, v);
    };
    auto describe = [](const Key& k) -> Result<std::string> {
      return KeyForDisplay(EncodeKey(k));
    };
    auto r = CheckUnique(mapper_, UniqueFieldsToCheck(mapper_, fields_), candidates, deleted,
                         "erp", find, describe);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<UniqueClash>{};
  }

  EntitySpec entity_;
  BindingSpec erp_;
  BindingMapper mapper_;
  std::set<std::string> fields_ = {"code", "phone", "email", "name"};
  std::vector<Record> records_;
  std::vector<std::string> keys_;
  std::vector<bool> in_target_;
  Table table_;
};

TEST(LookupSpellingsTest, PhoneLayoutsAndOthers) {
  FieldSpec phone;
  phone.name = "phone";
  phone.type = FieldType::kPhone;
  phone.region = "CN";
  std::vector<Value> s = LookupSpellings(phone, T("+8613812345678"), BindingFormat());
  for (const char* want : {"+8613812345678", "8613812345678", "+86 138 1234 5678",
                           "+86-138-1234-5678", "138 1234 5678", "138-1234-5678", "13812345678"}) {
    EXPECT_NE(std::find(s.begin(), s.end(), T(want)), s.end()) << want;
  }
  // A number of another region has no national spellings.
  s = LookupSpellings(phone, T("+14155552671"), BindingFormat());
  EXPECT_EQ(std::find(s.begin(), s.end(), T("4155552671")), s.end());
  EXPECT_TRUE(LookupSpellings(phone, Value::Null(), BindingFormat()).empty());
  EXPECT_TRUE(LookupSpellings(phone, T(""), BindingFormat()).empty());
  FieldSpec name;
  name.name = "name";
  EXPECT_EQ(LookupSpellings(name, T("Li"), BindingFormat()), std::vector<Value>{T("Li")});
}

TEST_F(UniqueCheckTest, OnlyUniqueFieldsTheTargetMapsAndTheFlowCarries) {
  std::vector<const FieldSpec*> f = UniqueFieldsToCheck(mapper_, {"code", "phone"});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]->name, "phone");
  EXPECT_TRUE(UniqueFieldsToCheck(mapper_, {"code", "name"}).empty());
}

TEST_F(UniqueCheckTest, ValueHeldByAnotherRowInAnotherLayout) {
  table_.rows = {{{"cust_code", T("E90")}, {"mobile", T("138-1234-5678")}, {"email", T("a@b.cn")}},
                 {{"cust_code", T("C01")}, {"mobile", T("139 0000 1111")}}};
  Add("C01", "+8613900001111", "c01@b.cn", true);  // its own row holds the value
  Add("C02", "+8613812345678", "a@b.cn", false);
  std::vector<UniqueClash> c = Check();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].index, 1u);
  EXPECT_EQ(c[0].issue.ToString(),
            "field phone: 861****5678 already belongs to record E90 in erp (rule unique); hint: a "
            "unique field holds each value once per system: correct the value (or merge the two "
            "records) in the source system, then run concord dlq retry");
  EXPECT_EQ(table_.calls, 2);  // one lookup per unique field for the whole batch
}

TEST_F(UniqueCheckTest, SecondRecordOfABatchWithTheSameValue) {
  Add("C01", "+8613812345678", "x@b.cn", false);
  Add("C02", "+8613900001111", "X@B.CN", false);  // not canonical e-mail: differs from x@b.cn
  Add("C03", "+8613812345678", "y@b.cn", false);
  Add("C01", "+8613812345678", "x@b.cn", false);  // the same record again is no duplicate
  std::vector<UniqueClash> c = Check();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].index, 2u);
  EXPECT_EQ(c[0].issue.field, "phone");
  EXPECT_EQ(c[0].issue.message,
            "861****5678 also belongs to record C01, earlier in the same batch to erp");
}

TEST_F(UniqueCheckTest, ValuesFreedInTheSameBatch) {
  table_.rows = {{{"cust_code", T("C01")}, {"mobile", T("138 1234 5678")}},
                 {{"cust_code", T("C09")}, {"email", T("z@b.cn")}}};
  Add("C01", "+8613900001111", nullptr, true);  // moves away from 138…
  Add("C02", "+8613812345678", "z@b.cn", false);  // takes it; C09 (holding z@b.cn) is deleted
  EXPECT_TRUE(Check({Key{T("C09")}}).empty());
  // Without the delete, C09 still holds the e-mail address.
  std::vector<UniqueClash> c = Check();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].issue.field, "email");
  EXPECT_EQ(c[0].issue.message, "\"z@b.cn\" already belongs to record C09 in erp");
}

TEST_F(UniqueCheckTest, EmptyValuesAndFieldsNotWrittenAreExempt) {
  table_.rows = {{{"cust_code", T("E1")}, {"mobile", T("")}, {"email", T("")}}};
  Add("C01", "", "", false);
  Add("C02", nullptr, nullptr, false);
  EXPECT_TRUE(Check().empty());
  EXPECT_EQ(table_.calls, 0);
  table_.rows = {{{"cust_code", T("E1")}, {"mobile", T("138 1234 5678")}}};
  records_.clear(), keys_.clear(), in_target_.clear();
  Add("C01", "+8613812345678", nullptr, false);
  fields_ = {"code", "email"};  // this write does not set the phone
  EXPECT_TRUE(Check().empty());
}

TEST_F(UniqueCheckTest, LookupErrorsPassThrough) {
  Add("C01", "+8613812345678", nullptr, false);
  std::vector<UniqueCandidate> candidates = {{&records_[0], &fields_, "C01", std::nullopt}};
  auto find = [](const TableRef&, const std::string&, const std::vector<Value>&)
      -> Result<std::vector<Row>> { return Unavailable("erp: database is locked"); };
  auto describe = [](const Key&) -> Result<std::string> { return std::string("?"); };
  auto r = CheckUnique(mapper_, UniqueFieldsToCheck(mapper_, fields_), candidates, {}, "erp",
                       find, describe);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace concord
