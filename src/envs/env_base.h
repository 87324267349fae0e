// Bookkeeping shared by the built-in tasks (internal header): spaces, the seeded
// random stream, the step counter and time limit, and action checking. A task only
// says how to reset, how to advance one step and what it observes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "envs/env.h"
#include "numerics/random.h"

namespace fixar::envs::detail {

class EnvBase : public Env {
 public:
  std::string name() const override { return name_; }
  const Box& observation_space() const override { return observation_space_; }
  const Box& action_space() const override { return action_space_; }
  int max_episode_steps() const override { return max_episode_steps_; }
  int elapsed_steps() const override { return elapsed_steps_; }

  std::vector<double> reset(std::uint64_t seed) override;
  std::vector<double> reset() override;
  // Checks the action (size, finiteness) and the episode state, calls advance(), then
  // applies the time limit: truncated once elapsed_steps() reaches max_episode_steps().
  StepResult step(std::span<const double> action) override;

 protected:
  EnvBase(std::string name, Box observation_space, Box action_space, int max_episode_steps);
  EnvBase(const EnvBase&) = default;
  EnvBase& operator=(const EnvBase&) = delete;

  // Draws a fresh initial state from rng().
  virtual void reset_state() = 0;
  // Advances one step with an action of the right size (not yet clipped), fills
  // result.observation (already sized to the observation space), reward, terminated
  // and info. Truncation is handled by step().
  virtual void advance(std::span<const double> action, StepResult& result) = 0;
  // Writes the observation of the current state into `out` (observation size).
  virtual void write_observation(std::span<double> out) const = 0;

  std::vector<double> observation() const override;
  num::Random& rng() { return rng_; }
  // Throws std::invalid_argument unless state.size() == expected ("<name>.set_state: ...").
  void check_state_size(std::span<const double> state, int expected) const;

 private:
  std::string name_;
  Box observation_space_;
  Box action_space_;
  int max_episode_steps_;
  int elapsed_steps_ = 0;
  bool episode_running_ = false;
  num::Random rng_{0};
};

}  // namespace fixar::envs::detail
