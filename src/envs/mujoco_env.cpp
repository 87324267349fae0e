#include "envs/mujoco_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "envs/embedded_models.h"

namespace fixar::envs::detail {
namespace {

// Compiles one MJCF text through MuJoCo's virtual file system, so nothing touches disk.
std::shared_ptr<const mjModel> compile_model(const EmbeddedModel& source) {
  // mjVFS holds fixed arrays for 2000 file names (about 2 MB): heap, not stack.
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  const std::string file_name(source.file_name);
  const int size = static_cast<int>(source.xml.size());
  if (mj_makeEmptyFileVFS(vfs.get(), file_name.c_str(), size) != 0) {
    throw std::runtime_error(
        fmt::format("MuJoCo: could not create the in-memory file \"{}\"", file_name));
  }
  const int index = mj_findFileVFS(vfs.get(), file_name.c_str());
  std::memcpy(vfs->filedata[index], source.xml.data(), source.xml.size());
  char error[1000] = "";
  mjModel* model = mj_loadXML(file_name.c_str(), vfs.get(), error, sizeof error);
  mj_deleteVFS(vfs.get());
  if (model == nullptr) {
    throw std::runtime_error(
        fmt::format("MuJoCo could not compile the embedded model \"{}\" (src/envs/models/{}): {}",
                    file_name, file_name, error));
  }
  return std::shared_ptr<const mjModel>(
      model, [](const mjModel* m) { mj_deleteModel(const_cast<mjModel*>(m)); });
}

}  // namespace

std::shared_ptr<const mjModel> load_embedded_model(const std::string& file_name) {
  static std::mutex mutex;
  static auto* cache = new std::map<std::string, std::shared_ptr<const mjModel>>;
  std::lock_guard lock(mutex);
  if (auto it = cache->find(file_name); it != cache->end()) return it->second;
  for (const EmbeddedModel& source : embedded_models()) {
    if (source.file_name == file_name) {
      auto model = compile_model(source);
      cache->emplace(file_name, model);
      return model;
    }
  }
  std::string known;
  for (const EmbeddedModel& source : embedded_models()) {
    known += fmt::format("{}{}", known.empty() ? "" : ", ", source.file_name);
  }
  throw std::invalid_argument(
      fmt::format("no embedded MuJoCo model \"{}\"; embedded: {}", file_name, known));
}

double squared_norm(std::span<const double> values) {
  double sum = 0;
  for (double v : values) sum += v * v;
  return sum;
}

Box MujocoEnv::action_box(const mjModel& m) {
  // As Gymnasium: the action space is the actuators' ctrlrange (unbounded if not limited).
  Box box;
  for (int i = 0; i < m.nu; ++i) {
    const bool limited = m.actuator_ctrllimited[i] != 0;
    box.low.push_back(limited ? m.actuator_ctrlrange[2 * i]
                              : -std::numeric_limits<double>::infinity());
    box.high.push_back(limited ? m.actuator_ctrlrange[2 * i + 1]
                               : std::numeric_limits<double>::infinity());
  }
  return box;
}

MujocoEnv::MujocoEnv(const MujocoTaskConfig& config)
    : MujocoEnv(config, load_embedded_model(config.model_file)) {}

MujocoEnv::MujocoEnv(const MujocoTaskConfig& config, std::shared_ptr<const mjModel> model)
    : EnvBase(config.name,
              Box{std::vector<double>(static_cast<std::size_t>(config.observation_size),
                                      -std::numeric_limits<double>::infinity()),
                  std::vector<double>(static_cast<std::size_t>(config.observation_size),
                                      std::numeric_limits<double>::infinity())},
              action_box(*model), config.max_episode_steps),
      model_(std::move(model)),
      data_(mj_makeData(model_.get())),
      frame_skip_(config.frame_skip),
      qpos_noise_(config.qpos_noise),
      qvel_noise_(config.qvel_noise) {
  if (model_->nu != config.action_size) {
    throw std::logic_error(
        fmt::format("{}: the model {} has {} actuators; the task definition needs {}", config.name,
                    config.model_file, model_->nu, config.action_size));
  }
  if (!data_) throw std::runtime_error(fmt::format("{}: mj_makeData failed", config.name));
}

MujocoEnv::MujocoEnv(const MujocoEnv& other)
    : EnvBase(other),
      model_(other.model_),
      data_(mj_makeData(other.model_.get())),
      frame_skip_(other.frame_skip_),
      qpos_noise_(other.qpos_noise_),
      qvel_noise_(other.qvel_noise_) {
  mj_copyData(data_.get(), model_.get(), other.data_.get());
}

std::vector<double> MujocoEnv::state() const {
  std::vector<double> s(qpos().begin(), qpos().end());
  s.insert(s.end(), qvel().begin(), qvel().end());
  return s;
}

void MujocoEnv::set_state(std::span<const double> state) {
  check_state_size(state, model_->nq + model_->nv);
  std::copy_n(state.begin(), model_->nq, data_->qpos);
  std::copy_n(state.begin() + model_->nq, model_->nv, data_->qvel);
  mj_forward(model_.get(), data_.get());  // derived quantities follow the new state
}

void MujocoEnv::reset_state() {
  mj_resetData(model_.get(), data_.get());  // qpos = qpos0, qvel = 0, time = 0
  auto draw = [this](const ResetNoise& noise) {
    return noise.kind == ResetNoise::Kind::kUniform ? rng().uniform(-noise.scale, noise.scale)
                                                    : noise.scale * rng().normal();
  };
  // Gymnasium's reset_model: all qpos noise first, then all qvel noise.
  for (int i = 0; i < model_->nq; ++i) data_->qpos[i] = model_->qpos0[i] + draw(qpos_noise_);
  for (int i = 0; i < model_->nv; ++i) data_->qvel[i] = draw(qvel_noise_);
  mj_forward(model_.get(), data_.get());
}

void MujocoEnv::simulate(std::span<const double> action) {
  for (int i = 0; i < model_->nu; ++i) {
    // MuJoCo would clamp a ctrllimited actuator itself; clamping here keeps ctrl
    // readable as the applied control.
    double u = action[static_cast<std::size_t>(i)];
    if (model_->actuator_ctrllimited[i]) {
      u = std::clamp(u, model_->actuator_ctrlrange[2 * i], model_->actuator_ctrlrange[2 * i + 1]);
    }
    data_->ctrl[i] = u;
  }
  for (int k = 0; k < frame_skip_; ++k) mj_step(model_.get(), data_.get());
}

}  // namespace fixar::envs::detail
