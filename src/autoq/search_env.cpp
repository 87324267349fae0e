#include "autoq/search_env.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace fixar::autoq {

const char* to_string(CostMetric m) {
  switch (m) {
    case CostMetric::kCrossbars: return "crossbars";
    case CostMetric::kArea: return "area";
    case CostMetric::kEnergy: return "energy";
    case CostMetric::kLatency: return "latency";
  }
  return "?";
}

CostMetric ParseCostMetric(const std::string& name, const std::string& where) {
  for (CostMetric m : {CostMetric::kCrossbars, CostMetric::kArea, CostMetric::kEnergy, CostMetric::kLatency})
    if (name == to_string(m)) return m;
  throw std::invalid_argument(
      fmt::format("{}: cost metric '{}' is unknown; valid: crossbars, area, energy, latency", where, name));
}

double RatioOf(const reram::CostRatio& r, CostMetric m) {
  switch (m) {
    case CostMetric::kCrossbars: return r.crossbars;
    case CostMetric::kArea: return r.area;
    case CostMetric::kEnergy: return r.energy;
    case CostMetric::kLatency: return r.latency;
  }
  return r.energy;
}

// ---------------------------------------------------------------- Evaluator

Evaluator::Evaluator(QuantTarget& target, const reram::CostModel& model, CostMetric metric, double budget)
    : target_(target),
      model_(model),
      metric_(metric),
      budget_(budget),
      serial_(target),
      start_(std::chrono::steady_clock::now()) {
  if (!(budget > 0 && budget <= 1))
    throw std::invalid_argument(
        fmt::format("budget {} (fraction of the uniform 8/8 cost) is invalid; valid: (0, 1]", budget));
  if (target_.layers().empty())
    throw std::invalid_argument(fmt::format("target {} has no weight layers", target_.name()));
}

double Evaluator::float_accuracy() {
  if (float_accuracy_ < 0) float_accuracy_ = target_.FloatAccuracy();
  return float_accuracy_;
}

reram::CostRatio Evaluator::CostRatios(std::span<const layers::LayerBits> bits) const {
  if (static_cast<int>(bits.size()) != num_layers())
    throw std::invalid_argument(
        fmt::format("{} bit pairs given for {} weight layers of {}", bits.size(), num_layers(), target_.name()));
  return model_.ratio(target_.layers(), bits);
}

double Evaluator::Cost(std::span<const layers::LayerBits> bits) const { return RatioOf(CostRatios(bits), metric_); }

double Evaluator::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

Evaluation& Evaluator::Evaluate(std::span<const layers::LayerBits> bits, bool measure, int episode) {
  const Request request{Bits(bits.begin(), bits.end()), measure, episode};
  return record(EvaluateBatch({&request, 1}).front());
}

std::vector<int> Evaluator::EvaluateBatch(std::span<const Request> requests) {
  auto key_of = [](const Bits& bits) {
    std::vector<int> key;
    for (const auto& b : bits) key.insert(key.end(), {b.weight_bits, b.activation_bits});
    return key;
  };
  // 1. Price each request; find the measurements the batch needs, each assignment once.
  std::vector<Evaluation> batch(requests.size());
  std::vector<int> slot(requests.size(), -1);  // index into `misses`: measured in this batch
  std::vector<Bits> misses;
  std::map<std::vector<int>, int> miss_of;  // key -> index into `misses`
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    Evaluation& e = batch[i];
    e.episode = r.episode;
    e.bits = r.bits;
    e.cost = CostRatios(r.bits);
    e.cost_ratio = RatioOf(e.cost, metric_);
    e.in_budget = InBudget(e.cost_ratio);
    if (!r.measure) continue;
    std::vector<int> key = key_of(r.bits);
    if (cache_.contains(key)) continue;
    if (auto it = miss_of.find(key); it != miss_of.end()) {
      slot[i] = it->second;  // measured by an earlier request of this batch: a hit, below
      continue;
    }
    slot[i] = static_cast<int>(misses.size());
    miss_of.emplace(std::move(key), slot[i]);
    misses.push_back(r.bits);
  }
  // 2. Measure the misses together (in order, or spread over MPI ranks).
  const std::vector<Measurement> measured = misses.empty() ? std::vector<Measurement>{} : candidates_->Measure(misses);
  if (measured.size() != misses.size())
    throw std::logic_error(fmt::format("{} evaluator returned {} measurements for {} candidates",
                                       candidates_->describe(), measured.size(), misses.size()));
  // 3. Record in request order: the first request of an assignment is its measurement,
  //    every later one (in this batch or after it) a cache hit.
  std::vector<bool> first(misses.size(), true);
  std::vector<int> indices;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    Evaluation& e = batch[i];
    e.index = static_cast<int>(records_.size());
    if (requests[i].measure) {
      if (slot[i] >= 0 && first[slot[i]]) {
        first[slot[i]] = false;
        e.accuracy = measured[slot[i]].accuracy;
        e.measure_seconds = measured[slot[i]].seconds;
        cache_.emplace(key_of(e.bits), e.accuracy);
        ++measurements_;
      } else {
        e.accuracy = cache_.at(key_of(e.bits));
        e.cache_hit = true;
        ++cache_hits_;
      }
      e.measured = true;
    }
    e.elapsed_seconds = elapsed_seconds();
    indices.push_back(e.index);
    records_.push_back(std::move(e));
  }
  if (on_record)
    for (int i : indices) on_record(records_[i]);
  return indices;
}

const Evaluation* Evaluator::Best() const {
  const Evaluation* best = nullptr;
  for (const Evaluation& e : records_) {
    if (!e.measured || !e.in_budget) continue;
    if (!best || e.accuracy > best->accuracy || (e.accuracy == best->accuracy && e.cost_ratio < best->cost_ratio))
      best = &e;
  }
  return best;
}

// ---------------------------------------------------------------- reward

void RewardConfig::validate() const {
  if (!(accuracy_scale > 0))
    throw std::invalid_argument(fmt::format("reward accuracy_scale = {}; valid: > 0", accuracy_scale));
  if (!(over_budget_penalty >= 0))
    throw std::invalid_argument(fmt::format("reward over_budget_penalty = {}; valid: >= 0", over_budget_penalty));
  if (!(overshoot_scale >= 0))
    throw std::invalid_argument(fmt::format("reward overshoot_scale = {}; valid: >= 0", overshoot_scale));
}

double SearchReward(const RewardConfig& c, double accuracy, double float_accuracy, double cost_ratio,
                    double budget) {
  if (cost_ratio <= budget + 1e-12) return c.accuracy_scale * (accuracy - float_accuracy);
  (void)float_accuracy;
  return -c.over_budget_penalty - c.overshoot_scale * (cost_ratio - budget) / budget;
}

void SearchEnvConfig::validate() const {
  if (candidates.empty()) throw std::invalid_argument("search candidates: the list of bit widths is empty");
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i] < 1 || candidates[i] > 16)
      throw std::invalid_argument(
          fmt::format("search candidate bit width {} is invalid; valid: 1 .. 16 (the cost model's range)",
                      candidates[i]));
    if (i > 0 && candidates[i] <= candidates[i - 1])
      throw std::invalid_argument(
          fmt::format("search candidates must ascend without repeats; {} follows {}", candidates[i], candidates[i - 1]));
  }
  reward.validate();
}

// ---------------------------------------------------------------- HAQ features

std::vector<std::array<double, 10>> HaqFeatureTable(const std::vector<layers::LayerShape>& weight_layers) {
  std::vector<std::array<double, 10>> t;
  for (std::size_t i = 0; i < weight_layers.size(); ++i) {
    const layers::LayerShape& l = weight_layers[i];
    const double depthwise = 0.0;  // cnn has no grouped convs (its ONNX import refuses them)
    for (int flag : {1, 0}) {  // weight step, then activation step
      t.push_back({depthwise, static_cast<double>(l.c_in), static_cast<double>(l.c_out),
                   static_cast<double>(l.stride), static_cast<double>(l.kernel), static_cast<double>(l.weights()),
                   static_cast<double>(l.input_hw()), static_cast<double>(i), 0.0, static_cast<double>(flag)});
    }
  }
  // Min-max normalise the static columns (0..7) over the table; a constant column becomes 0.
  for (int col = 0; col < 8; ++col) {
    double lo = t[0][col], hi = t[0][col];
    for (const auto& row : t) lo = std::min(lo, row[col]), hi = std::max(hi, row[col]);
    for (auto& row : t) row[col] = hi > lo ? (row[col] - lo) / (hi - lo) : 0.0;
  }
  return t;
}

// ---------------------------------------------------------------- BitSearchEnv

BitSearchEnv::BitSearchEnv(Evaluator& evaluator, SearchEnvConfig config)
    : evaluator_(evaluator), config_(std::move(config)) {
  config_.validate();
  observation_space_.low.assign(kObservationSize, -std::numeric_limits<double>::infinity());
  observation_space_.high.assign(kObservationSize, std::numeric_limits<double>::infinity());
  action_space_.low = {0.0};
  action_space_.high = {static_cast<double>(config_.candidates.size() - 1)};
  features_ = HaqFeatureTable(evaluator_.layers());
  const int b_min = config_.candidates.front();
  min_cost_ = evaluator_.Cost(Bits(evaluator_.num_layers(), layers::LayerBits{b_min, b_min}));
}

std::vector<double> BitSearchEnv::reset(std::uint64_t) { return reset(); }  // deterministic: nothing to seed

std::vector<double> BitSearchEnv::reset() {
  const int b_min = config_.candidates.front();
  bits_.assign(evaluator_.num_layers(), layers::LayerBits{b_min, b_min});
  step_ = 0;
  prev_action_ = 1.0;  // HAQ starts from "8 bits"
  return Observe();
}

std::vector<double> BitSearchEnv::Observe() const {
  const int row = std::min(step_, 2 * evaluator_.num_layers() - 1);
  std::vector<double> o(features_[row].begin(), features_[row].end());
  o[8] = prev_action_;
  // bits_ holds the decided widths and the smallest candidate everywhere else.
  const double c = evaluator_.Cost(bits_);
  o.push_back(c - min_cost_);
  const double b = evaluator_.budget();
  o.push_back((b - c) / b);
  return o;
}

envs::StepResult BitSearchEnv::step(std::span<const double> action) {
  if (step_ < 0 || step_ >= 2 * evaluator_.num_layers())
    throw std::logic_error("BitSearchEnv::step: call reset() first (episode not started or already ended)");
  if (action.size() != 1)
    throw std::invalid_argument(fmt::format("BitSearchEnv::step: action has {} values; expected 1", action.size()));
  const int n = static_cast<int>(config_.candidates.size());
  const int index = std::clamp(static_cast<int>(std::floor(action[0] + 0.5)), 0, n - 1);
  const int bits = config_.candidates[index];
  layers::LayerBits& layer = bits_[step_ / 2];
  (step_ % 2 == 0 ? layer.weight_bits : layer.activation_bits) = bits;
  prev_action_ = static_cast<double>(bits) / config_.candidates.back();
  ++step_;

  envs::StepResult r;
  if (step_ < 2 * evaluator_.num_layers()) {
    r.observation = Observe();
    return r;
  }
  // Last step: price, measure only when feasible, reward (now, or when settled).
  const double cost = evaluator_.Cost(bits_);
  const Evaluator::Request request{bits_, evaluator_.InBudget(cost), episode_};
  ++episode_;
  r.terminated = true;
  r.observation = Observe();
  if (deferred_) {
    pending_.push_back(request);
    r.info.add("cost_ratio", cost);
    return r;
  }
  const Evaluation& e = evaluator_.record(Settle({&request, 1}).front());
  r.reward = e.reward;
  r.info.add("accuracy", e.measured ? e.accuracy : -1.0);
  r.info.add("cost_ratio", e.cost_ratio);
  return r;
}

std::vector<int> BitSearchEnv::Settle(std::span<const Evaluator::Request> requests) {
  const std::vector<int> indices = evaluator_.EvaluateBatch(requests);
  for (int i : indices) {
    Evaluation& e = evaluator_.record(i);
    e.reward = SearchReward(config_.reward, e.measured ? e.accuracy : 0.0, evaluator_.float_accuracy(),
                            e.cost_ratio, evaluator_.budget());
    last_ = e.index;
  }
  return indices;
}

std::vector<double> BitSearchEnv::SettleEpisodes() {
  std::vector<double> rewards;
  if (pending_.empty()) return rewards;
  const std::vector<Evaluator::Request> requests = std::move(pending_);
  pending_.clear();
  for (int i : Settle(requests)) rewards.push_back(evaluator_.record(i).reward);
  return rewards;
}

}  // namespace fixar::autoq
