// A sweep grid: a TOML file that expands into training runs with stable names.
//
//   [sweep]
//   name = "qat_campaign"
//   config = "configs/train/halfcheetah_fixar.toml"   # base config (relative: to the cwd)
//   tasks = ["HalfCheetah", "Hopper"]
//   precisions = ["float32", "fixar"]
//   seeds = [0, 1, 2]
//   steps = 1000000
//   threads = 1                   # per run
//   set = ["ddpg.batch_size=64"]  # optional --set overrides for every run
//   [[sweep.extra]]               # optional extra cells; tasks/precisions/seeds/set replace the grid's
//   precisions = ["fixed16"]
//   set = ["precision.rounding=stochastic"]
//   label = "sr"                  # part of the run name, so variants stay apart
//
// Runs come in grid order (the main block task × precision × seed, seed fastest, then each
// extra block) and are named <task>_<precision>[_<label>]_s<seed> (docs/scale-out.md).
//
// A grid of bit-width searches (`fixar autoq` runs) has kind = "autoq":
//   [sweep]
//   name = "autoq_campaign"
//   kind = "autoq"
//   config = "configs/autoq/vgg_small_campaign.toml"  # the autoq config every run starts from
//   agents = ["ppo+random", "ddpg"]   # one run per entry; "a+b" runs agents a and b in one process
//   budgets = [0.34, 0.5]
//   metrics = ["energy"]
//   seeds = [1, 2, 3]
//   episodes = 600
//   [[sweep.extra]]                   # agents/budgets/metrics/seeds/label replace the grid's
// Order: metric × budget × seed × agent (agent fastest); names
// <agents>_<metric>_b<budget>[_<label>]_s<seed>, '+' written '-' (ppo-random_energy_b0.34_s1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fixar::sweep {

enum class GridKind { kTrain, kAutoq };

struct RunSpec {
  int index = 0;     // position in grid order (a Slurm array index)
  std::string name;  // <task>_<precision>[_<label>]_s<seed>
  std::string task, precision, label;
  std::string agents, metric;  // autoq: "ppo,random" (for --agent), the budget's metric
  double budget = 0;           // autoq
  std::uint64_t seed = 0;
  std::vector<std::string> overrides;  // section.key=value, passed as --set
  std::string origin;                  // "sweep" or "sweep.extra[k]", for messages
};

struct Grid {
  std::string source;  // the file it was read from, for messages
  std::string name;
  GridKind kind = GridKind::kTrain;
  std::string config;  // base training config (autoq: autoq config), as written
  std::int64_t steps = 0;  // train: steps per run; autoq: episodes per search
  int threads = 1;
  std::vector<RunSpec> runs;
};

// Parses grid text; `source` names it in errors. Throws std::invalid_argument naming the
// source, the key, the value and what is valid: unknown keys, wrong types, empty lists,
// steps/threads < 1, names with characters other than letters, digits, '.', '_', '-',
// overrides of keys the grid sets itself, and two runs with one name.
Grid ParseGrid(std::string_view text, const std::string& source);

// Reads and parses the file, then checks that the base config exists and that every run's
// resolved training configuration is valid (the same checks as `fixar train`). A non-empty
// `base_config` is read instead of the grid's sweep.config (a sweep directory's copy).
Grid LoadGrid(const std::string& path, const std::string& base_config = "");

// The `fixar train` arguments (without the program) of a run: a fresh run in `run_dir`
// from `config`, or, when `resume`, the continuation of the run there. autoq: the
// `fixar autoq` arguments (a search has no checkpoint: it always starts afresh).
std::vector<std::string> RunArgs(const Grid& grid, const RunSpec& run, const std::string& config,
                                   const std::string& run_dir, bool resume);

// What makes two grids different runs: name, config, steps, threads and each run (by
// index: name and overrides). Empty when they expand to the same runs.
std::vector<std::string> GridDifferences(const Grid& before, const Grid& after);

}  // namespace fixar::sweep
