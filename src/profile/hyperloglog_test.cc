#include "profile/hyperloglog.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/hash.h"

namespace concord {
namespace {

TEST(HyperLogLog, EmptyIsZero) { EXPECT_EQ(HyperLogLog().Estimate(), 0); }

TEST(HyperLogLog, RepeatedValuesCountOnce) {
  HyperLogLog h;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 100; ++i) h.Add(HashValue(Value::Int(i)));
  }
  EXPECT_NEAR(h.Estimate(), 100, 1);  // linear counting is near exact this small
}

// Deterministic (XXH3 of fixed values): within 3 standard errors at every size, across the
// switch from linear counting to the raw estimate.
TEST(HyperLogLog, WithinThreeStandardErrors) {
  for (int n : {1000, 30000, 50000, 200000, 1000000}) {
    HyperLogLog h;
    for (int i = 0; i < n; ++i) h.Add(HashValue(Value::Text("v" + std::to_string(i))));
    double error = std::abs(h.Estimate() - n) / n;
    EXPECT_LT(error, 3 * h.StandardError()) << n << " → " << h.Estimate();
  }
}

TEST(HyperLogLog, PrecisionSetsTheError) {
  EXPECT_NEAR(HyperLogLog(14).StandardError(), 0.0081, 0.0001);
  EXPECT_NEAR(HyperLogLog(10).StandardError(), 0.0325, 0.0001);
}

}  // namespace
}  // namespace concord
