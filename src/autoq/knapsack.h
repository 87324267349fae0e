// The multiple-choice knapsack the sensitivity baseline solves (docs/autoq.md,
// "Sensitivity + exact knapsack"): pick exactly one option per group so that the total
// value (the summed accuracy drops) is minimal and the total cost is within the budget.
//
// Each option has a real cost, a real value and an integer count. The total cost of a
// selection is
//     total_cost(Σ cost, Σ count)
// for a function nondecreasing in both arguments (plain Σ cost when none is given). The
// count lets a cost that is not a sum of per-group terms still be solved exactly when it
// depends on the selection only through two sums: the ReRAM area adds one eDRAM bank
// per 96 crossbars, ceil(Σ crossbars / 96), which no per-layer cost can express.
//
// Solver: dynamic programming over non-dominated partial selections (Nemhauser–Ullmann
// style), group by group. A partial selection is kept unless another with the same count
// has no larger cost and no larger value (it can then be completed at least as well), or
// unless even the cheapest completion exceeds the budget. Costs and values are never
// rounded or bucketed, so the optimum is exact for the given numbers (floating-point
// sums, budget compared with the Evaluator's tolerance of 1e-12). The work grows with the
// number of non-dominated states, reported as `max_states` (thousands for 7–10 groups of
// ~49 options).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace fixar::autoq {

struct KnapsackOption {
  double cost = 0;          // additive part of the cost (may be negative: a delta)
  double value = 0;         // minimised; may be negative
  std::int64_t count = 0;   // additive integer part (0 when the cost is purely additive)
};

struct KnapsackProblem {
  std::vector<std::vector<KnapsackOption>> groups;  // one option is chosen per group
  std::vector<std::string> group_names;             // for messages; empty: "group <i>"
  double budget = 0;                                // total cost must be <= budget (+1e-12)
  // Total cost from (Σ cost, Σ count); nondecreasing in both. Empty: Σ cost.
  std::function<double(double, std::int64_t)> total_cost;
  // Throws std::invalid_argument naming the group, option and value (empty groups,
  // non-finite costs or values, non-finite budget, group_names of the wrong size).
  void Validate() const;
  double Total(double cost_sum, std::int64_t count_sum) const {
    return total_cost ? total_cost(cost_sum, count_sum) : cost_sum;
  }
};

struct KnapsackSolution {
  bool feasible = false;
  std::vector<int> choice;       // option index per group (empty when infeasible)
  double value = 0;              // Σ value of the choice
  double cost = 0;               // total_cost of the choice
  double cheapest_cost = 0;      // a lower bound on the total cost of any selection
                                 // (exact when every count is 0): why a budget is infeasible
  std::string message;           // infeasible: the budget, the cheapest cost, what to change
  std::int64_t max_states = 0;   // largest number of partial selections kept after a group
  double seconds = 0;            // wall time of the solve
};

// Exact optimum of `problem` (validated first). Ties in value go to the lower total cost.
KnapsackSolution SolveMultipleChoiceKnapsack(const KnapsackProblem& problem);

}  // namespace fixar::autoq
