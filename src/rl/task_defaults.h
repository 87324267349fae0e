// Per-task defaults, rl-zoo style: `fixar train --task Hopper` without --config starts from
// configs/train/hopper.toml (the task's name in lower case). The files are built into the
// program (src/util/embed_files.cmake), so it finds them from any directory. Which
// settings each task gets, and why, is written in its file; docs/training.md
// ("Configuration").
#pragma once

#include <string>
#include <vector>

#include "rl/config.h"
#include "util/embedded_file.h"

namespace fixar::rl {

// "configs/train/hopper.toml" for "Hopper"; "" for a task without defaults (CartPole: DDPG
// cannot train its discrete actions) and for unknown names.
std::string TaskDefaultsFile(const std::string& task);
// The registered tasks that have defaults, in the registry's (alphabetical) order.
std::vector<std::string> TasksWithDefaults();
// For help texts and messages: the tasks DDPG can train (those with defaults), then the
// other registered tasks and why they have none: "HalfCheetah, Hopper, …, Walker2d
// (CartPole has discrete actions: DDPG cannot train it)".
std::string DescribeTrainableTasks();
// The task's defaults; throws std::invalid_argument naming the task and the tasks that
// have defaults when it has none.
TrainConfig TaskDefaults(const std::string& task);

// What `fixar train` and `fixar config show` start from.
struct ConfigRequest {
  std::string config_file;             // --config: replaces the per-task defaults
  std::string task;                    // --task
  std::vector<std::string> overrides;  // --set section.key=value, in order
};
struct ResolvedConfig {
  TrainConfig config;
  // Where the values came from, for messages and `fixar config show`: e.g.
  // "configs/train/hopper.toml (the defaults of Hopper)", "--config my.toml".
  std::string base;
};
// An explicit --config file when given; else the defaults of the task: --task, else a
// run.task among the overrides, else TrainConfig's default task (built-in defaults for a
// task without a file, so that validate() names an unknown task); then the overrides in
// order, then --task. Does not validate; throws std::invalid_argument for an unreadable
// file or a bad override.
ResolvedConfig ResolveTrainConfig(const ConfigRequest& request);

namespace detail {
// Every configs/train/*.toml at build time (generated: embedded_train_configs.cpp).
extern const util::EmbeddedFile kEmbeddedTrainConfigs[];
extern const int kEmbeddedTrainConfigCount;
}  // namespace detail

}  // namespace fixar::rl
