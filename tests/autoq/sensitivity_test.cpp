// The multiple-choice knapsack against brute force, the exact per-layer split of the ReRAM
// cost, and the sensitivity agent end to end on the synthetic target.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "accel/reram/config.h"
#include "autoq/knapsack.h"
#include "autoq/run.h"
#include "autoq/search.h"
#include "autoq/sensitivity.h"
#include "numerics/random.h"

namespace fixar::autoq {
namespace {

// ---------------------------------------------------------------- knapsack

struct BruteForce {
  bool feasible = false;
  double value = 0;
};

BruteForce SolveByEnumeration(const KnapsackProblem& p) {
  BruteForce best;
  std::vector<int> pick(p.groups.size(), 0);
  while (true) {
    double cost = 0, value = 0;
    std::int64_t count = 0;
    for (std::size_t g = 0; g < pick.size(); ++g) {
      cost += p.groups[g][pick[g]].cost;
      value += p.groups[g][pick[g]].value;
      count += p.groups[g][pick[g]].count;
    }
    if (p.Total(cost, count) <= p.budget + 1e-12 && (!best.feasible || value < best.value)) best = {true, value};
    std::size_t g = 0;
    while (g < pick.size() && ++pick[g] == static_cast<int>(p.groups[g].size())) pick[g++] = 0;
    if (g == pick.size()) return best;
  }
}

// Small random instances; values and costs on a coarse grid so ties are common. With
// `counted`, the total cost adds 0.3 per started block of 4 counts (like eDRAM banks).
KnapsackProblem RandomProblem(num::Random& rng, bool counted) {
  KnapsackProblem p;
  const int groups = 1 + rng.below(4);
  double lo = 0, hi = 0;
  for (int g = 0; g < groups; ++g) {
    p.groups.emplace_back();
    const int options = 1 + rng.below(5);
    double glo = 1e9, ghi = -1e9;
    for (int j = 0; j < options; ++j) {
      KnapsackOption o{0.25 * (rng.below(12) - 3), 0.125 * (rng.below(16) - 4), counted ? rng.below(6) : 0};
      p.groups.back().push_back(o);
      glo = std::min(glo, o.cost), ghi = std::max(ghi, o.cost);
    }
    lo += glo, hi += ghi;
  }
  if (counted) p.total_cost = [](double c, std::int64_t n) { return c + 0.3 * static_cast<double>((n + 3) / 4); };
  p.budget = rng.uniform(lo - 0.5, hi + 1.5);  // some instances infeasible, some unconstrained
  return p;
}

TEST(Knapsack, MatchesBruteForceOnRandomInstances) {
  num::Random rng(7);
  int feasible = 0, infeasible = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const KnapsackProblem p = RandomProblem(rng, trial % 2 == 1);
    const KnapsackSolution s = SolveMultipleChoiceKnapsack(p);
    const BruteForce b = SolveByEnumeration(p);
    ASSERT_EQ(s.feasible, b.feasible) << "trial " << trial << " budget " << p.budget;
    if (!s.feasible) {
      ++infeasible;
      continue;
    }
    ++feasible;
    ASSERT_EQ(s.choice.size(), p.groups.size());
    double cost = 0, value = 0;
    std::int64_t count = 0;
    for (std::size_t g = 0; g < p.groups.size(); ++g) {
      cost += p.groups[g][s.choice[g]].cost;
      value += p.groups[g][s.choice[g]].value;
      count += p.groups[g][s.choice[g]].count;
    }
    EXPECT_NEAR(s.value, b.value, 1e-9) << "trial " << trial;
    EXPECT_NEAR(value, s.value, 1e-9) << "trial " << trial;
    EXPECT_LE(p.Total(cost, count), p.budget + 1e-12) << "trial " << trial;
    EXPECT_NEAR(p.Total(cost, count), s.cost, 1e-9) << "trial " << trial;
  }
  EXPECT_GT(feasible, 500);
  EXPECT_GT(infeasible, 50);
}

TEST(Knapsack, InfeasibleBudgetIsReportedWithTheCheapestCost) {
  KnapsackProblem p;
  p.groups = {{{1.0, 0.0}, {0.5, 1.0}}, {{0.25, 0.0}, {0.75, -1.0}}};
  p.budget = 0.7;  // cheapest: 0.5 + 0.25 = 0.75
  const KnapsackSolution s = SolveMultipleChoiceKnapsack(p);
  EXPECT_FALSE(s.feasible);
  EXPECT_TRUE(s.choice.empty());
  EXPECT_DOUBLE_EQ(s.cheapest_cost, 0.75);
  EXPECT_NE(s.message.find("0.7 cannot be met"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("0.75"), std::string::npos) << s.message;
  p.budget = 0.75;  // exactly the cheapest: feasible
  EXPECT_TRUE(SolveMultipleChoiceKnapsack(p).feasible);
}

TEST(Knapsack, BadInputNamesTheValue) {
  auto message = [](const KnapsackProblem& p) {
    try {
      SolveMultipleChoiceKnapsack(p);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  KnapsackProblem p;
  p.groups = {{{1.0, 0.0}}, {}};
  p.group_names = {"conv1", "conv2"};
  p.budget = 1;
  EXPECT_NE(message(p).find("group 1 (conv2) has no options"), std::string::npos) << message(p);
  p.groups[1] = {{std::nan(""), 0.0}};
  EXPECT_NE(message(p).find("cost nan"), std::string::npos) << message(p);
  p.groups[1] = {{0.0, 0.0}};
  p.budget = std::numeric_limits<double>::infinity();
  EXPECT_NE(message(p).find("budget = inf"), std::string::npos) << message(p);
  p.budget = 1;
  p.group_names = {"conv1"};
  EXPECT_NE(message(p).find("1 group names for 2 groups"), std::string::npos) << message(p);
}

// ---------------------------------------------------------------- the cost split

TEST(SplitCost, PredictsTheCostModelExactlyForEveryMetric) {
  reram::ReramConfig small_banks = reram::ReramConfig::Isaac();
  small_banks.edram.crossbars_per_bank = 4;  // many bank boundaries: the area's ceil matters
  for (const reram::ReramConfig& config : {reram::ReramConfig::Isaac(), small_banks}) {
    const reram::CostModel model(config);
    for (const char* network : {"vgg_small", "lenet5"}) {
      auto target = MakeSyntheticTarget({.network = network});
      const int L = static_cast<int>(target->layers().size());
      for (CostMetric m : {CostMetric::kCrossbars, CostMetric::kArea, CostMetric::kEnergy, CostMetric::kLatency}) {
        Evaluator ev(*target, model, m, 1.0);
        std::vector<std::vector<layers::LayerBits>> choices;
        for (int l = 0; l < L; ++l) choices.push_back(LayerChoices(l, L, {1, 2, 3, 5, 8, 12}, false));
        const SeparableCost split = SplitCost(ev, choices, 8);
        num::Random rng(3);
        for (int trial = 0; trial < 200; ++trial) {
          Bits bits;
          double cost = 0;
          std::int64_t count = 0;
          for (int l = 0; l < L; ++l) {
            const int j = rng.below(static_cast<int>(choices[l].size()));
            bits.push_back(choices[l][j]);
            cost += split.options[l][j].cost;
            count += split.options[l][j].count;
          }
          ASSERT_NEAR(split.total(cost, count), ev.Cost(bits), 1e-12)
              << network << " " << to_string(m) << " " << FormatBits(bits) << ", banks of "
              << config.edram.crossbars_per_bank << " crossbars";
        }
      }
    }
  }
}

TEST(LayerChoices, EveryPairOrHaqsFirstLastRule) {
  const std::vector<int> c = {2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(LayerChoices(3, 7, c, false).size(), 49u);
  const auto first = LayerChoices(0, 7, c, true);
  ASSERT_EQ(first.size(), 7u);
  for (const auto& b : first) EXPECT_EQ(b.weight_bits, 8);
  EXPECT_EQ(LayerChoices(6, 7, c, true), (std::vector<layers::LayerBits>{{8, 8}}));
  EXPECT_EQ(LayerChoices(3, 7, c, true).size(), 49u);
  EXPECT_THROW(LayerChoices(7, 7, c, false), std::invalid_argument);
}

// ---------------------------------------------------------------- the agent

SearchOptions SensitivityOptions() {
  SearchOptions o;
  o.agent = Agent::kSensitivity;
  return o;
}

TEST(SensitivitySearch, SyntheticTargetMeasuresEveryChoiceOnceAndBeatsUniform) {
  auto target = MakeSyntheticTarget({.network = "vgg_small"});
  const reram::CostModel model(reram::ReramConfig::Isaac());
  Evaluator ev(*target, model, CostMetric::kEnergy, 0.5);
  const SearchResult r = RunSensitivitySearch(ev, SensitivityOptions());
  ASSERT_TRUE(r.sensitivity.has_value());
  const SensitivityOutcome& s = *r.sensitivity;
  EXPECT_EQ(s.table.probes(), 7 * 49);
  // The reference (8/8 everywhere) is measured once; each layer's (8, 8) probe is that same
  // assignment (7 cache hits); the final is new.
  EXPECT_EQ(r.measurements, 1 + 7 * 48 + 1);
  EXPECT_EQ(r.cache_hits, 7);
  EXPECT_EQ(r.episodes, 1 + 7 * 49 + 1);
  EXPECT_EQ(r.over_budget, 0);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_EQ(r.best->bits, s.chosen);
  EXPECT_TRUE(r.best->in_budget);
  EXPECT_NEAR(r.best->cost_ratio, s.solution.cost, 1e-9);
  // The synthetic accuracy is additive over layers up to ±0.2 % noise per assignment.
  EXPECT_NEAR(s.predicted_accuracy, r.best->accuracy, 0.02);
  Evaluator ev_u(*target, model, CostMetric::kEnergy, 0.5);
  const SearchResult uniform = RunUniformSearch(ev_u, SensitivityOptions());
  ASSERT_TRUE(uniform.best.has_value());
  EXPECT_GT(r.best->accuracy, uniform.best->accuracy);
}

// Without the synthetic target's ±0.2 % noise its accuracy is exactly additive over layers,
// so the prediction (reference − Σ drops) must be the measurement. With the noise, the pick
// per layer favours probes whose noise was lucky, and the prediction is optimistic.
TEST(SensitivitySearch, NoiseFreeAdditiveTargetIsPredictedExactly) {
  const reram::CostModel model(reram::ReramConfig::Isaac());
  for (double budget : {0.34, 0.5}) {
    auto exact = MakeSyntheticTarget({.network = "vgg_small", .noise = 0.0});
    Evaluator ev(*exact, model, CostMetric::kEnergy, budget);
    const SearchResult r = RunSensitivitySearch(ev, SensitivityOptions());
    ASSERT_TRUE(r.best.has_value());
    EXPECT_NEAR(r.sensitivity->predicted_accuracy, r.best->accuracy, 1e-12);
    auto noisy = MakeSyntheticTarget({.network = "vgg_small"});
    Evaluator ev_noisy(*noisy, model, CostMetric::kEnergy, budget);
    const SearchResult n = RunSensitivitySearch(ev_noisy, SensitivityOptions());
    fmt::print("budget {}: noise-free {:.2f} % ({}); with noise predicted {:.2f} %, measured {:.2f} % ({}), "
               "noise-free accuracy of that choice {:.2f} %\n",
               budget, 100 * r.best->accuracy, FormatBits(r.best->bits), 100 * n.sensitivity->predicted_accuracy,
               100 * n.best->accuracy, FormatBits(n.best->bits), 100 * exact->Accuracy(n.best->bits));
  }
}

// The whole agent against brute force: every assignment of a small space, priced by the
// real cost model, the additive objective from the agent's own table.
TEST(SensitivitySearch, ChoiceIsTheBruteForceOptimumOfTheAdditiveModel) {
  auto target = MakeSyntheticTarget({.network = "lenet5"});
  reram::ReramConfig config = reram::ReramConfig::Isaac();
  config.edram.crossbars_per_bank = 3;
  const reram::CostModel model(config);
  for (CostMetric m : {CostMetric::kEnergy, CostMetric::kArea}) {
    Evaluator ev(*target, model, m, 0.45);
    SearchOptions o = SensitivityOptions();
    o.env.candidates = {2, 4, 8};
    const SearchResult r = RunSensitivitySearch(ev, o);
    const SensitivityOutcome& s = *r.sensitivity;
    ASSERT_TRUE(s.solution.feasible) << s.message;
    double best = std::numeric_limits<double>::infinity();
    std::vector<int> pick(5, 0);
    Bits bits(5);
    do {
      double drop = 0;
      for (int l = 0; l < 5; ++l) bits[l] = s.table.choices[l][pick[l]], drop += s.table.drop[l][pick[l]];
      if (ev.InBudget(ev.Cost(bits))) best = std::min(best, drop);
      int l = 0;
      while (l < 5 && ++pick[l] == 9) pick[l++] = 0;
      if (l == 5) break;
    } while (true);
    EXPECT_NEAR(s.solution.value, best, 1e-12) << to_string(m);
  }
}

TEST(SensitivitySearch, UnreachableBudgetMeasuresNothingAndSaysWhy) {
  auto target = MakeSyntheticTarget({.network = "vgg_small"});
  const reram::CostModel model(reram::ReramConfig::Isaac());
  Evaluator ev(*target, model, CostMetric::kEnergy, 0.01);
  const SearchResult r = RunSensitivitySearch(ev, SensitivityOptions());
  EXPECT_EQ(r.measurements, 0);
  EXPECT_FALSE(r.best.has_value());
  ASSERT_TRUE(r.sensitivity.has_value());
  EXPECT_NE(r.sensitivity->message.find("budget 0.01 cannot be met"), std::string::npos) << r.sensitivity->message;
}

TEST(SensitivitySearch, BadReferenceBitsNameTheValue) {
  SearchOptions o = SensitivityOptions();
  o.sensitivity.reference_bits = 0;
  try {
    o.validate();
    FAIL() << "reference_bits 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("reference_bits = 0"), std::string::npos) << e.what();
  }
  try {
    ParseAgent("sensitivty", "--agent");
    FAIL() << "misspelt agent accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'sensitivty'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("sensitivity"), std::string::npos) << e.what();
  }
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "autoq_sens_bad.toml";
  std::ofstream(file) << "[sensitivity]\nreference_bits = 17\n";
  try {
    RunConfig::Load(file);
    FAIL() << "reference_bits 17 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("reference_bits = 17"), std::string::npos) << e.what();
  }
}

TEST(RunAutoq, SensitivityRunsOnceAndWritesItsTable) {
  RunConfig c;
  c.agents = {Agent::kSensitivity, Agent::kUniform};
  c.seeds = {1, 2};
  c.budget = 0.34;
  const std::filesystem::path out = std::filesystem::temp_directory_path() / "fixar_autoq_sensitivity_test";
  std::filesystem::remove_all(out);
  const RunOutcome r = RunAutoq(c, out, {});
  ASSERT_EQ(r.searches.size(), 3u);  // sensitivity once, uniform per seed
  EXPECT_EQ(r.searches[0].result.agent, Agent::kSensitivity);
  std::ifstream csv(out / "sensitivity.csv");
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  EXPECT_EQ(lines, 1 + 7 * 49);
  std::ifstream md(out / "report.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("| sensitivity |"), std::string::npos);
  EXPECT_NE(text.find("## Sensitivity + exact knapsack"), std::string::npos);
}

}  // namespace
}  // namespace fixar::autoq
