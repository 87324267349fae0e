// Which runs are seeds of one configuration. A group is (task, actor/critic precision,
// every other key of the resolved configuration) — all of TrainConfig::ToToml() except
// run.seed, run.out_dir, run.threads and run.total_steps. A run's seed is run.seed of
// its config.toml, never its directory name.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "report/run_data.h"

namespace fixar::report {

// "section.key" -> value as config.toml writes it (strings without their quotes).
using ConfigKeys = std::map<std::string, std::string>;

// All keys of TrainConfig::ToToml().
ConfigKeys AllConfigKeys(const rl::TrainConfig& config);
// The keys that make a configuration: AllConfigKeys minus the ones below.
ConfigKeys GroupingKeys(const rl::TrainConfig& config);
inline constexpr const char* kNonGroupingKeys[] = {"run.seed", "run.out_dir", "run.threads", "run.total_steps"};

// "fixar", or "fixar/float32" when the critic's precision differs from the actor's.
std::string PrecisionName(const rl::TrainConfig& config);

struct Group {
  std::string task;
  std::string precision;  // PrecisionName
  // The precision, then in brackets the keys whose values differ between groups of this
  // task with this precision: "fixar [precision.rounding=stochastic]". Unique per task.
  std::string label;
  ConfigKeys keys;              // GroupingKeys, the same for every run
  std::vector<RunData> runs;    // one per seed, sorted by seed
  std::vector<std::string> dir_groups;  // rl::RunGroupName of the run directories (a label only)
};

struct GroupingOptions {
  // Two runs of a group with one seed: false throws; true keeps the one with more steps
  // (on a tie the first by path) and adds a note naming both.
  bool allow_duplicate_seeds = false;
};

// Groups runs (each directory once: runs with one canonical path are merged), sorted by
// task, then label. Throws std::invalid_argument naming both directories when two runs
// of a group share a seed, unless options.allow_duplicate_seeds. Notes for the report
// (duplicates resolved) are appended to `notes`.
std::vector<Group> GroupRuns(std::vector<RunData> runs, const GroupingOptions& options,
                             std::vector<std::string>& notes);

// Keys (not precision.actor / precision.critic) whose values differ between a and b,
// as "key (a's value vs b's value)".
std::vector<std::string> DifferingKeys(const Group& a, const Group& b);

}  // namespace fixar::report
