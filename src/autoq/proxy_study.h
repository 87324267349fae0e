// Can a short measurement stand in for the long one? The proxy study (docs/autoq.md,
// "The proxy").
//
// Every agent's search ranks assignments by a *proxy*: quantize, a short fine-tune on a
// subset, accuracy on (part of) the validation split. What a search should find is the
// assignment that is best after the *final* measurement (long fine-tune on all training
// images, accuracy on the test set). A proxy is only useful if it orders assignments the
// way the final measurement does. The study draws N random assignments whose cost lies in
// a band around the budgets searched, measures each with every proxy setting and with the
// final measurement, and reports Spearman's rank correlation ρ(proxy, final) per setting
// and the cheapest setting with ρ >= threshold.
//
//   RunProxyStudy   draws, measures, writes proxy_study.csv (one row per measurement,
//                   appended as it goes, so a rerun resumes: rows already there are reused,
//                   and checked against the draw), proxy_study.md and proxy_study.json
//   SpearmanRho     ρ with average ranks for ties
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "autoq/search_env.h"
#include "autoq/target.h"

namespace fixar::autoq {

// One proxy: the keys of the config's [target] table it sets.
struct ProxySetting {
  int steps = 50;              // search_finetune_steps
  int subset = 4096;           // search_finetune_subset (0: all training images)
  int batch = 64;              // search_finetune_batch
  int validation_images = 0;   // search_validation_images (0: the whole validation split)
  std::string Name() const;    // "ft50_sub4096_b64_val5000" (val "all" for 0)
};

struct ProxyStudyOptions {
  int assignments = 24;        // random assignments measured
  std::uint64_t seed = 7;      // the draw
  double cost_min = 0.25;      // band of the cost (fraction of 8/8, in `metric`) drawn from
  double cost_max = 0.55;
  CostMetric metric = CostMetric::kEnergy;
  std::vector<int> candidates = {2, 3, 4, 5, 6, 7, 8};
  std::vector<ProxySetting> proxies;
  double threshold = 0.9;      // the cheapest proxy with rho >= threshold is chosen
  void Validate() const;       // throws std::invalid_argument naming the value
};

struct ProxyStudyResult {
  std::vector<Bits> assignments;
  std::vector<double> cost;                     // in options.metric
  std::vector<double> final_accuracy;           // fraction, test set
  std::vector<double> final_seconds;
  std::vector<std::vector<double>> accuracy;    // [proxy][assignment], fraction
  std::vector<std::vector<double>> seconds;     // [proxy][assignment], wall seconds
  std::vector<double> mean_seconds;             // per proxy
  std::vector<double> spearman;                 // per proxy, against final_accuracy
  int chosen = -1;                              // cheapest proxy with rho >= threshold; -1: none
  int reused = 0;                               // measurements read back from an earlier run
};

// Spearman's rank correlation: Pearson's r of the ranks, ties get their average rank.
// NaN when either input is constant or the sizes differ or are below 2.
double SpearmanRho(std::span<const double> x, std::span<const double> y);

// `count` distinct assignments, every width uniform over `candidates`, accepted when their
// cost lies in [cost_min, cost_max]. Deterministic in `seed`. Throws std::runtime_error
// naming the band when 10^6 draws do not find enough.
std::vector<Bits> DrawAssignmentsInBand(const Evaluator& pricing, std::span<const int> candidates, int count,
                                        std::uint64_t seed, double cost_min, double cost_max);

// Makes the target that measures with one proxy setting (the final measurement uses
// FinalAccuracy of the first proxy's target). The same trained model behind each.
using ProxyTargetFactory = std::function<std::unique_ptr<QuantTarget>(const ProxySetting&)>;

ProxyStudyResult RunProxyStudy(const ProxyTargetFactory& make_target, const reram::CostModel& cost_model,
                               const ProxyStudyOptions& options, const std::filesystem::path& out_dir,
                               const std::function<void(const std::string&)>& progress);

}  // namespace fixar::autoq
