// DDPG learns Pendulum-v1 (solved ≈ −150…−200) within 20 000 steps, in float32 and in
// FIXAR's fixed-point QAT mode (fixed seed; 64-64 networks and lr 1e-3 for speed).
#include <gtest/gtest.h>

#include <filesystem>

#include "rl/trainer.h"

namespace fixar::rl {
namespace {

nlohmann::json TrainPendulum(const std::string& precision, const std::string& algorithm = "ddpg") {
  TrainOptions o;
  o.config = LoadTrainConfig(FIXAR_SOURCE_DIR "/configs/train/pendulum_fixar.toml");
  o.config.algorithm = algorithm;
  o.config.actor_precision = o.config.critic_precision = precision;
  o.config.out_dir = (std::filesystem::temp_directory_path() / "fixar_ddpg_test").string();
  o.config.checkpoint_every = 1'000'000;
  o.progress = false;
  return Train(o);
}

TEST(DdpgPendulum, Float32ReachesMinus300) {
  const auto s = TrainPendulum("float32");
  RecordProperty("final_eval_mean", std::to_string(s["final_eval_mean"].get<double>()));
  EXPECT_GE(s["final_eval_mean"].get<double>(), -300.0);
}

TEST(DdpgPendulum, FixarQatReachesMinus300AndSwitchesOnce) {
  const auto s = TrainPendulum("fixar");
  RecordProperty("final_eval_mean", std::to_string(s["final_eval_mean"].get<double>()));
  EXPECT_EQ(s["qat"]["switched_at_step"].get<std::int64_t>(), 10000);
  EXPECT_GE(s["final_eval_mean"].get<double>(), -300.0);
}

TEST(DdpgPendulum, Td3SwitchLearnsToo) {
  const auto s = TrainPendulum("float32", "td3");
  RecordProperty("final_eval_mean", std::to_string(s["final_eval_mean"].get<double>()));
  EXPECT_GE(s["final_eval_mean"].get<double>(), -300.0);
}

}  // namespace
}  // namespace fixar::rl
