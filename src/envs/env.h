// The environment interface, in Gymnasium's shape.
//
//   reset(seed) -> observation
//   step(action) -> {observation, reward, terminated, truncated, info}
//
// terminated: the task reached a terminal state (do not bootstrap from it).
// truncated: the episode was cut by its time limit (bootstrap from `observation`,
// which is the true next state). An episode ends when either is true; the caller
// then calls reset(). Stepping an ended episode, or stepping before the first
// reset(), throws std::logic_error.
//
// Built-in tasks (see docs/envs.md): "Pendulum", "CartPole", "HalfCheetah", "Hopper",
// "Swimmer", "Walker2d", "InvertedPendulum".
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fixar::envs {

struct Box {
  std::vector<double> low, high;  // per dimension; +-infinity where unbounded
  int size() const { return static_cast<int>(low.size()); }
};

// Named scalars a step reports besides the reward: the reward terms under Gymnasium's
// v5 info keys ("reward_forward", "reward_ctrl", "reward_survive", ...) and a few
// diagnostics ("x_position", "x_velocity"). Fixed capacity, so step() allocates nothing
// for it. Names must be string literals (the view is stored, not copied).
class StepInfo {
 public:
  static constexpr int kCapacity = 8;
  struct Entry {
    std::string_view name;
    double value = 0;
  };
  // Throws std::length_error when full (a task defining too many terms is a bug).
  void add(std::string_view name, double value);
  bool contains(std::string_view name) const;
  // Throws std::invalid_argument naming `name` and the keys present.
  double get(std::string_view name) const;
  int size() const { return count_; }
  const Entry* begin() const { return entries_.data(); }
  const Entry* end() const { return entries_.data() + count_; }

 private:
  std::array<Entry, kCapacity> entries_{};
  int count_ = 0;
};

struct StepResult {
  std::vector<double> observation;
  double reward = 0;
  bool terminated = false;
  bool truncated = false;
  StepInfo info;
};

class Env {
 public:
  virtual ~Env() = default;
  virtual std::string name() const = 0;  // registry name, e.g. "HalfCheetah"
  virtual const Box& observation_space() const = 0;
  virtual const Box& action_space() const = 0;
  virtual int max_episode_steps() const = 0;
  // Starts an episode. The same seed gives the same initial state; reset without a
  // seed continues the environment's own random stream (a never-seeded environment
  // starts from seed 0, so runs are reproducible by default).
  virtual std::vector<double> reset(std::uint64_t seed) = 0;
  virtual std::vector<double> reset() = 0;
  // action.size() must equal action_space().size() (else std::invalid_argument);
  // actions outside the bounds are clipped to them (as Gymnasium's MuJoCo tasks do
  // through the actuator ctrlrange). The control cost, as in Gymnasium, is computed
  // from the action as given.
  virtual StepResult step(std::span<const double> action) = 0;

  // --- Refinements. All have defaults so that hand-written environments (e.g. test
  // doubles elsewhere) keep compiling; the defaults of the optional hooks throw
  // std::logic_error naming the environment and the hook. Every built-in task
  // implements all of them.

  // 0 for a continuous action space. n > 0: the task is discrete with n actions and
  // takes a 1-dim action whose value selects one: index = clamp(floor(action[0] + 0.5),
  // 0, n - 1), i.e. for n = 2 (CartPole) action[0] >= 0.5 means action 1 (push right).
  // action_space() is then [0, n - 1].
  virtual int discrete_actions() const { return 0; }
  // Seconds of simulated time per step() (MuJoCo: timestep x frame skip).
  virtual double dt() const { unsupported("dt"); }
  // Steps taken in the current episode.
  virtual int elapsed_steps() const { unsupported("elapsed_steps"); }

  // The full simulator state, for tests and validation: MuJoCo tasks qpos ++ qvel
  // (root position included); Pendulum [theta, theta_dot]; CartPole
  // [x, x_dot, theta, theta_dot]. set_state() checks the size (std::invalid_argument),
  // leaves the step counter alone and does not end or start an episode.
  virtual std::vector<double> state() const { unsupported("state"); }
  virtual void set_state(std::span<const double> /*state*/) { unsupported("set_state"); }
  // The observation of the current state (what reset()/step() would return).
  virtual std::vector<double> observation() const { unsupported("observation"); }

  // An independent copy: same state, step counter and random stream. MuJoCo tasks
  // share the read-only compiled model between copies.
  virtual std::unique_ptr<Env> clone() const { unsupported("clone"); }

 protected:
  // Throws std::logic_error("<name()> does not implement Env::<hook>()").
  [[noreturn]] void unsupported(const char* hook) const;
};

// Registry by name. The built-in tasks are registered on first use of any of these
// functions (no static initialisers, which a static library would drop).
// make() throws std::invalid_argument naming `name` and listing the registered names
// when `name` is unknown; register_env() throws std::invalid_argument on an empty name,
// an empty factory or a name already registered.
using EnvFactory = std::function<std::unique_ptr<Env>()>;
void register_env(const std::string& name, EnvFactory factory);
std::unique_ptr<Env> make(const std::string& name);
std::vector<std::string> registered_names();  // sorted

}  // namespace fixar::envs
