#include "autoq/knapsack.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

namespace fixar::autoq {

namespace {

constexpr double kBudgetTolerance = 1e-12;  // the Evaluator's (search_env.h InBudget)
// Pruning on the cheapest completion is looser than the final test, so that a different
// order of the floating-point additions can never discard a feasible optimum.
constexpr double kPruneTolerance = 1e-9;

std::string GroupName(const KnapsackProblem& p, std::size_t g) {
  return g < p.group_names.size() ? fmt::format("group {} ({})", g, p.group_names[g]) : fmt::format("group {}", g);
}

// A partial selection of groups 0..g: its sums and the link to the state it extends.
struct State {
  double cost = 0, value = 0;
  std::int64_t count = 0;
  int parent = -1;  // index into the previous group's states
  int option = -1;  // option chosen in this group
};

// Keeps, per count, only the states no other state with that count beats in both cost
// and value (ties: the first in a fixed order, so the result is deterministic).
void KeepNonDominated(std::vector<State>& states) {
  std::sort(states.begin(), states.end(), [](const State& a, const State& b) {
    return std::tie(a.count, a.cost, a.value, a.parent, a.option) <
           std::tie(b.count, b.cost, b.value, b.parent, b.option);
  });
  std::size_t kept = 0;
  double best_value = 0;
  for (std::size_t i = 0; i < states.size(); ++i) {
    const bool new_count = i == 0 || states[i].count != states[i - 1].count;
    if (new_count || states[i].value < best_value) {
      best_value = states[i].value;
      states[kept++] = states[i];
    }
  }
  states.resize(kept);
}

}  // namespace

void KnapsackProblem::Validate() const {
  if (groups.empty()) throw std::invalid_argument("knapsack: no groups; give one list of options per layer");
  if (!group_names.empty() && group_names.size() != groups.size())
    throw std::invalid_argument(fmt::format("knapsack: {} group names for {} groups; give one per group or none",
                                            group_names.size(), groups.size()));
  if (!std::isfinite(budget))
    throw std::invalid_argument(fmt::format("knapsack: budget = {} is invalid; valid: a finite number", budget));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].empty())
      throw std::invalid_argument(fmt::format("knapsack: {} has no options; valid: at least one", GroupName(*this, g)));
    for (std::size_t j = 0; j < groups[g].size(); ++j) {
      const KnapsackOption& o = groups[g][j];
      if (!std::isfinite(o.cost) || !std::isfinite(o.value))
        throw std::invalid_argument(fmt::format("knapsack: {} option {} has cost {} and value {}; valid: finite numbers",
                                                GroupName(*this, g), j, o.cost, o.value));
    }
  }
}

KnapsackSolution SolveMultipleChoiceKnapsack(const KnapsackProblem& p) {
  p.Validate();
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t G = p.groups.size();
  // Cheapest completion of groups g..G-1, cost and count separately (a lower bound on
  // both, since the total cost is nondecreasing in each).
  std::vector<double> rest_cost(G + 1, 0.0);
  std::vector<std::int64_t> rest_count(G + 1, 0);
  for (std::size_t g = G; g-- > 0;) {
    double c = std::numeric_limits<double>::infinity();
    std::int64_t n = std::numeric_limits<std::int64_t>::max();
    for (const KnapsackOption& o : p.groups[g]) c = std::min(c, o.cost), n = std::min(n, o.count);
    rest_cost[g] = rest_cost[g + 1] + c;
    rest_count[g] = rest_count[g + 1] + n;
  }
  KnapsackSolution s;
  s.cheapest_cost = p.Total(rest_cost[0], rest_count[0]);

  std::vector<std::vector<State>> stages(G);
  std::vector<State> previous{State{}};
  for (std::size_t g = 0; g < G && !previous.empty(); ++g) {
    std::vector<State>& next = stages[g];
    for (std::size_t i = 0; i < previous.size(); ++i) {
      for (std::size_t j = 0; j < p.groups[g].size(); ++j) {
        const KnapsackOption& o = p.groups[g][j];
        State n{previous[i].cost + o.cost, previous[i].value + o.value, previous[i].count + o.count,
                static_cast<int>(i), static_cast<int>(j)};
        if (p.Total(n.cost + rest_cost[g + 1], n.count + rest_count[g + 1]) > p.budget + kPruneTolerance) continue;
        next.push_back(n);
      }
    }
    KeepNonDominated(next);
    s.max_states = std::max<std::int64_t>(s.max_states, static_cast<std::int64_t>(next.size()));
    previous = next;
  }
  // The best complete selection within the budget (ties: lower total cost).
  int best = -1;
  double best_cost = 0;
  for (std::size_t i = 0; i < previous.size(); ++i) {
    const double total = p.Total(previous[i].cost, previous[i].count);
    if (total > p.budget + kBudgetTolerance) continue;
    if (best < 0 || previous[i].value < previous[best].value ||
        (previous[i].value == previous[best].value && total < best_cost))
      best = static_cast<int>(i), best_cost = total;
  }
  if (best >= 0) {
    s.feasible = true;
    s.value = previous[best].value;
    s.cost = best_cost;
    s.choice.assign(G, -1);
    for (std::size_t g = G, i = static_cast<std::size_t>(best); g-- > 0;) {
      s.choice[g] = stages[g][i].option;
      i = static_cast<std::size_t>(stages[g][i].parent);
    }
  } else {
    s.message = fmt::format(
        "budget {:.6g} cannot be met: the cheapest selection costs at least {:.6g} ({} groups); valid: a budget >= "
        "{:.6g}, or cheaper options (smaller bit widths)",
        p.budget, s.cheapest_cost, G, s.cheapest_cost);
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

}  // namespace fixar::autoq
