#include "report/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace fixar::report {

RunStats ComputeRunStats(const Progress& progress) {
  RunStats s;
  s.steps = progress.last_step;
  const auto& e = progress.evals;
  if (e.empty()) {
    s.final_eval = s.mean_last10_eval = s.best_eval = NAN;
    return s;
  }
  s.final_eval = e.back().mean;
  s.last10_count = std::min(kLastEvals, e.size());
  double sum = 0;
  for (std::size_t i = e.size() - s.last10_count; i < e.size(); ++i) sum += e[i].mean;
  s.mean_last10_eval = sum / static_cast<double>(s.last10_count);
  s.best_eval = e.front().mean;
  for (const EvalPoint& p : e) s.best_eval = std::max(s.best_eval, p.mean);
  return s;
}

double Quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return NAN;
  const double pos = std::clamp(p, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(pos));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(below);
  return sorted[below] + frac * (sorted[above] - sorted[below]);
}

namespace {

// A uniform index in [0, n) from mt19937_64 by rejection: the same on every standard
// library (std::uniform_int_distribution's algorithm is left to the implementation).
std::size_t DrawIndex(std::mt19937_64& rng, std::size_t n) {
  const std::uint64_t range = n;
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
  std::uint64_t x = rng();
  while (x >= limit) x = rng();
  return static_cast<std::size_t>(x % range);
}

}  // namespace

RatioEstimate BootstrapRatio(const std::vector<double>& group, const std::vector<double>& reference, int resamples,
                             std::uint64_t seed) {
  if (group.empty() || group.size() != reference.size())
    throw std::invalid_argument(fmt::format("BootstrapRatio: {} group values and {} reference values; they must be "
                                            "pairs (one of each per seed), at least one", group.size(), reference.size()));
  RatioEstimate r;
  r.ratio = Summarize(group).mean / Summarize(reference).mean;
  r.lo = r.hi = NAN;
  const std::size_t n = group.size();
  if (n < 2 || resamples < 1) return r;
  std::mt19937_64 rng(seed);
  std::vector<double> ratios;
  ratios.reserve(static_cast<std::size_t>(resamples));
  for (int k = 0; k < resamples; ++k) {
    double g = 0, q = 0;  // the same drawn seeds on both sides
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t j = DrawIndex(rng, n);
      g += group[j];
      q += reference[j];
    }
    const double ratio = g / q;  // the ratio of the two means: the 1/n cancels
    if (!std::isnan(ratio)) ratios.push_back(ratio);
  }
  std::sort(ratios.begin(), ratios.end());
  r.lo = Quantile(ratios, 0.025);
  r.hi = Quantile(ratios, 0.975);
  r.has_interval = !ratios.empty();
  return r;
}

}  // namespace fixar::report
