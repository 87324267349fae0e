// The environment interface, in Gymnasium's shape.
//
//   reset(seed) -> observation
//   step(action) -> {observation, reward, terminated, truncated}
//
// terminated: the task reached a terminal state (do not bootstrap from it).
// truncated: the episode was cut by its time limit (bootstrap from `observation`,
// which is the true next state). An episode ends when either is true; the caller
// then calls reset().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fixar::envs {

struct Box {
  std::vector<double> low, high;  // per dimension; +-infinity where unbounded
  int size() const { return static_cast<int>(low.size()); }
};

struct StepResult {
  std::vector<double> observation;
  double reward = 0;
  bool terminated = false;
  bool truncated = false;
};

class Env {
 public:
  virtual ~Env() = default;
  virtual std::string name() const = 0;  // registry name, e.g. "HalfCheetah"
  virtual const Box& observation_space() const = 0;
  virtual const Box& action_space() const = 0;
  virtual int max_episode_steps() const = 0;
  // Starts an episode. The same seed gives the same initial state; reset without a
  // seed continues the environment's own random stream.
  virtual std::vector<double> reset(std::uint64_t seed) = 0;
  virtual std::vector<double> reset() = 0;
  // action.size() must equal action_space().size(); actions outside the bounds are
  // clipped to them (as Gymnasium's MuJoCo tasks do through the actuator ctrlrange).
  virtual StepResult step(std::span<const double> action) = 0;
};

// Registry by name. make() throws std::invalid_argument listing the registered names
// when `name` is unknown.
using EnvFactory = std::function<std::unique_ptr<Env>()>;
void register_env(const std::string& name, EnvFactory factory);
std::unique_ptr<Env> make(const std::string& name);
std::vector<std::string> registered_names();

}  // namespace fixar::envs
