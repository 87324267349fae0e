// The sensitivity + exact knapsack baseline (sensitivity.h, docs/autoq.md).
#include "autoq/sensitivity.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "autoq/search.h"

namespace fixar::autoq {

void SensitivityConfig::validate() const {
  if (reference_bits < 1 || reference_bits > 16)
    throw std::invalid_argument(fmt::format(
        "sensitivity reference_bits = {} is invalid; valid: 1 .. 16 (the cost model's range; 8 = the budget's "
        "reference)",
        reference_bits));
}

std::vector<layers::LayerBits> LayerChoices(int layer, int num_layers, const std::vector<int>& candidates,
                                            bool keep_first_last) {
  if (num_layers < 1 || layer < 0 || layer >= num_layers)
    throw std::invalid_argument(fmt::format("LayerChoices: layer {} of {} is invalid; valid: 0 .. {}", layer,
                                            num_layers, num_layers - 1));
  if (keep_first_last && layer == num_layers - 1) return {layers::LayerBits{8, 8}};
  std::vector<layers::LayerBits> out;
  if (keep_first_last && layer == 0) {  // HAQ fixes 8, a candidate or not
    for (int a : candidates) out.push_back({8, a});
    return out;
  }
  for (int w : candidates)
    for (int a : candidates) out.push_back({w, a});
  return out;
}

std::vector<std::vector<layers::LayerBits>> AllowedChoices(int num_layers, const std::vector<int>& candidates,
                                                           const SensitivityConfig& config) {
  std::vector<std::vector<layers::LayerBits>> out;
  for (int l = 0; l < num_layers; ++l) out.push_back(LayerChoices(l, num_layers, candidates, config.keep_first_last));
  return out;
}

int CountProbes(const std::vector<std::vector<layers::LayerBits>>& choices) {
  int n = 0;
  for (const auto& c : choices) n += static_cast<int>(c.size());
  return n;
}

int SensitivityTable::probes() const { return CountProbes(choices); }

namespace {

// The metric of `n` as an additive core and a crossbar count (SeparableCost).
struct CostParts {
  double core = 0;
  std::int64_t count = 0;
};
CostParts Parts(const reram::NetworkCost& n, CostMetric m) {
  switch (m) {
    case CostMetric::kCrossbars: return {static_cast<double>(n.crossbars), 0};
    case CostMetric::kArea: return {n.area_mm2() - n.area.edram_mm2, n.crossbars};
    case CostMetric::kEnergy: return {n.energy_pj(), 0};
    case CostMetric::kLatency: return {n.latency_ns, 0};
  }
  return {n.energy_pj(), 0};
}

}  // namespace

SeparableCost SplitCost(const Evaluator& ev, const std::vector<std::vector<layers::LayerBits>>& choices,
                        int reference_bits) {
  const reram::CostModel& model = ev.model();
  const std::vector<layers::LayerShape>& shapes = ev.layers();
  if (choices.size() != shapes.size())
    throw std::invalid_argument(
        fmt::format("SplitCost: choices for {} layers given, the target has {}", choices.size(), shapes.size()));
  const CostMetric metric = ev.metric();
  const Bits reference(shapes.size(), layers::LayerBits{reference_bits, reference_bits});
  const CostParts ref = Parts(model.network(shapes, reference), metric);
  const reram::NetworkCost full8 = model.uniform(shapes, 8, 8);
  const double denominator = metric == CostMetric::kArea ? full8.area_mm2() : Parts(full8, metric).core;
  SeparableCost s;
  for (std::size_t l = 0; l < choices.size(); ++l) {
    s.options.emplace_back();
    Bits bits = reference;
    for (const layers::LayerBits& c : choices[l]) {
      bits[l] = c;
      const CostParts p = Parts(model.network(shapes, bits), metric);
      const std::int64_t count = metric == CostMetric::kArea ? p.count - ref.count : 0;
      s.options.back().push_back(KnapsackOption{p.core - ref.core, 0.0, count});
    }
  }
  const double bank_mm2 = model.config().edram.area_mm2;
  const std::int64_t per_bank = model.config().edram.crossbars_per_bank;
  s.total = [=](double core_delta, std::int64_t count_delta) {
    double absolute = ref.core + core_delta;
    if (metric == CostMetric::kArea) {
      const std::int64_t crossbars = ref.count + count_delta;
      absolute += static_cast<double>((crossbars + per_bank - 1) / per_bank) * bank_mm2;
    }
    return denominator > 0 ? absolute / denominator : 1.0;
  };
  return s;
}

namespace {

// Step 1: the reference, then every layer's choices with the others at the reference.
SensitivityTable MeasureProbes(Evaluator& ev, const SearchOptions& o,
                               const std::vector<std::vector<layers::LayerBits>>& choices, int& episode) {
  const int L = ev.num_layers();
  SensitivityTable t;
  t.reference.assign(L, layers::LayerBits{o.sensitivity.reference_bits, o.sensitivity.reference_bits});
  t.choices = choices;
  // The reference and every probe, as one batch (concurrently with an MPI evaluator).
  std::vector<Evaluator::Request> requests{{t.reference, true, episode++}};
  for (int l = 0; l < L; ++l) {
    Bits bits = t.reference;
    for (const layers::LayerBits& c : t.choices[l]) {
      bits[l] = c;
      requests.push_back({bits, true, episode++});
    }
  }
  const std::vector<int> records = ev.EvaluateBatch(requests);
  for (int i : records) {
    Evaluation& e = ev.record(i);
    e.reward = SearchReward(o.env.reward, e.accuracy, ev.float_accuracy(), e.cost_ratio, ev.budget());
  }
  t.reference_accuracy = ev.record(records.front()).accuracy;
  std::size_t next = 1;
  for (int l = 0; l < L; ++l) {
    t.accuracy.emplace_back();
    t.drop.emplace_back();
    t.cost.emplace_back();
    for (std::size_t j = 0; j < t.choices[l].size(); ++j) {
      const Evaluation& e = ev.record(records[next++]);
      t.accuracy.back().push_back(e.accuracy);
      t.drop.back().push_back(t.reference_accuracy - e.accuracy);
      t.cost.back().push_back(e.cost_ratio);
    }
  }
  return t;
}

KnapsackProblem MakeProblem(const Evaluator& ev, const SeparableCost& cost,
                            const std::vector<std::vector<double>>* drops) {
  KnapsackProblem p;
  p.groups = cost.options;
  for (const layers::LayerShape& l : ev.layers()) p.group_names.push_back(l.name);
  p.budget = ev.budget();
  p.total_cost = cost.total;
  if (drops)
    for (std::size_t l = 0; l < p.groups.size(); ++l)
      for (std::size_t j = 0; j < p.groups[l].size(); ++j) p.groups[l][j].value = (*drops)[l][j];
  return p;
}

// The Evaluator's price of the chosen bits must be the solver's, and within the budget.
void CheckChosenCost(const Evaluator& ev, const Bits& chosen, double solver_cost) {
  const double priced = ev.Cost(chosen);
  if (std::abs(priced - solver_cost) > 1e-9)
    throw std::logic_error(fmt::format(
        "sensitivity: the knapsack priced {} at {:.12g} but the cost model at {:.12g} ({}): the per-layer split "
        "of the cost (SplitCost) no longer matches reram::CostModel",
        FormatBits(chosen), solver_cost, priced, to_string(ev.metric())));
  if (!ev.InBudget(priced))
    throw std::logic_error(fmt::format("sensitivity: the chosen {} costs {:.12g}, over the budget {:.12g}",
                                       FormatBits(chosen), priced, ev.budget()));
}

// Step 2: the exact optimum, re-priced by the Evaluator. Sums in another order can land a
// hair over the budget; the problem is then solved again a hair tighter.
Bits SolveAndCheck(const Evaluator& ev, KnapsackProblem problem,
                   const std::vector<std::vector<layers::LayerBits>>& choices, KnapsackSolution& solution) {
  constexpr int kAttempts = 3;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    solution = SolveMultipleChoiceKnapsack(problem);
    if (!solution.feasible) return {};
    Bits chosen;
    for (std::size_t l = 0; l < choices.size(); ++l) chosen.push_back(choices[l][solution.choice[l]]);
    if (ev.InBudget(ev.Cost(chosen)) || attempt == kAttempts) {
      CheckChosenCost(ev, chosen, solution.cost);
      return chosen;
    }
    problem.budget -= 1e-9;
  }
  return {};
}

}  // namespace

SearchResult RunSensitivitySearch(Evaluator& ev, const SearchOptions& o) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  SensitivityOutcome out;
  const auto choices = AllowedChoices(ev.num_layers(), o.env.candidates, o.sensitivity);
  const SeparableCost cost = SplitCost(ev, choices, o.sensitivity.reference_bits);
  // An unreachable budget is known from the cost model alone: no probe is measured then.
  const KnapsackSolution reachable = SolveMultipleChoiceKnapsack(MakeProblem(ev, cost, nullptr));
  int episode = 0;
  if (!reachable.feasible) {
    out.solution = reachable;
    out.table.choices = choices;
    out.message = reachable.message;
  } else {
    out.table = MeasureProbes(ev, o, choices, episode);
    out.probe_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.chosen = SolveAndCheck(ev, MakeProblem(ev, cost, &out.table.drop), choices, out.solution);
    if (!out.solution.feasible) out.message = out.solution.message;
  }
  if (!out.chosen.empty()) {
    out.predicted_accuracy = out.table.reference_accuracy - out.solution.value;
    Evaluation& e = ev.Evaluate(out.chosen, true, episode++);
    e.reward = SearchReward(o.env.reward, e.accuracy, ev.float_accuracy(), e.cost_ratio, ev.budget());
  }
  SearchResult r = SummarizeSearch(Agent::kSensitivity, ev, episode, t0);
  r.over_budget = out.chosen.empty() || ev.records().back().in_budget ? 0 : 1;
  r.sensitivity = std::move(out);
  return r;
}

}  // namespace fixar::autoq
