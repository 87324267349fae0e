// Batched measurement (what the MPI search relies on): a batch of requests gives the records
// of the same requests made one by one, each agent hands its measurements over in the
// batches its algorithm allows, and the search is the same whoever measures and in which
// order the measurements complete.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "accel/reram/config.h"
#include "autoq/candidate_evaluator.h"
#include "rl/ppo.h"
#include "autoq/search.h"
#include "autoq/search_env.h"
#include "autoq/target.h"

namespace fixar::autoq {
namespace {

struct BatchFixture {
  std::unique_ptr<QuantTarget> target = MakeSyntheticTarget({.network = "vgg_small"});
  reram::CostModel model{reram::ReramConfig::Isaac()};
};

// Measures each batch back to front (as workers finishing out of order would) and keeps
// the batch sizes.
class ReversingEvaluator final : public CandidateEvaluator {
 public:
  explicit ReversingEvaluator(QuantTarget& target) : target_(target) {}
  std::vector<Measurement> Measure(std::span<const Bits> candidates) override {
    batches.push_back(static_cast<int>(candidates.size()));
    std::vector<Measurement> out(candidates.size());
    for (std::size_t i = candidates.size(); i-- > 0;) out[i] = {target_.Accuracy(candidates[i]), 0.0};
    return out;
  }
  int concurrency() const override { return 4; }
  std::string describe() const override { return "reversing"; }
  std::vector<int> batches;

 private:
  QuantTarget& target_;
};

void ExpectSameRecords(const Evaluator& a, const Evaluator& b) {
  ASSERT_EQ(a.records().size(), b.records().size());
  for (std::size_t i = 0; i < a.records().size(); ++i) {
    const Evaluation &x = a.records()[i], &y = b.records()[i];
    EXPECT_EQ(FormatBits(x.bits), FormatBits(y.bits)) << "record " << i;
    EXPECT_EQ(x.index, y.index);
    EXPECT_EQ(x.episode, y.episode) << "record " << i;
    EXPECT_EQ(x.measured, y.measured) << "record " << i;
    EXPECT_EQ(x.cache_hit, y.cache_hit) << "record " << i;
    if (x.measured) {
      EXPECT_EQ(x.accuracy, y.accuracy) << "record " << i;  // the same bits, not just close
    }
    EXPECT_EQ(x.cost_ratio, y.cost_ratio) << "record " << i;
    EXPECT_EQ(x.reward, y.reward) << "record " << i;
  }
  EXPECT_EQ(a.measurements(), b.measurements());
  EXPECT_EQ(a.cache_hits(), b.cache_hits());
}

TEST(EvaluateBatch, EqualsOneByOneWithRepeatsInsideTheBatch) {
  BatchFixture f;
  const Bits a(7, {4, 4}), b(7, {5, 4}), c(7, {8, 8});
  Evaluator one(*f.target, f.model, CostMetric::kEnergy, 0.6), batched(*f.target, f.model, CostMetric::kEnergy, 0.6);
  ReversingEvaluator reversing(*f.target);
  batched.set_candidate_evaluator(&reversing);
  const std::vector<Evaluator::Request> first{{a, true, 0}, {b, true, 1}, {a, true, 2}, {c, false, 3}, {b, true, 4}};
  const std::vector<Evaluator::Request> second{{c, true, 5}, {a, true, 6}};
  for (const auto* batch : {&first, &second})
    for (const Evaluator::Request& r : *batch) one.Evaluate(r.bits, r.measure, r.episode);
  EXPECT_EQ(batched.EvaluateBatch(first), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(batched.EvaluateBatch(second), (std::vector<int>{5, 6}));
  ExpectSameRecords(one, batched);
  EXPECT_EQ(reversing.batches, (std::vector<int>{2, 1}));  // a and b once; then only c
  EXPECT_TRUE(batched.records()[2].cache_hit);
  EXPECT_TRUE(std::isnan(batched.records()[3].accuracy));
}

TEST(EvaluateBatch, AMeasurementCountMismatchIsAnError) {
  BatchFixture f;
  class Short final : public CandidateEvaluator {
   public:
    std::vector<Measurement> Measure(std::span<const Bits>) override { return {}; }
    int concurrency() const override { return 1; }
    std::string describe() const override { return "short"; }
  } short_evaluator;
  Evaluator ev(*f.target, f.model, CostMetric::kEnergy, 0.6);
  ev.set_candidate_evaluator(&short_evaluator);
  const std::vector<Evaluator::Request> r{{Bits(7, {4, 4}), true, 0}};
  EXPECT_THROW(ev.EvaluateBatch(r), std::logic_error);
}

// PPO's deferred rewards: the rollout, rewards and updates are those of measuring each
// episode at its end (BitSearchEnv without deferral, Ppo without a settler).
TEST(PpoSearch, DeferredRewardsGiveTheSameSearchAsImmediateOnes) {
  BatchFixture f;
  SearchOptions o;
  o.agent = Agent::kPpo;
  o.episodes = 24;
  o.seed = 3;
  Evaluator deferred(*f.target, f.model, CostMetric::kEnergy, 0.5);
  ReversingEvaluator reversing(*f.target);
  deferred.set_candidate_evaluator(&reversing);
  const SearchResult r = RunPpoSearch(deferred, o);

  Evaluator immediate(*f.target, f.model, CostMetric::kEnergy, 0.5);
  const int steps = 2 * immediate.num_layers();
  rl::PpoConfig c = o.ppo;
  c.seed = o.seed;
  c.num_steps = o.ppo_episodes_per_update * steps;
  c.num_minibatches = std::min(c.num_minibatches, c.num_steps);
  c.total_timesteps = static_cast<std::int64_t>(o.episodes) * steps;
  rl::Ppo ppo(c, [&] { return std::make_unique<BitSearchEnv>(immediate, o.env); });
  ppo.Train();

  ExpectSameRecords(immediate, deferred);
  ASSERT_EQ(r.ppo_log.size(), ppo.history().size());
  for (std::size_t u = 0; u < r.ppo_log.size(); ++u)
    for (const char* name : {"charts/episodic_return", "losses/policy_loss", "losses/value_loss"})
      EXPECT_EQ(r.ppo_log[u].scalars.at(name), ppo.history()[u].scalars.at(name)) << name << " update " << u;
  // At most one batch per update (none when nothing new is in budget), of at most its 4
  // episodes (fewer: over budget or cached).
  EXPECT_LE(reversing.batches.size(), 6u);
  EXPECT_LE(*std::max_element(reversing.batches.begin(), reversing.batches.end()), 4);
  EXPECT_GT(*std::max_element(reversing.batches.begin(), reversing.batches.end()), 1);
}

TEST(Ppo, ASettlerWithRewardNormalisationIsRefused) {
  BatchFixture f;
  Evaluator ev(*f.target, f.model, CostMetric::kEnergy, 0.5);
  rl::PpoConfig c = SearchOptions::DefaultSearchPpoConfig();
  c.num_steps = 14;
  c.num_minibatches = 2;
  c.total_timesteps = 14;
  c.normalize_reward = true;
  rl::Ppo ppo(c, [&] { return std::make_unique<BitSearchEnv>(ev, SearchEnvConfig{}); });
  EXPECT_THROW(ppo.Train({}, [] { return std::vector<double>{}; }), std::invalid_argument);
}

// Every agent: the same records with the reversing evaluator as serially, in the batches
// its algorithm allows.
TEST(Search, EveryAgentIsTheSameWithOutOfOrderBatchedMeasurement) {
  BatchFixture f;
  for (Agent agent : AllAgents()) {
    SCOPED_TRACE(to_string(agent));
    SearchOptions o;
    o.agent = agent;
    o.episodes = 20;
    o.seed = 2;
    o.ddpg.hidden = {32, 32};
    Evaluator serial(*f.target, f.model, CostMetric::kEnergy, 0.5), batched(*f.target, f.model, CostMetric::kEnergy, 0.5);
    ReversingEvaluator reversing(*f.target);
    batched.set_candidate_evaluator(&reversing);
    const SearchResult a = RunSearch(serial, o), b = RunSearch(batched, o);
    ExpectSameRecords(serial, batched);
    ASSERT_EQ(a.best.has_value(), b.best.has_value());
    if (a.best) {
      EXPECT_EQ(FormatBits(a.best->bits), FormatBits(b.best->bits));
    }
    const int largest = *std::max_element(reversing.batches.begin(), reversing.batches.end());
    switch (agent) {
      case Agent::kDdpg:  // warm-up (2 episodes of 20) + the first after it together, then one at a time
        EXPECT_EQ(reversing.batches.front(), 3);
        EXPECT_EQ(largest, 3);
        EXPECT_TRUE(std::all_of(reversing.batches.begin() + 1, reversing.batches.end(), [](int n) { return n == 1; }));
        break;
      case Agent::kRandom:  // every measured draw in one batch
        EXPECT_EQ(reversing.batches, (std::vector<int>{static_cast<int>(a.measurements)}));
        break;
      case Agent::kSensitivity:  // reference + probes, then the chosen assignment (if not probed)
        EXPECT_GT(largest, 300);
        break;
      default:
        EXPECT_GT(largest, 1);
    }
  }
}

}  // namespace
}  // namespace fixar::autoq
