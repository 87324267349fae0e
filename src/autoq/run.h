// One `fixar autoq` run: a target, a budget, several agents × seeds in the same harness,
// and a results directory (docs/autoq.md, "Results directory"):
//   evaluations.csv   every priced assignment of every search (bits, accuracy, cost, ...)
//   ppo_log.csv       PPO's logged scalars per update (CleanRL names)
//   sensitivity.csv   sensitivity agent: every probe (layer, w, a, accuracy, drop, cost, chosen)
//   summary.json      per search: best assignment, accuracy, cost, wall time, counts
//   report.md         agents compared (mean ± std over seeds), best assignment per agent
//   pareto.svg        cost–accuracy scatter of the measured assignments with the Pareto front
//   bits.svg          weight and activation bits per layer of each agent's best
// The config is TOML (configs/autoq/*.toml); every key has a default.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "autoq/search.h"

namespace fixar::autoq {

struct RunConfig {
  // [target]
  std::string target = "synthetic";              // synthetic | cnn
  std::string network = "vgg_small";             // synthetic: lenet5 | vgg_small
  std::string model_config = "configs/models/vgg_small.toml";  // cnn
  std::string checkpoint;                        // cnn: trained model (trained and saved when missing)
  std::string data_dir;                          // cnn: Fashion-MNIST IDX directory ("" = default)
  int validation_size = 5000;                    // cnn: images held out of the training set
  int search_validation_images = 0;              // cnn: the search measures on the first K of them (0: all)
  int search_finetune_steps = 50, search_finetune_subset = 4096, search_finetune_batch = 64;
  int final_finetune_steps = 1000, final_finetune_batch = 128;
  double finetune_lr = 1e-4;
  // [search]
  double budget = 0.5;                           // fraction of the uniform 8/8 cost
  CostMetric metric = CostMetric::kEnergy;
  std::string reram_config;                      // "" = built-in ISAAC figures
  std::vector<Agent> agents = {Agent::kPpo};
  std::vector<std::uint64_t> seeds = {1};
  bool random_matches_ppo = true;                // random gets PPO's measurement count (same seed)
  bool final_finetune = true;                    // long fine-tune of each search's best
  SearchOptions search;                          // episodes, candidates, reward, ppo, ddpg
  // Reads a TOML file; keys left out keep the defaults. Unknown keys, wrong types and bad
  // values throw std::invalid_argument naming the key, the value, the file and what is valid.
  static RunConfig Load(const std::filesystem::path& path);
  // The same from TOML text; `file` names it in messages.
  static RunConfig Parse(std::string_view text, const std::string& file);
  void Validate() const;
};

// What a run found, for the results directory (autoq/results.h writes it) and the caller.
// One finished search of a run.
struct FinishedSearch {
  SearchResult result;
  std::uint64_t seed = 0;
  double final_accuracy = 0;        // FinalAccuracy of its best (NaN if none, or the final fine-tune is off)
  std::vector<Evaluation> records;  // every priced assignment, in order
};

struct RunOutcome {
  std::vector<FinishedSearch> searches;   // agents × seeds, in run order
  std::vector<Agent> agents;              // the agents in run order (PPO first), each once
  std::string target_name;
  std::vector<layers::LayerShape> layers;  // the target's weight layers
  double float_accuracy = 0;
};

// The run's target: the synthetic model, or the trained CNN (trained and saved at its
// checkpoint when that is missing). require_checkpoint: a missing cnn checkpoint is an
// error instead (MPI workers load what rank 0 trained; they never train).
std::unique_ptr<QuantTarget> MakeRunTarget(const RunConfig& config, const std::filesystem::path& out_dir,
                                           const std::function<void(const std::string&)>& progress,
                                           bool require_checkpoint = false);

// Who measures the candidates of every search of a run, made once the run's target is
// built (the MPI evaluator: mpi_evaluator.h). Empty, or returning null: serially, here.
using CandidateEvaluatorFactory = std::function<CandidateEvaluator*(QuantTarget& target)>;

// Runs every agent for every seed (the deterministic sensitivity agent once, with the first
// seed). `progress` receives one-line updates (may be empty); `after_each_search` (may be
// empty) sees the outcome so far after every finished search. Writes nothing but what the
// CNN target trains (out_dir/trained_model.bin when no checkpoint is given).
RunOutcome SearchAll(const RunConfig& config, const std::filesystem::path& out_dir,
                     const std::function<void(const std::string&)>& progress,
                     const CandidateEvaluatorFactory& candidates = {},
                     const std::function<void(const RunOutcome&)>& after_each_search = {});

// SearchAll, writing the results directory (WriteRunResults, autoq/results.h) after every
// finished search, so that a run stopped midway keeps the searches it finished.
RunOutcome RunAutoq(const RunConfig& config, const std::filesystem::path& out_dir,
                    const std::function<void(const std::string&)>& progress,
                    const CandidateEvaluatorFactory& candidates = {});

}  // namespace fixar::autoq
