// DDPG learns Pendulum-v1 (solved ≈ −150…−200) within 20 000 steps, in float32 and in
// FIXAR's fixed-point QAT mode (fixed seed; 64-64 networks and lr 1e-3 for speed).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "rl/ddpg.h"
#include "rl/td3.h"
#include "rl/trainer.h"
#include "util/binary_io.h"

namespace fixar::rl {
namespace {

TrainSummary TrainPendulum(const std::string& precision, const std::string& algorithm = "ddpg") {
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
  RecordProperty("final_eval_mean", std::to_string(s.final_eval_mean));
  EXPECT_GE(s.final_eval_mean, -300.0);
}

TEST(DdpgPendulum, FixarQatReachesMinus300AndSwitchesOnce) {
  const auto s = TrainPendulum("fixar");
  RecordProperty("final_eval_mean", std::to_string(s.final_eval_mean));
  EXPECT_EQ(s.qat.switched_at_step, 10000);
  EXPECT_GE(s.final_eval_mean, -300.0);
}

TEST(DdpgPendulum, Td3SwitchLearnsToo) {
  const auto s = TrainPendulum("float32", "td3");
  RecordProperty("final_eval_mean", std::to_string(s.final_eval_mean));
  EXPECT_GE(s.final_eval_mean, -300.0);
}

// Gradients computes the gradients Update would apply and changes nothing: parameters of
// all networks are as before, and the critic's gradient equals the one Update computes
// first (the actor's may differ: Update takes it after the critic's step).
TEST(Ddpg, GradientsApplyNothing) {
  for (const char* precision : {"float32", "fixar"}) {
    DdpgSpec spec;
    spec.obs_dim = 3, spec.action_dim = 1, spec.hidden = {8, 8}, spec.seed = 5;
    spec.actor_policy = spec.critic_policy = nn::MakePrecision(precision, 100);
    Ddpg probe(spec), trained(spec);
    Batch b;
    b.size = 4;
    for (int i = 0; i < 4 * 3; ++i) b.obs.push_back(0.1 * i - 0.5), b.next_obs.push_back(0.05 * i);
    for (int i = 0; i < 4; ++i)
      b.action.push_back(0.2 * i - 0.3), b.reward.push_back(i - 1.5), b.not_terminated.push_back(i != 2);
    const auto actor0 = probe.actor().ParametersAsDouble(), critic0 = probe.critic().ParametersAsDouble();
    const UpdateStats g = probe.Gradients(b);
    EXPECT_EQ(probe.actor().ParametersAsDouble(), actor0) << precision;
    EXPECT_EQ(probe.critic().ParametersAsDouble(), critic0) << precision;
    EXPECT_EQ(probe.Gradients(b).critic_loss, g.critic_loss) << precision;  // nothing moved
    const UpdateStats u = trained.Update(b);
    EXPECT_EQ(u.critic_loss, g.critic_loss) << precision;
    EXPECT_NE(trained.critic().ParametersAsDouble(), critic0) << precision;  // Update does move them
    // The critic's gradient is left behind by both; Update's was taken before its step.
    // (Update's critic then also backpropagates the actor step, without parameter gradients.)
    EXPECT_EQ(probe.critic().GradientsAsDouble(), trained.critic().GradientsAsDouble()) << precision;
  }
}

// TD3 adds a twin critic and its target to DDPG's four networks (checkpointed after them);
// its delayed actor waits on odd updates; MakeTwin keeps the algorithm.
TEST(Td3, TwinCriticDelayedActorAndTwinOfTheSameKind) {
  DdpgSpec spec;
  spec.obs_dim = 3, spec.action_dim = 1, spec.hidden = {8, 8}, spec.seed = 5;
  spec.actor_policy = spec.critic_policy = nn::MakePrecision("float32");
  Ddpg ddpg(spec);
  Td3 td3(spec, Td3Spec{.policy_delay = 2});
  util::ByteWriter wd, wt;
  ddpg.Save(wd);
  td3.Save(wt);
  EXPECT_GT(wt.bytes().size(), wd.bytes().size());
  EXPECT_THROW(ddpg.CopyParametersFrom(td3), std::invalid_argument);  // 4 networks vs 6
  const std::unique_ptr<Ddpg> twin = td3.MakeTwin(spec);
  EXPECT_NO_THROW(twin->CopyParametersFrom(td3));

  Batch b;
  b.size = 2;
  b.obs = {0.1, 0.2, 0.3, -0.1, -0.2, -0.3}, b.next_obs = b.obs;
  b.action = {0.5, -0.5}, b.reward = {1, -1}, b.not_terminated = {1, 1};
  const auto actor0 = td3.actor().ParametersAsDouble();
  td3.Update(b);  // update 1: critics only
  EXPECT_EQ(td3.actor().ParametersAsDouble(), actor0);
  td3.Update(b);  // update 2: the actor too
  EXPECT_NE(td3.actor().ParametersAsDouble(), actor0);
}

}  // namespace
}  // namespace fixar::rl
