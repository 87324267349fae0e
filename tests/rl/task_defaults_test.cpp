// Per-task defaults (configs/train/<task>.toml, built in): every task DDPG can train has
// them, they are valid and train something, HalfCheetah's and Pendulum's are the settings
// of halfcheetah_fixar.toml and pendulum_fixar.toml, and `fixar train` resolves them in the
// documented order (an explicit --config wins; --set and the flags override either).
#include "rl/task_defaults.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "envs/env.h"

namespace fixar::rl {
namespace {

std::string ReadSource(const std::string& path) {
  std::ifstream in(std::string(FIXAR_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TaskDefaults, EveryTaskDdpgCanTrainHasValidDefaultsThatTrainSomething) {
  for (const auto& task : envs::registered_names()) {
    SCOPED_TRACE(task);
    if (envs::make(task)->discrete_actions() > 0) {
      EXPECT_EQ(TaskDefaultsFile(task), "") << "DDPG cannot train a discrete task";
      continue;
    }
    ASSERT_NE(TaskDefaultsFile(task), "");
    const TrainConfig c = TaskDefaults(task);
    EXPECT_EQ(c.task, task);
    EXPECT_NO_THROW(c.validate());
    EXPECT_LT(c.warmup_steps, c.total_steps);
    EXPECT_LT(c.qat_delay, c.total_steps);
    EXPECT_GT(c.qat_delay, c.warmup_steps) << "the ranges are recorded while the policy acts";
    EXPECT_LE(c.eval_every, c.total_steps);
  }
  EXPECT_EQ(TaskDefaultsFile("CartPole"), "");
  EXPECT_EQ(TaskDefaultsFile("Cheetah"), "");
  EXPECT_EQ(TasksWithDefaults(),
            (std::vector<std::string>{"HalfCheetah", "Hopper", "InvertedPendulum", "Pendulum",
                                      "Swimmer", "Walker2d"}));
}

TEST(TaskDefaults, MujocoTasksUseFixarsNetworksAndOptimizer) {
  for (const auto& task : TasksWithDefaults()) {
    if (task == "Pendulum") continue;
    SCOPED_TRACE(task);
    const TrainConfig c = TaskDefaults(task);
    EXPECT_EQ(c.hidden, (std::vector<int>{400, 300}));
    EXPECT_EQ(c.actor_lr, 1e-4);
    EXPECT_EQ(c.critic_lr, 1e-4);
    EXPECT_EQ(c.batch_size, 64);
    EXPECT_EQ(c.eval_every, 5000);
    EXPECT_EQ(c.eval_episodes, 10);
    EXPECT_EQ(c.actor_precision, "fixar");
  }
}

// FIXAR's setting stays where the QAT campaign reads it, with its values.
TEST(TaskDefaults, HalfCheetahIsFixarsSetting) {
  const TrainConfig fixar =
      LoadTrainConfig(FIXAR_SOURCE_DIR "/configs/train/halfcheetah_fixar.toml");
  EXPECT_EQ(fixar.total_steps, 1'000'000);
  EXPECT_EQ(fixar.qat_delay, 350'000);
  EXPECT_EQ(fixar.warmup_steps, 10'000);
  EXPECT_EQ(DifferingKeys(TaskDefaults("HalfCheetah"), fixar), std::vector<std::string>{});
}

// `fixar train --task Pendulum --steps 20000` is the DdpgPendulum.FixarQat… run
// (ddpg_test.cpp, which asserts that it learns) and the main job's.
TEST(TaskDefaults, PendulumIsTheMainJobsSetting) {
  const TrainConfig main_job =
      LoadTrainConfig(FIXAR_SOURCE_DIR "/configs/train/pendulum_fixar.toml");
  EXPECT_EQ(DifferingKeys(TaskDefaults("Pendulum"), main_job), std::vector<std::string>{});
  ResolvedConfig r = ResolveTrainConfig({"", "Pendulum", {}});
  EXPECT_EQ(r.config.total_steps, 20'000);
  EXPECT_EQ(r.config.warmup_steps, 1'000);
  EXPECT_EQ(r.config.qat_delay, 10'000);
  EXPECT_EQ(r.config.hidden, (std::vector<int>{64, 64}));
  EXPECT_EQ(r.base, "configs/train/pendulum.toml (the defaults of Pendulum)");
}

// A stale build would train with other values than the files say.
TEST(TaskDefaults, BuiltInFilesAreTheSourceTrees) {
  ASSERT_GT(detail::kEmbeddedTrainConfigCount, 0);
  for (int i = 0; i < detail::kEmbeddedTrainConfigCount; ++i) {
    const auto& f = detail::kEmbeddedTrainConfigs[i];
    EXPECT_EQ(f.text, ReadSource(f.path)) << f.path;
  }
}

TEST(TaskDefaults, ResolutionOrder) {
  // No --task and no --config: the default task's defaults.
  EXPECT_EQ(ResolveTrainConfig({}).config.task, "HalfCheetah");
  EXPECT_EQ(ResolveTrainConfig({}).base,
            "configs/train/halfcheetah.toml (the defaults of HalfCheetah)");
  // --set on top of the task's defaults; a run.task among them chooses the defaults.
  ResolvedConfig r = ResolveTrainConfig({"", "Hopper", {"ddpg.batch_size=128", "run.seed=4"}});
  EXPECT_EQ(r.config.task, "Hopper");
  EXPECT_EQ(r.config.batch_size, 128);
  EXPECT_EQ(r.config.seed, 4u);
  r = ResolveTrainConfig({"", "", {"run.task=Pendulum"}});
  EXPECT_EQ(r.config.task, "Pendulum");
  EXPECT_EQ(r.config.hidden, (std::vector<int>{64, 64}));
  // --task wins over a run.task among the overrides.
  r = ResolveTrainConfig({"", "Pendulum", {"run.task=Hopper"}});
  EXPECT_EQ(r.config.task, "Pendulum");
  EXPECT_EQ(r.config.hidden, (std::vector<int>{64, 64}));
  // An explicit --config wins over the task's defaults; --task still names the task.
  r = ResolveTrainConfig(
      {FIXAR_SOURCE_DIR "/configs/train/halfcheetah_fixar.toml", "Pendulum", {}});
  EXPECT_EQ(r.config.task, "Pendulum");
  EXPECT_EQ(r.config.hidden, (std::vector<int>{400, 300}));
  EXPECT_EQ(r.config.qat_delay, 350'000);
  EXPECT_EQ(r.base.rfind("--config ", 0), 0u) << r.base;
  // A task without defaults gets the built-in ones, and validation names an unknown task.
  r = ResolveTrainConfig({"", "CartPole", {}});
  EXPECT_EQ(r.config.task, "CartPole");
  EXPECT_NE(r.base.find("built-in defaults"), std::string::npos) << r.base;
  r = ResolveTrainConfig({"", "Cheetah", {}});
  try {
    r.config.validate();
    FAIL() << "accepted an unknown task";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("run.task = 'Cheetah' is not a known task"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ResolveTrainConfig({"", "Hopper", {"ddpg.batchsize=1"}}), std::invalid_argument);
}

TEST(TaskDefaults, DescribesTrainableTasksAndWhyOthersAreNot) {
  const std::string text = DescribeTrainableTasks();
  EXPECT_EQ(text.rfind("HalfCheetah, Hopper, InvertedPendulum, Pendulum, Swimmer, Walker2d", 0), 0u)
      << text;
  EXPECT_NE(text.find("CartPole has discrete actions"), std::string::npos) << text;
  try {
    TaskDefaults("CartPole");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "task 'CartPole' has no per-task defaults; tasks with defaults: HalfCheetah"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fixar::rl
