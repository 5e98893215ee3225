// `concord demo` through the binary: it completes and prints its report, the final check finds
// no difference it cannot explain, the config it writes validates, and the numbers the README
// tour quotes are the ones the demo prints for the default seed.
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/harness.h"

namespace concord::e2e {
namespace {

class DemoE2e : public ::testing::Test {
 protected:
  // One demo run (5 s of business) shared by the tests below.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    result_ = new ProcResult(RunConcord(dir_->path(), {"demo", "--dir", "out", "--seconds", "5"}));
  }
  static void TearDownTestSuite() {
    delete result_;
    delete dir_;
  }
  static TempDir* dir_;
  static ProcResult* result_;
};
TempDir* DemoE2e::dir_ = nullptr;
ProcResult* DemoE2e::result_ = nullptr;

TEST_F(DemoE2e, CompletesWithTheReportAndAFinalCheckThatExplainsEveryDifference) {
  ASSERT_EQ(result_->exit_code, 0) << result_->err;
  const std::string& out = result_->out;
  for (const char* part : {"== concord plan", "== Initial sync, both ways", "== Report",
                           "Rejected, by reason", "Conflicts:", "Latency, business commit",
                           "== Final check"}) {
    EXPECT_NE(out.find(part), std::string::npos) << part << "\n" << out;
  }
  // Every entity was checked, and every difference is a row concord rejected (or its child).
  for (const char* entity : {"customer ", "product ", "inventory ", "order "}) {
    EXPECT_NE(out.find("\n  " + std::string(entity)), std::string::npos) << entity;
  }
  EXPECT_EQ(out.find("NOT explained"), std::string::npos) << out;
  EXPECT_NE(out.find("The CRM and the ERP agree, except for the rows named above"),
            std::string::npos)
      << out;
  // The rejections it names are the generator's invalid rows, by reason.
  EXPECT_NE(out.find("e.g. M10008: field price: expected a decimal number, found \"面议\""),
            std::string::npos)
      << out;
  // Not a terminal: plain progress lines, no cursor control.
  EXPECT_NE(result_->err.find("business events"), std::string::npos) << result_->err;
  EXPECT_EQ(result_->err.find("\033[K"), std::string::npos);
}

TEST_F(DemoE2e, TheGeneratedConfigValidatesAndTheCommandsWorkOnIt) {
  ASSERT_EQ(result_->exit_code, 0);
  std::string out_dir = *dir_ / "out";
  ProcResult v = RunConcord(out_dir, {"validate", "--connect"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_NE(v.out.find("OK — 2 systems, 4 entities, 8 bindings, 6 flows"), std::string::npos)
      << v.out;
  ProcResult s = RunConcord(out_dir, {"status"});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("customer:crm->erp"), std::string::npos) << s.out;
  // Every flow has a comment that explains it: the file reads as a tutorial.
  std::string yaml = ReadFile(out_dir + "/concord.yaml");
  size_t flows = yaml.find("\nflows:");
  ASSERT_NE(flows, std::string::npos);
  std::istringstream lines(yaml.substr(flows));
  std::string line, previous;
  int flow_count = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("  - ", 0) == 0) {
      ++flow_count;
      EXPECT_EQ(previous.rfind("  #", 0), 0u) << "flow without a comment: " << line;
    }
    previous = line;
  }
  EXPECT_EQ(flow_count, 6);
}

// The README tour quotes a block of demo output between `<!-- demo-output -->` and the end of
// the code fence that follows it; every line of it must be printed, verbatim, by the demo with
// the default seed (the README says which).
TEST_F(DemoE2e, TheReadmeTourQuotesWhatTheDemoPrints) {
  ASSERT_EQ(result_->exit_code, 0);
  std::string readme = ReadFile(std::string(CONCORD_SOURCE_DIR) + "/README.md");
  EXPECT_NE(readme.find("seed 2026"), std::string::npos) << "the tour must name its seed";
  size_t marker = readme.find("<!-- demo-output -->");
  ASSERT_NE(marker, std::string::npos);
  size_t open = readme.find("```", marker);
  ASSERT_NE(open, std::string::npos);
  open = readme.find('\n', open) + 1;
  size_t close = readme.find("```", open);
  ASSERT_NE(close, std::string::npos);
  std::istringstream quoted(readme.substr(open, close - open));
  std::string line;
  int checked = 0;
  while (std::getline(quoted, line)) {
    if (line.find_first_not_of(' ') == std::string::npos || line == "  ...") continue;
    EXPECT_NE(result_->out.find(line + "\n"), std::string::npos)
        << "README quotes a line the demo does not print:\n" << line;
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

// Every number the tour's prose quotes about the generated data and the initial sync (the
// paragraphs "1. Two systems ..." and the one after the quoted output) is one the demo prints.
// Inline code (example layouts such as `2024/3/5`) is not a quote.
TEST_F(DemoE2e, TheReadmeProseNumbersAreWhatTheDemoPrints) {
  ASSERT_EQ(result_->exit_code, 0);
  std::string readme = ReadFile(std::string(CONCORD_SOURCE_DIR) + "/README.md");
  auto between = [&](const std::string& from, const std::string& to) {
    size_t a = readme.find(from);
    size_t b = a == std::string::npos ? a : readme.find(to, a);
    EXPECT_NE(b, std::string::npos) << "README lost the paragraph starting " << from;
    return b == std::string::npos ? std::string() : readme.substr(a, b - a);
  };
  std::string prose = between("**1. Two systems", "**2.");
  std::string after_output = between("<!-- demo-output -->", "**4.");
  size_t fence_end = after_output.rfind("```");
  prose += fence_end == std::string::npos ? "" : after_output.substr(fence_end + 3);
  // Numbers outside `inline code`, not glued to letters (p50) or to other numbers' punctuation.
  std::vector<std::string> numbers;
  bool in_code = false;
  for (size_t i = 0; i < prose.size(); ++i) {
    char c = prose[i];
    if (c == '`') in_code = !in_code;
    if (in_code || !std::isdigit(static_cast<unsigned char>(c))) continue;
    char before = i == 0 ? ' ' : prose[i - 1];
    size_t j = i;
    while (j < prose.size() && (std::isdigit(static_cast<unsigned char>(prose[j])) ||
                                (prose[j] == ',' && j + 1 < prose.size() &&
                                 std::isdigit(static_cast<unsigned char>(prose[j + 1]))))) {
      ++j;
    }
    char after = j < prose.size() ? prose[j] : ' ';
    bool list_label = after == '.' && j + 1 < prose.size() && prose[j + 1] == ' ' && before == '*';
    if (!std::isalnum(static_cast<unsigned char>(before)) &&
        !std::isalpha(static_cast<unsigned char>(after)) && !list_label) {
      numbers.push_back(prose.substr(i, j - i));
    }
    i = j;
  }
  EXPECT_GE(numbers.size(), 7u);
  const std::string& out = result_->out;
  for (const std::string& n : numbers) {
    bool found = false;
    for (size_t at = out.find(n); at != std::string::npos && !found; at = out.find(n, at + 1)) {
      char b = at == 0 ? ' ' : out[at - 1];
      char a = at + n.size() < out.size() ? out[at + n.size()] : ' ';
      found = !std::isdigit(static_cast<unsigned char>(b)) && b != ',' &&
              !std::isdigit(static_cast<unsigned char>(a)) &&
              !(a == ',' && at + n.size() + 1 < out.size() &&
                std::isdigit(static_cast<unsigned char>(out[at + n.size() + 1])));
    }
    EXPECT_TRUE(found) << "README's tour quotes " << n << ", which the demo does not print";
  }
}

}  // namespace
}  // namespace concord::e2e
