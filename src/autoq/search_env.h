// The bit-width search as an environment, and the evaluator every search agent shares.
//
// Evaluator: prices an assignment with the ReRAM cost model (a fraction of the cost at
// uniform 8/8 bits in one metric), measures its accuracy through the QuantTarget (only
// when asked: over-budget assignments need none), caches accuracies by assignment and
// records every request (the CSV of a run). A batch of requests (EvaluateBatch) is priced
// and looked up in the cache in order, its cache misses measured together by the
// CandidateEvaluator (serial, or MPI ranks: candidate_evaluator.h), and recorded in order:
// the records, hits and counts are those of the same requests made one by one.
//
// BitSearchEnv (an envs::Env, so PPO trains on it unchanged): an episode walks the weight
// layers, two steps per layer (weight bits, then activation bits), each a discrete choice
// among the candidate widths. Observation (12 numbers, docs/autoq.md):
//   [0..9]  HAQ's state (shared/reference/autoq.md), columns min-max normalised over the
//           layers: depthwise, c_in, c_out, stride, kernel, #weights, input h·w, layer
//           index, previous action (bits / max candidate), weight(1)-or-activation(0) flag
//   [10]    cost so far: (C(decided, rest at min) − C(all at min)) / C(8/8)
//   [11]    budget left: (B·C(8/8) − C(decided, rest at min)) / (B·C(8/8)), < 0 once the
//           budget can no longer be met
// where "rest at min" prices the layers not yet decided at the smallest candidate.
// The reward is 0 until the last step, then SearchReward (below). With deferred rewards
// (set_deferred_rewards) the last step only queues the assignment and returns reward 0;
// SettleEpisodes() then evaluates the queued episodes as one batch and returns their
// rewards: PPO collects a whole rollout before any of its rewards is needed, so the
// episodes of one update are measured together (ppo.h, RewardSettler).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "accel/reram/cost.h"
#include "autoq/candidate_evaluator.h"
#include "autoq/target.h"
#include "envs/env.h"

namespace fixar::autoq {

enum class CostMetric { kCrossbars, kArea, kEnergy, kLatency };
const char* to_string(CostMetric m);  // crossbars, area, energy, latency
// Throws std::invalid_argument naming `where`, the value and the valid names.
CostMetric ParseCostMetric(const std::string& name, const std::string& where);
// The ratio of `metric` in `r` (e.g. r.energy for kEnergy).
double RatioOf(const reram::CostRatio& r, CostMetric metric);

// One priced (and possibly measured) assignment.
struct Evaluation {
  int index = 0;                 // order of the request in this search, 0-based
  int episode = 0;               // the agent's episode (or sample) number, 0-based
  Bits bits;
  reram::CostRatio cost;         // each metric as a fraction of uniform 8/8
  double cost_ratio = 0;         // the budget's metric
  bool in_budget = false;        // cost_ratio <= budget (+1e-12)
  bool measured = false;         // accuracy known (measured now or from the cache)
  bool cache_hit = false;        // accuracy came from the cache
  double accuracy = std::numeric_limits<double>::quiet_NaN();  // fraction; NaN when not measured
  double reward = 0;             // what the agent was given (set by the agent)
  double measure_seconds = 0;    // wall time of the accuracy measurement (0 on a hit)
  double elapsed_seconds = 0;    // since the evaluator was made, at the end of this request
};

class Evaluator {
 public:
  // budget: fraction of the 8/8 cost in `metric`, in (0, 1]. Throws std::invalid_argument.
  Evaluator(QuantTarget& target, const reram::CostModel& model, CostMetric metric, double budget);

  QuantTarget& target() { return target_; }
  const std::vector<layers::LayerShape>& layers() const { return target_.layers(); }
  int num_layers() const { return static_cast<int>(target_.layers().size()); }
  CostMetric metric() const { return metric_; }
  double budget() const { return budget_; }
  const reram::CostModel& model() const { return model_; }
  double float_accuracy();  // measured once

  reram::CostRatio CostRatios(std::span<const layers::LayerBits> bits) const;
  double Cost(std::span<const layers::LayerBits> bits) const;  // in the budget's metric
  bool InBudget(double cost_ratio) const { return cost_ratio <= budget_ + 1e-12; }

  // Prices `bits`; measures the accuracy when `measure` (from the cache when this
  // assignment was measured before). Appends the record and calls on_record.
  Evaluation& Evaluate(std::span<const layers::LayerBits> bits, bool measure, int episode);

  struct Request {
    Bits bits;
    bool measure = true;
    int episode = 0;
  };
  // Evaluate for each request, with the measurements of the batch made together: a request
  // whose assignment an earlier request of the batch measures is a cache hit, as it would
  // be one by one. Returns the indices of the new records, in request order.
  std::vector<int> EvaluateBatch(std::span<const Request> requests);
  Evaluation& record(int index) { return records_.at(static_cast<std::size_t>(index)); }

  // Who measures (not owned; must outlive the Evaluator). Default: serially, here.
  void set_candidate_evaluator(CandidateEvaluator* candidates) {
    candidates_ = candidates ? candidates : &serial_;
  }
  CandidateEvaluator& candidate_evaluator() { return *candidates_; }
  std::vector<Evaluation>& records() { return records_; }
  const std::vector<Evaluation>& records() const { return records_; }
  std::int64_t measurements() const { return measurements_; }  // target.Accuracy calls
  std::int64_t cache_hits() const { return cache_hits_; }
  double elapsed_seconds() const;
  // The measured in-budget record with the highest accuracy (ties: lower cost); null if none.
  const Evaluation* Best() const;

  std::function<void(const Evaluation&)> on_record;  // progress display

 private:
  QuantTarget& target_;
  const reram::CostModel& model_;
  CostMetric metric_;
  double budget_;
  double float_accuracy_ = -1;
  SerialCandidateEvaluator serial_;
  CandidateEvaluator* candidates_ = &serial_;
  std::map<std::vector<int>, double> cache_;  // (w0, a0, w1, a1, ...) -> accuracy
  std::vector<Evaluation> records_;
  std::int64_t measurements_ = 0, cache_hits_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// The reward at the end of an episode (docs/autoq.md, "Reward"):
//   in budget (c <= B):  r = accuracy_scale · (acc − acc_float)
//   over budget:         r = −over_budget_penalty − overshoot_scale · (c − B) / B
// Over budget is worse than any in-budget assignment that loses less than
// over_budget_penalty / accuracy_scale of accuracy (default 10 points), and the relative
// overshoot tells the agent how far it is. The accuracy is not measured over budget, so
// infeasible episodes cost no fine-tuning. (A penalty below every feasible reward,
// −accuracy_scale·acc_float, makes PPO shy of the boundary: docs/autoq.md.)
struct RewardConfig {
  double accuracy_scale = 10.0;      // per unit of accuracy (fraction): 1 point = 0.1
  double over_budget_penalty = 1.0;  // the step at the budget
  double overshoot_scale = 10.0;     // per unit of relative overshoot: 10 % over = −1 more
  void validate() const;
};
double SearchReward(const RewardConfig& config, double accuracy, double float_accuracy, double cost_ratio,
                    double budget);

struct SearchEnvConfig {
  std::vector<int> candidates = {2, 3, 4, 5, 6, 7, 8};  // bit widths, ascending, in 1..16
  RewardConfig reward{};
  void validate() const;
};

// HAQ's 10 features per step (2 per layer), the static columns min-max normalised over
// the layers; the previous-action column is filled in by the caller.
std::vector<std::array<double, 10>> HaqFeatureTable(const std::vector<layers::LayerShape>& weight_layers);

class BitSearchEnv final : public envs::Env {
 public:
  static constexpr int kObservationSize = 12;
  BitSearchEnv(Evaluator& evaluator, SearchEnvConfig config);

  std::string name() const override { return "BitSearch"; }
  const envs::Box& observation_space() const override { return observation_space_; }
  const envs::Box& action_space() const override { return action_space_; }
  int max_episode_steps() const override { return 2 * evaluator_.num_layers(); }
  int discrete_actions() const override { return static_cast<int>(config_.candidates.size()); }
  int elapsed_steps() const override { return step_; }
  std::vector<double> reset(std::uint64_t seed) override;
  std::vector<double> reset() override;
  envs::StepResult step(std::span<const double> action) override;
  std::vector<double> observation() const override { return Observe(); }

  int episodes() const { return episode_; }                // completed episodes
  // Deferred rewards (above). Off by default: each episode is evaluated at its last step.
  void set_deferred_rewards(bool deferred) { deferred_ = deferred; }
  // Evaluates the episodes ended since the last call (as one Evaluator batch) and returns
  // their rewards in the order they ended. Empty when none is pending.
  std::vector<double> SettleEpisodes();
  // The last episode's record (null before the first episode ends).
  const Evaluation* last() const { return last_ < 0 ? nullptr : &evaluator_.records()[last_]; }
  const SearchEnvConfig& config() const { return config_; }

 private:
  std::vector<double> Observe() const;
  // Evaluates ended episodes (one batch), sets their rewards; their record indices.
  std::vector<int> Settle(std::span<const Evaluator::Request> requests);
  Evaluator& evaluator_;
  SearchEnvConfig config_;
  envs::Box observation_space_, action_space_;
  std::vector<std::array<double, 10>> features_;
  double min_cost_ = 0;  // cost ratio of all layers at the smallest candidate (8/8 = 1)
  Bits bits_;
  int step_ = -1;  // -1: not reset
  double prev_action_ = 1.0;
  int episode_ = 0;
  int last_ = -1;  // index into evaluator_.records()
  bool deferred_ = false;
  std::vector<Evaluator::Request> pending_;  // deferred: ended episodes not yet evaluated
};

}  // namespace fixar::autoq
