// Shared by the trainer tests: a training run small enough for a unit test (Pendulum,
// 16-16 networks, evaluation and checkpoints every 400 steps, QAT switch at 500), and a
// fresh temporary directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "rl/trainer.h"

namespace fixar::rl::testing {

inline TrainOptions Small(const std::string& out, std::int64_t steps) {
  TrainOptions o;
  TrainConfig& c = o.config;
  c.task = "Pendulum";
  c.total_steps = steps;
  c.hidden = {16, 16};
  c.batch_size = 16;
  c.warmup_steps = 200;
  c.eval_every = 400;
  c.eval_episodes = 2;
  c.log_every = 200;
  c.checkpoint_every = 400;
  c.qat_delay = 500;
  c.out_dir = out;
  o.progress = false;
  return o;
}

// An empty path under the system's temporary directory (whatever was there is removed).
inline std::filesystem::path Fresh(const char* name) {
  const std::filesystem::path p = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(p);
  return p;
}

}  // namespace fixar::rl::testing
