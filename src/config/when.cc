#include "config/when.h"

#include <charconv>
#include <cstdlib>

namespace concord {
namespace {

struct Token {
  enum class Kind { kIdent, kOp, kString, kNumber, kOther, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // identifier, operator, number as written, or the string's contents
  size_t offset = 0;
};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Token::Kind::kEnd:
      return "the end of the expression";
    case Token::Kind::kString:
      return "the string '" + t.text + "'";
    default:
      return Quote(t.text);
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  // Returns false with *error set on an unterminated string.
  bool Next(Token* t, WhenParseError* error) {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
    t->offset = pos_;
    t->text.clear();
    if (pos_ >= s_.size()) {
      t->kind = Token::Kind::kEnd;
      return true;
    }
    char c = s_[pos_];
    if (IsIdentStart(c)) {
      size_t start = pos_;
      while (pos_ < s_.size() && (IsIdentStart(s_[pos_]) || IsDigit(s_[pos_]))) ++pos_;
      t->kind = Token::Kind::kIdent;
      t->text = std::string(s_.substr(start, pos_ - start));
      return true;
    }
    if (IsDigit(c) || (c == '-' && pos_ + 1 < s_.size() && IsDigit(s_[pos_ + 1]))) {
      size_t start = pos_++;
      while (pos_ < s_.size() && (IsDigit(s_[pos_]) || s_[pos_] == '.')) ++pos_;
      t->kind = Token::Kind::kNumber;
      t->text = std::string(s_.substr(start, pos_ - start));
      return true;
    }
    if (c == '\'' || c == '"') {
      // A quote inside is written twice: 'it''s'.
      size_t start = pos_++;
      std::string value;
      while (true) {
        if (pos_ >= s_.size()) {
          error->offset = start;
          error->message = "unterminated string starting at " + std::string(s_.substr(start, 12)) +
                           (s_.size() - start > 12 ? "..." : "");
          error->hint = std::string("close it with ") + c + "; write a quote inside as " + c + c;
          return false;
        }
        if (s_[pos_] == c) {
          if (pos_ + 1 < s_.size() && s_[pos_ + 1] == c) {
            value += c;
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        value += s_[pos_++];
      }
      t->kind = Token::Kind::kString;
      t->text = std::move(value);
      return true;
    }
    static const char* const kOps[] = {"==", "!=", "<=", ">=", "<", ">"};
    for (const char* op : kOps) {
      std::string_view o(op);
      if (s_.substr(pos_, o.size()) == o) {
        pos_ += o.size();
        t->kind = Token::Kind::kOp;
        t->text = std::string(o);
        return true;
      }
    }
    size_t start = pos_;
    // One unexpected character (or two for "&&", "||", "=<"), reported as written.
    ++pos_;
    while (pos_ < s_.size() && pos_ - start < 2 &&
           std::string_view("=&|!<>").find(s_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
    t->kind = Token::Kind::kOther;
    t->text = std::string(s_.substr(start, pos_ - start));
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool Fail(WhenParseError* error, const Token& at, std::string message, std::string hint = "") {
  error->offset = at.offset;
  error->message = std::move(message);
  error->hint = std::move(hint);
  return false;
}

}  // namespace

std::string_view WhenOpName(WhenComparison::Op op) {
  switch (op) {
    case WhenComparison::Op::kEq:
      return "==";
    case WhenComparison::Op::kNe:
      return "!=";
    case WhenComparison::Op::kLt:
      return "<";
    case WhenComparison::Op::kLe:
      return "<=";
    case WhenComparison::Op::kGt:
      return ">";
    case WhenComparison::Op::kGe:
      return ">=";
  }
  return "?";
}

bool ParseWhen(std::string_view text, WhenSpec* out, std::vector<size_t>* field_offsets,
               WhenParseError* error) {
  out->all_of.clear();
  field_offsets->clear();
  Lexer lex(text);
  Token t;
  if (!lex.Next(&t, error)) return false;
  if (t.kind == Token::Kind::kEnd) {
    return Fail(error, t, "the expression is empty",
                "write comparisons like status == 'approved', or remove when:");
  }
  while (true) {
    WhenComparison cmp;
    if (t.kind != Token::Kind::kIdent || t.text == "and") {
      return Fail(error, t, "expected a field name, found " + Describe(t),
                  "write comparisons as <field> <op> <literal>, e.g. amount >= 100");
    }
    cmp.field = t.text;
    field_offsets->push_back(t.offset);
    if (!lex.Next(&t, error)) return false;
    if (t.kind != Token::Kind::kOp) {
      std::string hint = t.text == "=" ? "did you mean \"==\"?" : "";
      return Fail(error, t,
                  "expected a comparison operator (==, !=, <, <=, >, >=) after " +
                      Quote(cmp.field) + ", found " + Describe(t),
                  hint);
    }
    for (auto op : {WhenComparison::Op::kEq, WhenComparison::Op::kNe, WhenComparison::Op::kLt,
                    WhenComparison::Op::kLe, WhenComparison::Op::kGt, WhenComparison::Op::kGe}) {
      if (WhenOpName(op) == t.text) cmp.op = op;
    }
    const std::string op_text = t.text;
    if (!lex.Next(&t, error)) return false;
    if (t.kind == Token::Kind::kString) {
      cmp.literal = Value::Text(t.text);
    } else if (t.kind == Token::Kind::kNumber) {
      cmp.number = t.text;
      if (t.text.find('.') == std::string::npos) {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
        if (ec != std::errc() || p != t.text.data() + t.text.size()) {
          return Fail(error, t, "the number " + t.text + " does not fit in 64 bits");
        }
        cmp.literal = Value::Int(v);
      } else {
        size_t dot = t.text.find('.');
        if (t.text.find('.', dot + 1) != std::string::npos || dot + 1 == t.text.size()) {
          return Fail(error, t, "expected a number like 100 or 99.50, found " + Quote(t.text));
        }
        cmp.literal = Value::Real(std::strtod(t.text.c_str(), nullptr));
      }
    } else if (t.kind == Token::Kind::kIdent && t.text == "null") {
      cmp.literal = Value::Null();
      if (cmp.op != WhenComparison::Op::kEq && cmp.op != WhenComparison::Op::kNe) {
        return Fail(error, t, "null compares only with == or !=, found " + Quote(op_text));
      }
    } else if (t.kind == Token::Kind::kIdent && (t.text == "true" || t.text == "false")) {
      cmp.literal = Value::Int(t.text == "true" ? 1 : 0);
    } else {
      std::string hint = t.kind == Token::Kind::kIdent ? "quote text: '" + t.text + "'" : "";
      return Fail(error, t,
                  "expected a literal ('text', a number, true, false or null) after " +
                      Quote(cmp.field + " " + op_text) + ", found " + Describe(t),
                  hint);
    }
    out->all_of.push_back(std::move(cmp));
    if (!lex.Next(&t, error)) return false;
    if (t.kind == Token::Kind::kEnd) return true;
    if (t.kind == Token::Kind::kIdent && t.text == "and") {
      if (!lex.Next(&t, error)) return false;
      continue;
    }
    std::string hint;
    if (t.text == "&&" || t.text == "AND") hint = "did you mean \"and\"?";
    if (t.text == "or" || t.text == "||" || t.text == "OR") {
      hint = "only \"and\" joins comparisons";
    }
    return Fail(error, t, "expected \"and\" or the end of the expression, found " + Describe(t),
                hint);
  }
}

Result<WhenSpec> ParseWhereOption(const std::string& text,
                                  const std::function<bool(const std::string&)>& readable,
                                  const std::string& unreadable) {
  WhenSpec where;
  where.text = text;
  WhenParseError err;
  std::vector<size_t> offsets;
  if (!ParseWhen(text, &where, &offsets, &err)) {
    return InvalidArgument("--where \"" + text + "\": at column " +
                           std::to_string(err.offset + 1) + ": " + err.message +
                           (err.hint.empty() ? "" : "; " + err.hint));
  }
  for (const auto& c : where.all_of) {
    if (!readable(c.field)) {
      return InvalidArgument("--where: field \"" + c.field + "\" is " + unreadable);
    }
  }
  return where;
}

}  // namespace concord
