// Base of the MuJoCo tasks (internal header): owns the simulation data, shares the
// compiled model, applies actions through the actuators with a frame skip, and draws
// Gymnasium-style reset noise around the model's reference pose.
#pragma once

#include <mujoco/mujoco.h>

#include <memory>
#include <span>
#include <string>

#include "envs/env_base.h"

namespace fixar::envs::detail {

// Noise added to the reference pose (qpos0) and to zero velocity at reset.
struct ResetNoise {
  enum class Kind { kUniform, kNormal };
  Kind kind = Kind::kUniform;  // kUniform: U[-scale, scale); kNormal: scale * N(0, 1)
  double scale = 0;
};

struct MujocoTaskConfig {
  std::string name;        // registry name
  std::string model_file;  // file name under src/envs/models/, embedded at build time
  int frame_skip = 1;      // mj_step calls per Env::step
  int max_episode_steps = 1000;
  int observation_size = 0;
  int action_size = 0;  // checked against the model's actuator count
  ResetNoise qpos_noise;
  ResetNoise qvel_noise;
};

// The compiled model of an embedded MJCF file, compiled once per process and shared
// (mjModel is read-only during simulation). Throws std::runtime_error with MuJoCo's
// message when the file does not compile, std::invalid_argument for an unknown file.
std::shared_ptr<const mjModel> load_embedded_model(const std::string& file_name);

class MujocoEnv : public EnvBase {
 public:
  ~MujocoEnv() override = default;
  double dt() const override { return model_->opt.timestep * frame_skip_; }
  // qpos ++ qvel.
  std::vector<double> state() const override;
  void set_state(std::span<const double> state) override;

 protected:
  explicit MujocoEnv(const MujocoTaskConfig& config);
  MujocoEnv(const MujocoEnv& other);  // deep-copies the simulation data

  void reset_state() override;
  // Writes `action`, clipped to each actuator's ctrlrange, into ctrl and advances the
  // simulation by frame_skip timesteps.
  void simulate(std::span<const double> action);

  const mjModel& model() const { return *model_; }
  std::span<const double> qpos() const {
    return {data_->qpos, static_cast<std::size_t>(model_->nq)};
  }
  std::span<const double> qvel() const {
    return {data_->qvel, static_cast<std::size_t>(model_->nv)};
  }

 private:
  MujocoEnv(const MujocoTaskConfig& config, std::shared_ptr<const mjModel> model);
  struct DataDeleter {
    void operator()(mjData* d) const { mj_deleteData(d); }
  };
  static Box action_box(const mjModel& m);

  std::shared_ptr<const mjModel> model_;
  std::unique_ptr<mjData, DataDeleter> data_;
  int frame_skip_;
  ResetNoise qpos_noise_, qvel_noise_;
};

// The embedded MJCF file of a MuJoCo task ("half_cheetah.xml" for "HalfCheetah"); empty
// for a task without one (Pendulum, CartPole).
std::string model_file_of_task(const std::string& task);

// Sum of squares, for the control costs (Gymnasium: np.sum(np.square(action))).
double squared_norm(std::span<const double> values);

}  // namespace fixar::envs::detail
