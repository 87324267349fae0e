#include "envs/env_base.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <utility>

namespace fixar::envs::detail {

EnvBase::EnvBase(std::string name, Box observation_space, Box action_space, int max_episode_steps)
    : name_(std::move(name)),
      observation_space_(std::move(observation_space)),
      action_space_(std::move(action_space)),
      max_episode_steps_(max_episode_steps) {}

std::vector<double> EnvBase::reset(std::uint64_t seed) {
  rng_.seed(seed);
  return reset();
}

std::vector<double> EnvBase::reset() {
  reset_state();
  elapsed_steps_ = 0;
  episode_running_ = true;
  return observation();
}

std::vector<double> EnvBase::observation() const {
  std::vector<double> obs(static_cast<std::size_t>(observation_space_.size()));
  write_observation(obs);
  return obs;
}

StepResult EnvBase::step(std::span<const double> action) {
  if (std::ssize(action) != action_space_.size()) {
    throw std::invalid_argument(fmt::format(
        "{}.step: the action has {} value(s); the action space of {} has {} (bounds [{}, {}] "
        "per dimension)",
        name_, action.size(), name_, action_space_.size(), action_space_.low.at(0),
        action_space_.high.at(0)));
  }
  for (std::size_t i = 0; i < action.size(); ++i) {
    if (!std::isfinite(action[i])) {
      throw std::invalid_argument(
          fmt::format("{}.step: action[{}] = {} is not finite; valid actions lie in [{}, {}]",
                      name_, i, action[i], action_space_.low[i], action_space_.high[i]));
    }
  }
  if (!episode_running_) {
    throw std::logic_error(fmt::format(
        "{}.step: no episode is running (never reset, or the last episode ended after {} "
        "step(s)); call reset() first",
        name_, elapsed_steps_));
  }
  StepResult result;
  result.observation.resize(static_cast<std::size_t>(observation_space_.size()));
  advance(action, result);
  ++elapsed_steps_;
  // Gymnasium's TimeLimit: truncated once the step count reaches the limit, even when
  // the same step also terminated.
  result.truncated = elapsed_steps_ >= max_episode_steps_;
  episode_running_ = !(result.terminated || result.truncated);
  return result;
}

void EnvBase::check_state_size(std::span<const double> state, int expected) const {
  if (std::ssize(state) != expected) {
    throw std::invalid_argument(
        fmt::format("{}.set_state: the state has {} value(s); {} expects {} (see Env::state())",
                    name_, state.size(), name_, expected));
  }
}

}  // namespace fixar::envs::detail
