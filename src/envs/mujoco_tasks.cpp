// The MuJoCo tasks, following Gymnasium's v5 definitions (shared/reference/tasks.md):
// observation layout, reward terms, health and termination, frame skip, reset noise.
// The physics lives in the MJCF files under src/envs/models/.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include "envs/builtin.h"
#include "envs/mujoco_env.h"

namespace fixar::envs::detail {
namespace {

// "Healthy" as Gymnasium's Hopper/Walker2d define it; an unhealthy state ends the
// episode (terminate_when_unhealthy = True) and earns no healthy reward.
struct HealthSpec {
  double healthy_reward = 1.0;
  double z_low, z_high;          // open interval on the torso height qpos[1]
  double angle_low, angle_high;  // open interval on the torso pitch qpos[2]
  // Open interval that every entry of qpos[2:] ++ qvel must lie in (Gymnasium's
  // state_vector()[2:]; velocities unclipped), or nullopt for no such check.
  std::optional<std::pair<double, double>> state_range;
};

struct LocomotionSpec {
  MujocoTaskConfig task;
  int excluded_positions;  // leading qpos entries left out of the observation (root x[, y])
  double velocity_clip;    // |qvel| clip in the observation (kInf: none)
  double forward_reward_weight;
  double ctrl_cost_weight;
  std::optional<HealthSpec> health;  // nullopt: never terminates
};

// Forward locomotion: reward = w_f * dx/dt [+ healthy] - w_c * |a|^2, with x = qpos[0]
// (the root slide) measured before and after the frame-skipped step.
class Locomotion final : public MujocoEnv {
 public:
  explicit Locomotion(const LocomotionSpec& spec) : MujocoEnv(spec.task), spec_(spec) {
    const int layout_size = model().nq - spec.excluded_positions + model().nv;
    if (layout_size != spec.task.observation_size) {
      throw std::logic_error(
          fmt::format("{}: the model {} gives {} observation values (nq {} - {} + nv {}); the task "
                      "definition needs {}",
                      spec.task.name, spec.task.model_file, layout_size, model().nq,
                      spec.excluded_positions, model().nv, spec.task.observation_size));
    }
  }
  std::unique_ptr<Env> clone() const override { return std::make_unique<Locomotion>(*this); }

 private:
  void advance(std::span<const double> action, StepResult& result) override {
    const double x_before = qpos()[0];
    simulate(action);
    const double x_after = qpos()[0];
    const double x_velocity = (x_after - x_before) / dt();
    const double forward_reward = spec_.forward_reward_weight * x_velocity;
    const double ctrl_cost = spec_.ctrl_cost_weight * squared_norm(action);  // raw action
    result.info.add("x_position", x_after);
    result.info.add("x_velocity", x_velocity);
    result.info.add("reward_forward", forward_reward);
    result.info.add("reward_ctrl", -ctrl_cost);
    result.reward = forward_reward - ctrl_cost;
    result.terminated = false;
    if (spec_.health) {
      const bool healthy = is_healthy(*spec_.health);
      const double healthy_reward = healthy ? spec_.health->healthy_reward : 0.0;
      result.info.add("reward_survive", healthy_reward);
      result.info.add("z_distance_from_origin", qpos()[1] - model().qpos0[1]);
      result.reward += healthy_reward;
      result.terminated = !healthy;
    }
    write_observation(result.observation);
  }

  bool is_healthy(const HealthSpec& h) const {
    const double z = qpos()[1];
    const double angle = qpos()[2];
    // Written as "inside" tests so that NaN counts as unhealthy.
    bool healthy = h.z_low < z && z < h.z_high && h.angle_low < angle && angle < h.angle_high;
    if (healthy && h.state_range) {
      auto inside = [&](double v) { return h.state_range->first < v && v < h.state_range->second; };
      healthy = std::all_of(qpos().begin() + 2, qpos().end(), inside) &&
                std::all_of(qvel().begin(), qvel().end(), inside);
    }
    return healthy;
  }

  void write_observation(std::span<double> out) const override {
    // qpos without the excluded root coordinates, then qvel (clipped where the task says).
    auto position = qpos().subspan(static_cast<std::size_t>(spec_.excluded_positions));
    auto it = std::copy(position.begin(), position.end(), out.begin());
    for (double v : qvel()) *it++ = std::clamp(v, -spec_.velocity_clip, spec_.velocity_clip);
  }

  LocomotionSpec spec_;
};

// InvertedPendulum-v5: reward 1 while |hinge angle| <= 0.2, otherwise 0 and terminated.
class InvertedPendulum final : public MujocoEnv {
 public:
  InvertedPendulum()
      : MujocoEnv(MujocoTaskConfig{.name = "InvertedPendulum",
                                   .model_file = "inverted_pendulum.xml",
                                   .frame_skip = 2,
                                   .max_episode_steps = 1000,
                                   .observation_size = 4,
                                   .action_size = 1,
                                   .qpos_noise = {ResetNoise::Kind::kUniform, 0.01},
                                   .qvel_noise = {ResetNoise::Kind::kUniform, 0.01}}) {}
  std::unique_ptr<Env> clone() const override { return std::make_unique<InvertedPendulum>(*this); }

 private:
  void advance(std::span<const double> action, StepResult& result) override {
    simulate(action);
    write_observation(result.observation);
    const bool finite = std::all_of(result.observation.begin(), result.observation.end(),
                                    [](double v) { return std::isfinite(v); });
    result.terminated = !finite || std::abs(result.observation[1]) > 0.2;
    result.reward = result.terminated ? 0.0 : 1.0;
    result.info.add("reward_survive", result.reward);
  }

  void write_observation(std::span<double> out) const override {
    // [cart x, pole angle, cart x velocity, pole angular velocity] = qpos ++ qvel.
    std::copy(qpos().begin(), qpos().end(), out.begin());
    std::copy(qvel().begin(), qvel().end(), out.begin() + 2);
  }
};

// HalfCheetah-v5: obs qpos[1:] (8) ++ qvel (9); reward dx/dt - 0.1 |a|^2; dt 5 x 0.01 s;
// reset qpos + U(-0.1, 0.1), qvel 0.1 N(0, 1); never terminates.
LocomotionSpec half_cheetah_spec() {
  return {.task = {.name = "HalfCheetah",
                   .model_file = "half_cheetah.xml",
                   .frame_skip = 5,
                   .max_episode_steps = 1000,
                   .observation_size = 17,
                   .action_size = 6,
                   .qpos_noise = {ResetNoise::Kind::kUniform, 0.1},
                   .qvel_noise = {ResetNoise::Kind::kNormal, 0.1}},
          .excluded_positions = 1,
          .velocity_clip = kInf,
          .forward_reward_weight = 1.0,
          .ctrl_cost_weight = 0.1,
          .health = std::nullopt};
}

// Hopper-v5: obs qpos[1:] (5) ++ clip(qvel, +-10) (6); reward 1 (healthy) + dx/dt
// - 1e-3 |a|^2; dt 4 x 0.002 s; healthy: z > 0.7, |angle| < 0.2, qpos[2:] ++ qvel in
// (-100, 100); reset noise U(-5e-3, 5e-3).
LocomotionSpec hopper_spec() {
  return {.task = {.name = "Hopper",
                   .model_file = "hopper.xml",
                   .frame_skip = 4,
                   .max_episode_steps = 1000,
                   .observation_size = 11,
                   .action_size = 3,
                   .qpos_noise = {ResetNoise::Kind::kUniform, 5e-3},
                   .qvel_noise = {ResetNoise::Kind::kUniform, 5e-3}},
          .excluded_positions = 1,
          .velocity_clip = 10.0,
          .forward_reward_weight = 1.0,
          .ctrl_cost_weight = 1e-3,
          .health = HealthSpec{.healthy_reward = 1.0,
                               .z_low = 0.7,
                               .z_high = kInf,
                               .angle_low = -0.2,
                               .angle_high = 0.2,
                               .state_range = std::pair{-100.0, 100.0}}};
}

// Walker2d-v5: obs qpos[1:] (8) ++ clip(qvel, +-10) (9); Hopper's reward weights;
// healthy: 0.8 < z < 2, |angle| < 1; dt 4 x 0.002 s; reset noise U(-5e-3, 5e-3).
LocomotionSpec walker2d_spec() {
  return {.task = {.name = "Walker2d",
                   .model_file = "walker2d.xml",
                   .frame_skip = 4,
                   .max_episode_steps = 1000,
                   .observation_size = 17,
                   .action_size = 6,
                   .qpos_noise = {ResetNoise::Kind::kUniform, 5e-3},
                   .qvel_noise = {ResetNoise::Kind::kUniform, 5e-3}},
          .excluded_positions = 1,
          .velocity_clip = 10.0,
          .forward_reward_weight = 1.0,
          .ctrl_cost_weight = 1e-3,
          .health = HealthSpec{.healthy_reward = 1.0,
                               .z_low = 0.8,
                               .z_high = 2.0,
                               .angle_low = -1.0,
                               .angle_high = 1.0,
                               .state_range = std::nullopt}};
}

// Swimmer-v5: obs qpos[2:] (3) ++ qvel (5); reward dx/dt - 1e-4 |a|^2; dt 4 x 0.01 s;
// reset noise U(-0.1, 0.1) on qpos and qvel; never terminates.
LocomotionSpec swimmer_spec() {
  return {.task = {.name = "Swimmer",
                   .model_file = "swimmer.xml",
                   .frame_skip = 4,
                   .max_episode_steps = 1000,
                   .observation_size = 8,
                   .action_size = 2,
                   .qpos_noise = {ResetNoise::Kind::kUniform, 0.1},
                   .qvel_noise = {ResetNoise::Kind::kUniform, 0.1}},
          .excluded_positions = 2,
          .velocity_clip = kInf,
          .forward_reward_weight = 1.0,
          .ctrl_cost_weight = 1e-4,
          .health = std::nullopt};
}

}  // namespace

std::unique_ptr<Env> make_half_cheetah() {
  return std::make_unique<Locomotion>(half_cheetah_spec());
}
std::unique_ptr<Env> make_hopper() { return std::make_unique<Locomotion>(hopper_spec()); }
std::unique_ptr<Env> make_walker2d() { return std::make_unique<Locomotion>(walker2d_spec()); }
std::unique_ptr<Env> make_swimmer() { return std::make_unique<Locomotion>(swimmer_spec()); }
std::unique_ptr<Env> make_inverted_pendulum() { return std::make_unique<InvertedPendulum>(); }

std::string model_file_of_task(const std::string& task) {
  for (const LocomotionSpec& spec : {half_cheetah_spec(), hopper_spec(), walker2d_spec(), swimmer_spec()})
    if (spec.task.name == task) return spec.task.model_file;
  return task == "InvertedPendulum" ? "inverted_pendulum.xml" : "";
}

}  // namespace fixar::envs::detail
