// The two tasks without a physics engine: Pendulum (Gymnasium Pendulum-v1) and
// CartPole (Gymnasium CartPole-v1). Constants and update rules are those of the
// published definitions (docs/envs.md, shared/reference/tasks.md).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "envs/builtin.h"
#include "envs/env_base.h"

namespace fixar::envs::detail {
namespace {

constexpr double kPi = std::numbers::pi;

// ---------------------------------------------------------------- Pendulum-v1
// State [theta, theta_dot], theta = 0 upright. Observation [cos, sin, theta_dot].
class Pendulum final : public EnvBase {
 public:
  static constexpr double kGravity = 10.0;  // g
  static constexpr double kMass = 1.0;      // m
  static constexpr double kLength = 1.0;    // l
  static constexpr double kDt = 0.05;
  static constexpr double kMaxSpeed = 8.0;
  static constexpr double kMaxTorque = 2.0;

  Pendulum()
      : EnvBase("Pendulum", Box{{-1.0, -1.0, -kMaxSpeed}, {1.0, 1.0, kMaxSpeed}},
                Box{{-kMaxTorque}, {kMaxTorque}}, 200) {}

  double dt() const override { return kDt; }
  std::vector<double> state() const override { return {theta_, theta_dot_}; }
  void set_state(std::span<const double> state) override {
    check_state_size(state, 2);
    theta_ = state[0];
    theta_dot_ = state[1];
  }
  std::unique_ptr<Env> clone() const override { return std::make_unique<Pendulum>(*this); }

  // norm(theta) wrapped to [-pi, pi), as Gymnasium's angle_normalize ((x + pi) mod 2pi) - pi
  // with Python's floored modulo.
  static double wrap_angle(double theta) {
    const double shifted = std::fmod(theta + kPi, 2.0 * kPi);
    return (shifted < 0 ? shifted + 2.0 * kPi : shifted) - kPi;
  }

 private:
  void reset_state() override {
    // theta ~ U[-pi, pi], theta_dot ~ U[-1, 1] (in this order).
    theta_ = rng().uniform(-kPi, kPi);
    theta_dot_ = rng().uniform(-1.0, 1.0);
  }

  void advance(std::span<const double> action, StepResult& result) override {
    const double u = std::clamp(action[0], -kMaxTorque, kMaxTorque);
    // Reward from the state before the update and the clipped torque.
    const double angle = wrap_angle(theta_);
    const double angle_cost = angle * angle;
    const double velocity_cost = 0.1 * theta_dot_ * theta_dot_;
    const double torque_cost = 0.001 * u * u;
    result.reward = -(angle_cost + velocity_cost + torque_cost);
    // theta_dot' = clip(theta_dot + (3g/(2l) sin(theta) + 3/(m l^2) u) dt, -8, 8);
    // theta' = theta + theta_dot' dt (semi-implicit Euler).
    const double new_theta_dot =
        std::clamp(theta_dot_ + (3.0 * kGravity / (2.0 * kLength) * std::sin(theta_) +
                                 3.0 / (kMass * kLength * kLength) * u) *
                                    kDt,
                   -kMaxSpeed, kMaxSpeed);
    theta_ += new_theta_dot * kDt;
    theta_dot_ = new_theta_dot;
    result.terminated = false;  // Pendulum never terminates; only the 200-step limit ends it
    result.info.add("reward_angle", -angle_cost);
    result.info.add("reward_velocity", -velocity_cost);
    result.info.add("reward_ctrl", -torque_cost);
    write_observation(result.observation);
  }

  void write_observation(std::span<double> out) const override {
    out[0] = std::cos(theta_);
    out[1] = std::sin(theta_);
    out[2] = theta_dot_;
  }

  double theta_ = 0;
  double theta_dot_ = 0;
};

// ---------------------------------------------------------------- CartPole-v1
// State = observation = [x, x_dot, theta, theta_dot], theta = 0 upright. Discrete
// action {0: push left, 1: push right} carried as action[0] (>= 0.5 means 1).
class CartPole final : public EnvBase {
 public:
  static constexpr double kGravity = 9.8;
  static constexpr double kMassCart = 1.0;
  static constexpr double kMassPole = 0.1;
  static constexpr double kTotalMass = kMassCart + kMassPole;
  static constexpr double kHalfLength = 0.5;  // Gymnasium's `length`: half the pole length
  static constexpr double kPoleMassLength = kMassPole * kHalfLength;
  static constexpr double kForceMag = 10.0;
  static constexpr double kTau = 0.02;  // seconds per step, explicit Euler
  static constexpr double kThetaThreshold = 12.0 * 2.0 * kPi / 360.0;  // 12 degrees
  static constexpr double kXThreshold = 2.4;

  CartPole()
      : EnvBase("CartPole",
                // Gymnasium's bounds: twice the termination thresholds, velocities unbounded.
                Box{{-2 * kXThreshold, -kInf, -2 * kThetaThreshold, -kInf},
                    {2 * kXThreshold, kInf, 2 * kThetaThreshold, kInf}},
                Box{{0.0}, {1.0}}, 500) {}

  int discrete_actions() const override { return 2; }
  double dt() const override { return kTau; }
  std::vector<double> state() const override { return {x_, x_dot_, theta_, theta_dot_}; }
  void set_state(std::span<const double> state) override {
    check_state_size(state, 4);
    x_ = state[0];
    x_dot_ = state[1];
    theta_ = state[2];
    theta_dot_ = state[3];
  }
  std::unique_ptr<Env> clone() const override { return std::make_unique<CartPole>(*this); }

 private:
  void reset_state() override {
    for (double* s : {&x_, &x_dot_, &theta_, &theta_dot_}) *s = rng().uniform(-0.05, 0.05);
  }

  void advance(std::span<const double> action, StepResult& result) override {
    const double force = action[0] >= 0.5 ? kForceMag : -kForceMag;
    const double cos_theta = std::cos(theta_);
    const double sin_theta = std::sin(theta_);
    // Gymnasium CartPole-v1 (Barto, Sutton & Anderson 1983 with Florian's correction).
    const double temp =
        (force + kPoleMassLength * theta_dot_ * theta_dot_ * sin_theta) / kTotalMass;
    const double theta_acc =
        (kGravity * sin_theta - cos_theta * temp) /
        (kHalfLength * (4.0 / 3.0 - kMassPole * cos_theta * cos_theta / kTotalMass));
    const double x_acc = temp - kPoleMassLength * theta_acc * cos_theta / kTotalMass;
    // Explicit Euler: positions advance with the old velocities.
    x_ += kTau * x_dot_;
    x_dot_ += kTau * x_acc;
    theta_ += kTau * theta_dot_;
    theta_dot_ += kTau * theta_acc;

    result.terminated = x_ < -kXThreshold || x_ > kXThreshold || theta_ < -kThetaThreshold ||
                        theta_ > kThetaThreshold;
    // Reward 1 for every step, the terminating one included (Gymnasium's default,
    // sutton_barto_reward = False).
    result.reward = 1.0;
    result.info.add("reward_survive", 1.0);
    write_observation(result.observation);
  }

  void write_observation(std::span<double> out) const override {
    out[0] = x_;
    out[1] = x_dot_;
    out[2] = theta_;
    out[3] = theta_dot_;
  }

  double x_ = 0, x_dot_ = 0, theta_ = 0, theta_dot_ = 0;
};

}  // namespace

std::unique_ptr<Env> make_pendulum() { return std::make_unique<Pendulum>(); }
std::unique_ptr<Env> make_cartpole() { return std::make_unique<CartPole>(); }

}  // namespace fixar::envs::detail
