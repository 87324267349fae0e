// The small Pendulum run whose checkpoints seed fuzz/corpus/rl_checkpoint (make_seeds.cpp)
// and whose agent and replay buffer the rl_checkpoint target loads them into.
#pragma once

#include <string>

#include "rl/config.h"

namespace fixar::fuzz {

inline rl::TrainConfig SeedRunConfig(const std::string& precision) {
  rl::TrainConfig c;
  c.task = "Pendulum";
  c.seed = 0;
  c.total_steps = 400;     // two episodes
  c.eval_every = 200;
  c.eval_episodes = 1;
  c.log_every = 100;
  c.checkpoint_every = 200;
  c.threads = 1;
  c.hidden = {16, 16};
  c.batch_size = 8;
  c.buffer_size = 256;     // full and wrapped by the end
  c.warmup_steps = 100;
  c.actor_precision = c.critic_precision = precision;
  c.qat_delay = 200;       // fixar: quantized for the second episode
  return c;
}

}  // namespace fixar::fuzz
