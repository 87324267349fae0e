// The non-RL baseline: per-layer sensitivity measured once, then the budgeted choice
// solved exactly (HAWQ-V3 / LIMPQ's recipe, shared/reference/autoq.md; docs/autoq.md,
// "Sensitivity + exact knapsack").
//
//   1. probes   for every layer l and every (w, a) choice the search allows for l, quantize
//               only l at that choice, every other layer at the reference (8/8), and
//               measure with the search's Evaluator (same target, same short fine-tune,
//               same cache): drop_l(w, a) = acc(reference) − acc(probe).
//               Count: Σ_l choices_l probes (7 layers × 49 choices = 343 on vgg_small)
//               and the reference, measured first (each layer's (8, 8) probe is then a
//               cache hit).
//   2. solve    one choice per layer minimising Σ_l drop_l within the budget — the
//               additive model of HAWQ-V3 / LIMPQ — as a multiple-choice knapsack, exactly
//               (knapsack.h), on the ReRAM cost split exactly into per-layer terms
//               (SeparableCost below); the chosen assignment's cost is then re-priced by
//               the Evaluator and must agree and be within the budget.
//   3. measure  the chosen assignment, like every agent's answer.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "autoq/knapsack.h"
#include "autoq/search_env.h"

namespace fixar::autoq {

struct SensitivityConfig {
  // The bits of every layer not being probed (HAWQ: "the others at high precision"; 8/8 is
  // also what the budget is a fraction of). Probes are priced near the 8/8 cost, so they are
  // over any budget < 1 and never compete as answers.
  int reference_bits = 8;
  // HAQ's rule (as the ddpg agent): first layer's weights and the last layer's w/a fixed
  // at 8 bits. Off by default: the search env (ppo, random) allows every candidate everywhere.
  bool keep_first_last = false;
  // Throws std::invalid_argument naming the field, its value and what is valid.
  void validate() const;
};

// The (w, a) choices the search allows for `layer` (0-based) of `num_layers`: every pair of
// candidates, weight-major; with keep_first_last, w = 8 for the first layer and only (8, 8)
// for the last.
std::vector<layers::LayerBits> LayerChoices(int layer, int num_layers, const std::vector<int>& candidates,
                                            bool keep_first_last);
// LayerChoices of every layer, and the number of probes they make (Σ_l choices_l).
std::vector<std::vector<layers::LayerBits>> AllowedChoices(int num_layers, const std::vector<int>& candidates,
                                                           const SensitivityConfig& config);
int CountProbes(const std::vector<std::vector<layers::LayerBits>>& choices);

// The Evaluator's cost metric split into terms that each depend on one layer's choice:
//   cost(bits) = total(Σ_l core_l(bits_l), Σ_l crossbars_l(bits_l)) / cost(8/8)
// For crossbars, energy and latency the network totals are sums over layers, and each
// layer's term depends on its own (w, a) only, except the buffer energy of layer l, which
// writes its outputs at layer l+1's activation bits: that term is linear in a_{l+1} and is
// booked to layer l+1's choice (exact, not an approximation). Area adds one eDRAM bank per
// `crossbars_per_bank` crossbars of the whole network, ceil(Σ crossbars / 96) — not a sum
// of per-layer terms; it is carried exactly through the knapsack's count. The per-choice
// terms are measured on the cost model itself as differences from the reference.
struct SeparableCost {
  std::vector<std::vector<KnapsackOption>> options;  // per layer, per choice: cost, count (value 0)
  std::function<double(double, std::int64_t)> total;  // (Σ cost, Σ count) -> ratio to 8/8
};
SeparableCost SplitCost(const Evaluator& evaluator, const std::vector<std::vector<layers::LayerBits>>& choices,
                        int reference_bits);

struct SensitivityTable {
  Bits reference;                                    // every layer at reference_bits
  double reference_accuracy = 0;
  std::vector<std::vector<layers::LayerBits>> choices;  // per layer
  std::vector<std::vector<double>> accuracy;         // probe: only this layer at this choice
  std::vector<std::vector<double>> drop;             // reference_accuracy − accuracy
  std::vector<std::vector<double>> cost;             // the probe's cost ratio (budget's metric)
  int probes() const;                                // Σ_l choices_l
};

struct SensitivityOutcome {
  SensitivityTable table;
  KnapsackSolution solution;      // over the table's choices
  Bits chosen;                    // empty when the budget cannot be met
  double predicted_accuracy = std::numeric_limits<double>::quiet_NaN();  // reference − Σ drops
  double probe_seconds = 0;       // wall time of the probes (measurements included)
  std::string message;            // why nothing was chosen (infeasible budget), else empty
};

}  // namespace fixar::autoq
