// The proxy study: Spearman's ρ, the draw in a cost band, and the study end to end on
// synthetic targets whose "fine-tune" noise plays the proxy's quality, with its resume.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "accel/reram/config.h"
#include "autoq/proxy_study.h"

namespace fixar::autoq {
namespace {

TEST(SpearmanRho, MonotoneIsOneReversedIsMinusOne) {
  const std::vector<double> x = {0.1, 0.5, 0.2, 0.9, 0.7};
  const std::vector<double> up = {1, 30, 2, 1000, 40};  // same order, any scale
  const std::vector<double> down = {-1, -30, -2, -1000, -40};
  EXPECT_DOUBLE_EQ(SpearmanRho(x, up), 1.0);
  EXPECT_DOUBLE_EQ(SpearmanRho(x, down), -1.0);
}

TEST(SpearmanRho, TiesGetTheirAverageRank) {
  // ranks x = 1, 2.5, 2.5, 4; ranks y = 1, 3, 2, 4: r = 4.5 / sqrt(4.5 · 5).
  const std::vector<double> x = {1, 2, 2, 3}, y = {1, 3, 2, 4};
  EXPECT_NEAR(SpearmanRho(x, y), 4.5 / std::sqrt(22.5), 1e-15);
  // One swap among 5 distinct values: 1 − 6·Σd²/(n(n²−1)) = 1 − 6·2/120 = 0.9.
  EXPECT_NEAR(SpearmanRho(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{1, 2, 3, 5, 4}), 0.9, 1e-15);
}

TEST(SpearmanRho, UndefinedIsNaN) {
  EXPECT_TRUE(std::isnan(SpearmanRho(std::vector<double>{1, 1, 1}, std::vector<double>{1, 2, 3})));
  EXPECT_TRUE(std::isnan(SpearmanRho(std::vector<double>{1}, std::vector<double>{1})));
  EXPECT_TRUE(std::isnan(SpearmanRho(std::vector<double>{1, 2}, std::vector<double>{1, 2, 3})));
}

struct Pricing {
  std::unique_ptr<QuantTarget> target = MakeSyntheticTarget({.network = "vgg_small", .seed = 1});
  reram::CostModel model{reram::ReramConfig::Isaac()};
  Evaluator evaluator{*target, model, CostMetric::kEnergy, 1.0};
};

TEST(DrawAssignmentsInBand, DistinctInTheBandAndSeeded) {
  Pricing p;
  const std::vector<int> candidates = {2, 3, 4, 5, 6, 7, 8};
  const auto a = DrawAssignmentsInBand(p.evaluator, candidates, 30, 7, 0.3, 0.4);
  ASSERT_EQ(a.size(), 30u);
  std::set<std::string> seen;
  for (const Bits& b : a) {
    const double c = p.evaluator.Cost(b);
    EXPECT_GE(c, 0.3);
    EXPECT_LE(c, 0.4);
    EXPECT_TRUE(seen.insert(FormatBits(b)).second) << FormatBits(b);
  }
  const auto again = DrawAssignmentsInBand(p.evaluator, candidates, 30, 7, 0.3, 0.4);
  const auto other = DrawAssignmentsInBand(p.evaluator, candidates, 30, 8, 0.3, 0.4);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(FormatBits(a[i]), FormatBits(again[i]));
  EXPECT_NE(FormatBits(a[0]), FormatBits(other[0]));
}

TEST(DrawAssignmentsInBand, AnUnreachableBandIsAnErrorNamingIt) {
  Pricing p;
  const std::vector<int> candidates = {8};  // one assignment exists, at cost 1
  try {
    DrawAssignmentsInBand(p.evaluator, candidates, 2, 7, 0.2, 0.3);
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("[0.2, 0.3]"), std::string::npos) << e.what();
  }
}

// Forwards to a synthetic target and counts the measurements.
class Counting final : public QuantTarget {
 public:
  Counting(double noise, int* calls) : inner_(MakeSyntheticTarget({.seed = 1, .noise = noise})), calls_(calls) {}
  std::string name() const override { return inner_->name(); }
  const std::vector<layers::LayerShape>& layers() const override { return inner_->layers(); }
  double FloatAccuracy() override { return inner_->FloatAccuracy(); }
  double Accuracy(std::span<const layers::LayerBits> bits) override {
    ++*calls_;
    return inner_->Accuracy(bits);
  }

 private:
  std::unique_ptr<QuantTarget> inner_;
  int* calls_;
};

struct Study {
  int calls = 0;
  reram::CostModel model{reram::ReramConfig::Isaac()};
  ProxyStudyOptions options;
  std::filesystem::path dir;
  explicit Study(const std::string& name) : dir(std::filesystem::path(testing::TempDir()) / name) {
    std::filesystem::remove_all(dir);
    options.assignments = 12;
    options.cost_min = 0.3;
    options.cost_max = 0.55;
    // steps 1: the final measurement's own noise (ρ = 1); steps 2: noise that swamps the
    // differences between assignments.
    options.proxies = {{.steps = 1}, {.steps = 2}};
  }
  ProxyStudyResult Run() {
    return RunProxyStudy(
        [&](const ProxySetting& s) { return std::make_unique<Counting>(s.steps == 1 ? 0.002 : 0.5, &calls); }, model,
        options, dir, {});
  }
};

TEST(ProxyStudy, RanksProxiesByTheirAgreementWithTheFinalMeasurement) {
  Study s("proxy_rank");
  const ProxyStudyResult r = s.Run();
  ASSERT_EQ(r.spearman.size(), 2u);
  EXPECT_DOUBLE_EQ(r.spearman[0], 1.0);  // the same measurement as the final one
  EXPECT_LT(r.spearman[1], 0.9);
  EXPECT_EQ(r.chosen, 0);
  EXPECT_EQ(s.calls, 12 * 3);  // two proxies + the final, per assignment
  for (double c : r.cost) {
    EXPECT_GE(c, 0.3);
    EXPECT_LE(c, 0.55);
  }
  EXPECT_TRUE(std::filesystem::exists(s.dir / "proxy_study.md"));
  EXPECT_TRUE(std::filesystem::exists(s.dir / "proxy_study.json"));
}

TEST(ProxyStudy, ARerunResumesFromItsCsvAndMeasuresOnlyWhatIsMissing) {
  Study s("proxy_resume");
  const ProxyStudyResult first = s.Run();
  s.calls = 0;
  const ProxyStudyResult again = s.Run();
  EXPECT_EQ(s.calls, 0);
  EXPECT_EQ(again.reused, 12 * 3);
  EXPECT_EQ(again.spearman, first.spearman);

  // A torn last row (killed while writing): that one measurement is made again.
  const auto csv = s.dir / "proxy_study.csv";
  std::ifstream in(csv);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  text.resize(text.size() - 1);                                          // drop the newline
  text.resize(text.rfind('\n') + 1);                                     // and the last row
  text += "11,8-8";                                                      // a torn row, no newline
  std::ofstream(csv, std::ios::trunc) << text;
  s.calls = 0;
  const ProxyStudyResult torn = s.Run();
  EXPECT_EQ(s.calls, 1);
  EXPECT_EQ(torn.spearman, first.spearman);
  std::ifstream check(csv);
  int lines = 0;
  for (std::string line; std::getline(check, line); ++lines) EXPECT_EQ(std::count(line.begin(), line.end(), ','), 10);
  EXPECT_EQ(lines, 1 + 12 * 3);
}

TEST(ProxyStudy, AResumeWithAnotherDrawIsRefused) {
  Study s("proxy_other_draw");
  s.Run();
  s.options.seed = 8;
  try {
    s.Run();
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("proxy_study.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("another seed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fixar::autoq
