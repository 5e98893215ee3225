// `concord init` (see init.h): names → concepts through a synonym table, sampled values compared
// in canonical form, a greedy one-to-one pairing by score, and the draft config.
//
// The synonym table is hand-written data: no Debian library knows that 客户, kehu and Kunden are
// customers. Everything that is not about words (normalizing values, opening systems) goes through
// concord's own libraries.
#include "init/init.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "config/spec.h"
#include "connectors/registry.h"
#include "quality/normalize.h"

namespace concord::init {
namespace {

// --- words ------------------------------------------------------------------------------------

struct Concept {
  const char* name;
  std::vector<std::string> words;  // whole lower-case words, or CJK substrings
};

// Entities, most specific first.
const std::vector<Concept>& EntityConcepts() {
  static const std::vector<Concept> k = {
      {"customer", {"customer", "customers", "cust", "client", "clients", "account", "accounts",
                    "kunde", "kunden", "kehu", "kh", "buyer", "buyers", "客户"}},
      {"contact", {"contact", "contacts", "person", "persons", "people", "lianxiren",
                   "ansprechpartner", "联系人"}},
      {"inventory", {"inventory", "stock", "stocks", "onhand", "lager", "bestand", "kucun",
                     "库存", "现存量"}},
      {"product", {"product", "products", "material", "materials", "goods", "artikel", "article",
                   "articles", "sku", "inv", "sp", "shangpin", "chanpin", "wuliao", "item", "items",
                   "物料", "产品", "商品", "存货"}},
      {"order", {"order", "orders", "salesorder", "so", "auftrag", "auftraege", "bestellung",
                 "bestellungen", "dingdan", "dd", "purchase", "purchases", "订单"}},
      {"invoice", {"invoice", "invoices", "fp", "fapiao", "rechnung", "rechnungen", "发票"}},
      {"payment", {"payment", "payments", "sk", "shoukuan", "zahlung", "zahlungen", "receipt",
                   "收款"}},
      {"opportunity", {"opportunity", "opportunities", "opp", "lead", "leads", "商机"}},
      {"ticket", {"ticket", "tickets", "case", "cases", "工单"}},
  };
  return k;
}

// Fields. Multi-word names are matched on the whole name before words are looked at.
const std::vector<Concept>& FieldConcepts() {
  static const std::vector<Concept> k = {
      {"credit_limit", {"credit_limit", "kreditlimit", "xinyong_edu", "额度"}},
      {"credit_grade", {"credit_rating", "credit_grade", "grade", "rating", "level", "信用等级",
                        "等级"}},
      {"on_hand", {"on_hand", "onhand", "qty_on_hand", "bestand", "现存量", "库存量"}},
      {"price", {"price", "list_price", "unit_price", "preis", "danjia", "jiage", "售价", "单价",
                 "价格"}},
      {"amount", {"amount", "total", "betrag", "summe", "jine", "金额"}},
      {"quantity", {"qty", "quantity", "menge", "anzahl", "shuliang", "数量"}},
      {"phone", {"phone", "tel", "telephone", "mobile", "cell", "handy", "telefon", "dianhua",
                 "shouji", "电话", "手机"}},
      {"email", {"email", "mail", "e_mail", "youxiang", "邮箱", "邮件"}},
      {"address", {"address", "addr", "adresse", "anschrift", "dizhi", "地址"}},
      {"date", {"date", "created", "created_on", "datum", "riqi", "opened", "日期"}},
      {"status", {"status", "state", "zustand", "zhuangtai", "状态"}},
      {"unit", {"unit", "uom", "einheit", "danwei", "单位"}},
      {"warehouse", {"warehouse", "lager", "cangku", "仓库"}},
      {"name", {"name", "title", "mc", "mingcheng", "bezeichnung", "名称", "姓名"}},
      {"code", {"code", "id", "no", "number", "nr", "num", "bh", "bianhao", "key", "编号", "编码",
                "代码"}},
  };
  return k;
}

// ERP module prefixes that say nothing about the entity (Yonyou/Kingdee style).
const std::set<std::string>& NoiseWords() {
  static const std::set<std::string> k = {"bd", "ic", "ar", "ap", "tb", "t", "sys", "tbl"};
  return k;
}

bool IsCjk(const std::string& s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return true;
  }
  return false;
}

// snake_case, camelCase and digits split into lower-case words.
std::vector<std::string> Words(const std::string& name) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c >= 0x80) {
      cur += static_cast<char>(c);
    } else if (std::isalnum(c)) {
      if (std::isupper(c) && !cur.empty() && std::islower(static_cast<unsigned char>(cur.back()))) {
        flush();
      }
      cur += static_cast<char>(std::tolower(c));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

bool Has(const std::vector<std::string>& words, const std::string& w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

// The concept a name stands for ("" when none): whole name first, then CJK substrings, then words.
std::string ConceptOf(const std::string& name, const std::vector<Concept>& concepts) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return c < 0x80 ? std::tolower(c) : c; });
  for (const auto& c : concepts) {
    if (Has(c.words, lower)) return c.name;
  }
  if (IsCjk(name)) {
    for (const auto& c : concepts) {
      for (const auto& w : c.words) {
        if (IsCjk(w) && name.find(w) != std::string::npos) return c.name;
      }
    }
  }
  std::vector<std::string> words = Words(name);
  // Last word first: "cust_name" is a name, "product_sku" a product.
  for (auto it = words.rbegin(); it != words.rend(); ++it) {
    if (NoiseWords().count(*it)) continue;
    for (const auto& c : concepts) {
      if (Has(c.words, *it)) return c.name;
    }
  }
  return "";
}

std::string EntityWordIn(const std::string& column) {
  for (const auto& w : Words(column)) {
    for (const auto& c : EntityConcepts()) {
      if (Has(c.words, w)) return c.name;
    }
  }
  if (IsCjk(column)) {
    for (const auto& c : EntityConcepts()) {
      for (const auto& w : c.words) {
        if (IsCjk(w) && column.find(w) != std::string::npos) return c.name;
      }
    }
  }
  return "";
}

// A config identifier from any name: letters, digits, underscores.
std::string Identifier(const std::string& name) {
  std::string out;
  for (const auto& w : Words(name)) {
    if (IsCjk(w)) continue;
    out += (out.empty() ? "" : "_") + w;
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "f_" + out;
  return out;
}

// --- values -----------------------------------------------------------------------------------

// The sampled values of one column in each canonical form they fit: kind → set. A kind is kept
// when at least 80% of the non-null samples normalize in it.
struct ColumnSample {
  std::map<std::string, std::set<std::string>> kinds;  // "text", "phone", "date", "decimal"
  std::set<std::string> raw;                           // up to 8 raw values, for messages
  int64_t non_null = 0;
};

FieldSpec SpecFor(FieldType t) {
  FieldSpec f;
  f.name = "v";
  f.type = t;
  if (t == FieldType::kPhone) f.region = "CN";
  if (t == FieldType::kDecimal) f.scale = 2;
  return f;
}

ColumnSample Summarize(const std::vector<Value>& values) {
  static const std::vector<std::pair<std::string, FieldSpec>> kKinds = {
      {"phone", SpecFor(FieldType::kPhone)},
      {"date", SpecFor(FieldType::kDate)},
      {"decimal", SpecFor(FieldType::kDecimal)},
      {"email", SpecFor(FieldType::kEmail)}};
  ColumnSample s;
  std::map<std::string, std::pair<int64_t, std::set<std::string>>> ok;
  for (const Value& v : values) {
    if (v.is_null()) continue;
    std::string text = v.ToString();
    if (text.empty()) continue;
    ++s.non_null;
    if (s.raw.size() < 8) s.raw.insert(text);
    std::string folded = text;
    folded.erase(0, folded.find_first_not_of(" \t"));
    folded.erase(folded.find_last_not_of(" \t") + 1);
    std::transform(folded.begin(), folded.end(), folded.begin(),
                   [](unsigned char c) { return c < 0x80 ? std::tolower(c) : c; });
    s.kinds["text"].insert(folded);
    for (const auto& [kind, spec] : kKinds) {
      auto n = NormalizeValue(spec, v);
      if (n.ok() && !n->is_null()) {
        ok[kind].first++;
        ok[kind].second.insert(n->ToString());
      }
    }
  }
  for (auto& [kind, counted] : ok) {
    if (counted.first * 5 >= s.non_null * 4 && s.non_null > 0) s.kinds[kind] = counted.second;
  }
  return s;
}

// How many sampled values two columns share, in the best canonical form both fit; the form.
std::pair<int64_t, std::string> Overlap(const ColumnSample& a, const ColumnSample& b) {
  std::pair<int64_t, std::string> best{0, ""};
  for (const auto& [kind, values] : a.kinds) {
    auto other = b.kinds.find(kind);
    if (other == b.kinds.end()) continue;
    int64_t n = 0;
    for (const auto& v : values) n += other->second.count(v);
    if (n > best.first) best = {n, kind};
  }
  return best;
}

struct TableInfo {
  std::string name;
  std::vector<ColumnInfo> columns;
  std::string pk;  // the single primary-key column, "" when none or composite
  std::string entity;
  std::map<std::string, ColumnSample> samples;
};

Result<std::vector<TableInfo>> Inspect(Connection* conn, const InitOptions& o) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, conn->ListTables());
  std::vector<TableInfo> out;
  for (const auto& name : names) {
    if (name.rfind("_concord", 0) == 0 || name.rfind("sqlite_", 0) == 0) continue;
    TableInfo t;
    t.name = name;
    ASSIGN_OR_RETURN(t.columns, conn->DescribeTable(name));
    int pks = 0;
    for (const auto& c : t.columns) {
      if (c.primary_key) {
        t.pk = c.name;
        ++pks;
      }
    }
    if (pks != 1) t.pk.clear();
    t.entity = ConceptOf(name, EntityConcepts());
    if (!t.pk.empty() && conn->source() != nullptr) {
      TableRef ref{name, {t.pk}, {}};
      for (const auto& c : t.columns) ref.columns.push_back(c.name);
      ASSIGN_OR_RETURN(std::vector<Row> rows, conn->source()->ReadChunk(ref, std::nullopt,
                                                                         o.sample_rows));
      for (const auto& c : t.columns) {
        std::vector<Value> values;
        for (const Row& r : rows) {
          auto it = r.find(c.name);
          if (it != r.end()) values.push_back(it->second);
        }
        t.samples[c.name] = Summarize(values);
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

// The field a column holds in a table of `entity`, and the entity it references ("" if none).
std::pair<std::string, std::string> FieldOf(const std::string& column, const std::string& entity,
                                            bool is_pk) {
  std::string field = ConceptOf(column, FieldConcepts());
  std::string named = EntityWordIn(column);
  std::vector<std::string> words = Words(column);
  bool sku = Has(words, "sku");
  if (is_pk) return {"code", ""};
  if ((field == "code" || sku) && !named.empty() && named != entity) return {named, named};
  if (field.empty() && !named.empty() && named != entity) return {named, named};
  return {field, ""};
}

std::string TypeFor(const std::string& field, const ColumnSample* a, const ColumnSample* b,
                    std::string* review) {
  auto fits = [&](const char* kind) {
    bool fa = a == nullptr || a->non_null == 0 || a->kinds.count(kind);
    bool fb = b == nullptr || b->non_null == 0 || b->kinds.count(kind);
    return fa && fb;
  };
  auto want = [&](const char* kind, const char* type) -> std::string {
    if (fits(kind)) return type;
    *review = fmt::format("named like a {} but the sampled values are not all {}s: kept as string",
                          field, kind);
    return "string";
  };
  if (field == "phone") return want("phone", "phone");
  if (field == "email") return want("email", "email");
  if (field == "date") return want("date", "date");
  if (field == "amount" || field == "price" || field == "credit_limit") {
    return want("decimal", "decimal");
  }
  if (field == "quantity" || field == "on_hand") return "int";
  return "string";
}

std::string Sample(const std::set<std::string>& raw) {
  std::string out;
  for (const auto& v : raw) {
    if (out.size() > 40) break;
    out += (out.empty() ? "" : ", ") + v;
  }
  return out;
}

TableMatch MatchColumns(const TableInfo& l, const TableInfo& r, const std::string& entity) {
  TableMatch m;
  m.entity = entity;
  m.left = l.name;
  m.right = r.name;
  struct Cand {
    double score;
    size_t li, ri;
    std::string why;
    std::string field, ref;
  };
  std::vector<Cand> cands;
  for (size_t i = 0; i < l.columns.size(); ++i) {
    const std::string& lc = l.columns[i].name;
    auto [lf, lref] = FieldOf(lc, entity, lc == l.pk);
    auto ls = l.samples.find(lc);
    for (size_t j = 0; j < r.columns.size(); ++j) {
      const std::string& rc = r.columns[j].name;
      auto [rf, rref] = FieldOf(rc, entity, rc == r.pk);
      auto rs = r.samples.find(rc);
      double score = 0;
      std::vector<std::string> why;
      if (!lf.empty() && lf == rf) {
        score += 2;
        why.push_back(lc == l.pk && rc == r.pk ? "both primary keys"
                                               : fmt::format("names: both mean {}", lf));
      }
      if (lc == l.pk && rc == r.pk && score == 0) {
        score = 0.6;  // two keys pair even when nothing else says so (flagged for review)
        why.push_back("both primary keys");
      }
      if (ls != l.samples.end() && rs != r.samples.end()) {
        auto [n, kind] = Overlap(ls->second, rs->second);
        int64_t base = std::min(ls->second.non_null, rs->second.non_null);
        if (n > 0 && base > 0) {
          double ratio = static_cast<double>(n) / static_cast<double>(base);
          if (ratio >= 0.2 || score > 0) {
            score += ratio;
            why.push_back(fmt::format("data: {} sampled values equal{}", n,
                                      kind == "text" ? "" : " as " + kind + " values"));
          }
        }
      }
      if (score >= 0.5) {
        std::string joined;
        for (const auto& w : why) joined += (joined.empty() ? "" : "; ") + w;
        cands.push_back({score, i, j, joined, !lf.empty() && lf == rf ? lf : "", lref});
      }
    }
  }
  std::stable_sort(cands.begin(), cands.end(),
                   [](const Cand& a, const Cand& b) { return a.score > b.score; });
  std::set<size_t> used_l, used_r;
  std::set<std::string> fields;
  for (const Cand& c : cands) {
    if (used_l.count(c.li) || used_r.count(c.ri)) continue;
    const std::string& lc = l.columns[c.li].name;
    const std::string& rc = r.columns[c.ri].name;
    bool key = lc == l.pk && rc == r.pk;
    if ((lc == l.pk) != (rc == r.pk)) continue;  // a key pairs only with the other key
    used_l.insert(c.li);
    used_r.insert(c.ri);
    ColumnMatch cm;
    cm.left = lc;
    cm.right = rc;
    cm.key = key;
    cm.why = c.why;
    cm.field = key ? "code" : (c.field.empty() ? Identifier(lc) : c.field);
    while (fields.count(cm.field)) cm.field += "_2";
    fields.insert(cm.field);
    cm.reference = c.ref;
    const ColumnSample* ls = l.samples.count(lc) ? &l.samples.at(lc) : nullptr;
    const ColumnSample* rs = r.samples.count(rc) ? &r.samples.at(rc) : nullptr;
    cm.type = TypeFor(c.field, ls, rs, &cm.review);
    if (c.field.empty()) cm.review = "matched by data only: check that both columns mean the same";
    if ((c.field == "status" || c.field == "credit_grade") && ls && rs && ls->non_null &&
        rs->non_null && Overlap(*ls, *rs).first == 0) {
      cm.review = fmt::format("values differ ({} vs {}): add a value map", Sample(ls->raw),
                              Sample(rs->raw));
    }
    m.columns.push_back(cm);
  }
  // The key first, then the left table's column order.
  std::stable_sort(m.columns.begin(), m.columns.end(),
                   [](const ColumnMatch& a, const ColumnMatch& b) { return a.key > b.key; });
  for (size_t i = 0; i < l.columns.size(); ++i) {
    if (!used_l.count(i)) m.left_only.push_back(l.columns[i].name);
  }
  for (size_t j = 0; j < r.columns.size(); ++j) {
    if (!used_r.count(j)) m.right_only.push_back(r.columns[j].name);
  }
  return m;
}

}  // namespace

Result<SystemUrl> ParseSystemUrl(const std::string& url) {
  SystemUrl out;
  auto bad = [&](const std::string& why) {
    return InvalidArgument(fmt::format(
        "\"{}\": {} (expected sqlite:path/to.db, postgres://user@host[:port]/database or "
        "mysql://user@host[:port]/database)",
        url, why));
  };
  auto stem = [](const std::string& s) { return Identifier(std::filesystem::path(s).stem()); };
  if (url.rfind("sqlite:", 0) == 0) {
    std::string path = url.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    if (path.empty()) return bad("no file after sqlite:");
    out.connector = "sqlite";
    out.options["path"] = path;
    out.name = stem(path);
    return out;
  }
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return bad("unknown form");
  std::string scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);
  size_t slash = rest.find('/');
  if (slash == std::string::npos || slash + 1 >= rest.size()) return bad("no database name");
  std::string authority = rest.substr(0, slash);
  std::string database = rest.substr(slash + 1);
  std::string user, host = authority, port;
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    user = authority.substr(0, at);
    host = authority.substr(at + 1);
    if (size_t colon = user.find(':'); colon != std::string::npos) {
      out.password = user.substr(colon + 1);
      user = user.substr(0, colon);
    }
  }
  if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (scheme == "postgres" || scheme == "postgresql") {
    out.connector = "postgres";
    size_t q = database.find('?');
    out.name = Identifier(database.substr(0, q));
    out.options["url"] = "postgresql://" + (user.empty() ? "" : user + "@") + host +
                         (port.empty() ? "" : ":" + port) + "/" + database;
  } else if (scheme == "mysql" || scheme == "mariadb") {
    out.connector = "mysql";
    out.name = Identifier(database);
    out.options["database"] = database;
    if (!host.empty()) out.options["host"] = host;
    if (!port.empty()) out.options["port"] = port;
    if (!user.empty()) out.options["user"] = user;
  } else {
    return bad("unknown scheme \"" + scheme + "\"");
  }
  if (!out.password.empty()) out.options["password"] = out.password;
  return out;
}

Result<std::unique_ptr<Connection>> OpenSystem(const SystemUrl& url, const std::string& base_dir) {
  const ConnectorDescriptor* d = FindConnector(url.connector);
  if (d == nullptr) return InvalidArgument("no connector \"" + url.connector + "\"");
  ConnectionParams p{url.name, url.options, base_dir};
  return d->open(p);
}

Result<Proposal> Propose(const std::string& left_system, Connection* left,
                         const std::string& right_system, Connection* right,
                         const InitOptions& options) {
  ASSIGN_OR_RETURN(auto lt, Inspect(left, options));
  ASSIGN_OR_RETURN(auto rt, Inspect(right, options));
  Proposal p;
  p.left_system = left_system;
  p.right_system = right_system;
  struct Cand {
    double score;
    size_t li, ri;
    std::string why;
  };
  std::vector<Cand> cands;
  for (size_t i = 0; i < lt.size(); ++i) {
    for (size_t j = 0; j < rt.size(); ++j) {
      double score = 0;
      std::vector<std::string> why;
      if (!lt[i].entity.empty() && lt[i].entity == rt[j].entity) {
        score += 2;
        why.push_back("names: both mean " + lt[i].entity);
      }
      // Keys in common are the strongest evidence from data.
      auto ls = lt[i].samples.find(lt[i].pk);
      auto rs = rt[j].samples.find(rt[j].pk);
      if (ls != lt[i].samples.end() && rs != rt[j].samples.end()) {
        auto [n, kind] = Overlap(ls->second, rs->second);
        int64_t base = std::min(ls->second.non_null, rs->second.non_null);
        if (n > 0 && base > 0 && n * 2 >= base) {
          score += static_cast<double>(n) / static_cast<double>(base);
          why.push_back(fmt::format("data: {} of {} sampled keys equal", n, base));
        }
      }
      if (score > 0) {
        std::string joined;
        for (const auto& w : why) joined += (joined.empty() ? "" : "; ") + w;
        cands.push_back({score, i, j, joined});
      }
    }
  }
  std::stable_sort(cands.begin(), cands.end(),
                   [](const Cand& a, const Cand& b) { return a.score > b.score; });
  std::set<size_t> used_l, used_r;
  std::set<std::string> entities;
  for (const Cand& c : cands) {
    if (used_l.count(c.li) || used_r.count(c.ri)) continue;
    const TableInfo& l = lt[c.li];
    const TableInfo& r = rt[c.ri];
    if (l.pk.empty() || r.pk.empty()) continue;  // needs a single-column key on both sides
    std::string entity = !l.entity.empty() ? l.entity : Identifier(l.name);
    if (entities.count(entity)) continue;  // one table per entity and side in a draft
    TableMatch m = MatchColumns(l, r, entity);
    if (m.columns.size() < 2) continue;  // the key alone is no evidence
    m.why = c.why;
    used_l.insert(c.li);
    used_r.insert(c.ri);
    entities.insert(entity);
    p.tables.push_back(std::move(m));
  }
  // A reference to an entity the draft does not have stays a plain string.
  for (auto& m : p.tables) {
    for (auto& c : m.columns) {
      if (!c.reference.empty() && !entities.count(c.reference)) c.reference.clear();
    }
  }
  for (size_t i = 0; i < lt.size(); ++i) {
    if (!used_l.count(i)) p.left_only.push_back(lt[i].name);
  }
  for (size_t j = 0; j < rt.size(); ++j) {
    if (!used_r.count(j)) p.right_only.push_back(rt[j].name);
  }
  return p;
}

namespace {
std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? std::string("-") : s;
}
}  // namespace

std::string ProposalText(const Proposal& p) {
  std::string out = fmt::format("Matched tables (the intersection): {}\n", p.tables.size());
  for (const auto& t : p.tables) {
    out += fmt::format("\n  {}: {}.{} ↔ {}.{}   ({})\n", t.entity, p.left_system, t.left,
                       p.right_system, t.right, t.why);
    for (const auto& c : t.columns) {
      out += fmt::format("    {:<14} {:<16} ↔ {:<16} {}{}\n", c.field, c.left, c.right, c.why,
                         c.review.empty() ? "" : "  [review: " + c.review + "]");
    }
    out += fmt::format("    only in {}: {}\n    only in {}: {}\n", p.left_system,
                       Joined(t.left_only), p.right_system, Joined(t.right_only));
  }
  out += fmt::format("\nTables only in {} (the union's rest): {}\nTables only in {}: {}\n",
                     p.left_system, Joined(p.left_only), p.right_system, Joined(p.right_only));
  return out;
}

namespace {

std::string YamlString(const std::string& s) {
  bool plain = !s.empty();
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '_' || c >= 0x80)) plain = false;
  }
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string SystemYaml(const SystemUrl& u) {
  std::string out = "  " + u.name + ":\n    connector: " + u.connector + "\n";
  for (const auto& [k, v] : u.options) {
    if (k == "password") continue;
    out += "    " + k + ": " + YamlString(v) + "\n";
  }
  if (!u.password.empty()) {
    std::string env = u.name;
    std::transform(env.begin(), env.end(), env.begin(), ::toupper);
    out += "    password: \"${" + env + "_PASSWORD}\"   # REVIEW: export " + env +
           "_PASSWORD; never write the password here\n";
  }
  return out;
}

}  // namespace

std::string DraftConfig(const SystemUrl& from, const SystemUrl& to, const Proposal& p) {
  std::string out = fmt::format(
      "# Draft written by `concord init --from {} --to {}`.\n"
      "# Every guess is marked `# REVIEW: <why>`. Check each one, fix what is wrong, delete the\n"
      "# mark, then run `concord validate --connect` and `concord plan` (changes nothing).\n"
      "version: 1\nstate: sqlite:concord-state.db\n\nsystems:\n",
      from.name, to.name);
  out += SystemYaml(from) + SystemYaml(to);
  out += "\n# The data dictionary: one canonical shape per entity both systems hold.\nentities:\n";
  for (const auto& t : p.tables) {
    out += fmt::format("  {}:   # REVIEW: {} ↔ {} ({})\n    key: code\n    fields:\n", t.entity,
                       t.left, t.right, t.why);
    for (const auto& c : t.columns) {
      std::string spec = c.reference.empty() ? "type: " + c.type
                                             : "type: reference, entity: " + c.reference;
      if (c.key) spec += ", required: true";
      if (c.type == "phone" && c.reference.empty()) spec += ", region: CN";
      if (c.type == "decimal" && c.reference.empty()) spec += ", scale: 2";
      std::string review = c.review.empty() ? c.why : c.review + " (" + c.why + ")";
      if (c.type == "phone" && c.reference.empty()) review += "; numbers without +country are taken as Chinese";
      if (c.type == "decimal" && c.reference.empty()) review += "; 2 decimal places assumed";
      out += fmt::format("      {}: {{{}}}   # REVIEW: {}\n", c.field, spec, review);
    }
  }
  out += "\n# Where each entity lives in each system: table, key, column of each field.\nbindings:\n";
  for (const auto& t : p.tables) {
    for (int side = 0; side < 2; ++side) {
      const SystemUrl& sys = side == 0 ? from : to;
      const std::string& table = side == 0 ? t.left : t.right;
      std::string key;
      for (const auto& c : t.columns) {
        if (c.key) key = side == 0 ? c.left : c.right;
      }
      out += fmt::format("  {}.{}:\n    table: {}\n    key: {}\n    fields:\n", sys.name,
                         t.entity, YamlString(table), YamlString(key));
      for (const auto& c : t.columns) {
        out += fmt::format("      {}: {}\n", c.field, YamlString(side == 0 ? c.left : c.right));
      }
    }
  }
  out += "\n# What moves where. One flow per entity from " + from.name + " to " + to.name +
         " carrying every field both map.\nflows:\n";
  for (const auto& t : p.tables) {
    out += fmt::format(
        "  - {{entity: {}, from: {}, to: {}}}   # REVIEW: direction, and which system owns which "
        "field (owns:); add the reverse flow where {} is the master of some fields\n",
        t.entity, from.name, to.name, to.name);
  }
  return out;
}

}  // namespace concord::init
