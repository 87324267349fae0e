// The statistics of `fixar report`, exactly as docs/training.md describes them: per run
// (final, mean of the last 10, best evaluation; steps), per group over seeds (mean and
// sample standard deviation), and the ratio of a group to the reference precision with
// a seeded bootstrap interval.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "report/run_data.h"
#include "util/stats.h"

namespace fixar::report {

// How many of a run's last evaluations mean_last10_eval averages.
inline constexpr std::size_t kLastEvals = 10;

struct RunStats {
  double final_eval = 0;        // eval_mean of the last evaluation (NaN without one)
  double mean_last10_eval = 0;  // mean of the last min(10, count) evaluations (NaN without one)
  double best_eval = 0;         // the highest eval_mean (NaN without one)
  std::size_t last10_count = 0; // evaluations mean_last10_eval averaged (< 10 for short runs)
  std::int64_t steps = 0;       // the last step in progress.csv
};
RunStats ComputeRunStats(const Progress& progress);

// Mean ± std over seeds: one definition for every report (util/stats.h).
using util::MeanStd;
using util::Summarize;

// Bootstrap settings; the seed is fixed so that a report is reproducible.
inline constexpr int kBootstrapResamples = 10'000;
inline constexpr std::uint64_t kBootstrapSeed = 20'210'705;

struct RatioEstimate {
  double ratio = 0;           // mean(group) / mean(reference)
  double lo = 0, hi = 0;      // 95 % percentile interval; NaN when !has_interval
  bool has_interval = false;  // needs at least two pairs
};
// ratio = mean(group) / mean(reference), where group[i] and reference[i] are one seed's pair
// (the same seed trained both ways). The interval is a paired percentile bootstrap:
// `resamples` times, draw n = group.size() indices with replacement and take the ratio of
// the two means over the same drawn indices; the 2.5th and 97.5th percentiles of these
// ratios (linear interpolation between order statistics; resamples whose ratio is NaN are
// left out). Drawing the pairs together keeps what a seed fixes on both sides (initial
// weights, episode starts, replay indices) out of the interval's width. Random numbers:
// std::mt19937_64 seeded with `seed`, indices drawn by rejection, so the same inputs give
// the same interval everywhere. No interval with fewer than two pairs. Throws
// std::invalid_argument when there is no pair or the two sizes differ.
RatioEstimate BootstrapRatio(const std::vector<double>& group, const std::vector<double>& reference,
                             int resamples = kBootstrapResamples, std::uint64_t seed = kBootstrapSeed);

// The p-quantile (0 ≤ p ≤ 1) of sorted values, interpolating linearly between order
// statistics (position p·(n − 1)). NaN for no values.
double Quantile(const std::vector<double>& sorted, double p);

}  // namespace fixar::report
