#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rl/config.h"

namespace fixar::rl {
namespace {

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

TEST(TrainConfig, DefaultsAreFixarsSettingAndValid) {
  TrainConfig c;
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(c.hidden, (std::vector<int>{400, 300}));
  EXPECT_EQ(c.batch_size, 64);
  EXPECT_DOUBLE_EQ(c.actor_lr, 1e-4);
  EXPECT_EQ(c.RunName(), "HalfCheetah_ddpg_fixar_s0");
}

TEST(TrainConfig, LoadsTomlAndRoundTripsThroughToToml) {
  const auto path = std::filesystem::temp_directory_path() / "fixar_config_test.toml";
  std::ofstream(path) << "[run]\ntask = \"Pendulum\"\nseed = 3\n[ddpg]\nhidden = [32, 16]\ngamma = 0.95\n"
                         "[precision]\nactor = \"float32\"\n";
  TrainConfig c = LoadTrainConfig(path.string());
  EXPECT_EQ(c.task, "Pendulum");
  EXPECT_EQ(c.seed, 3u);
  EXPECT_EQ(c.hidden, (std::vector<int>{32, 16}));
  EXPECT_DOUBLE_EQ(c.gamma, 0.95);
  EXPECT_EQ(c.RunName(), "Pendulum_ddpg_float32-fixar_s3");
  std::ofstream(path) << c.ToToml();
  const TrainConfig again = LoadTrainConfig(path.string());
  EXPECT_EQ(again.ToToml(), c.ToToml());
  std::filesystem::remove(path);
}

TEST(TrainConfig, BadValuesNameTheKeyTheValueAndWhatIsValid) {
  TrainConfig c;
  c.batch_size = 0;
  EXPECT_EQ(Message([&] { c.validate(); }), "config: ddpg.batch_size = 0 is invalid; valid: 1..65536");
  c = TrainConfig{};
  c.task = "Cheetah";
  EXPECT_NE(Message([&] { c.validate(); }).find("HalfCheetah"), std::string::npos);
  c = TrainConfig{};
  c.actor_precision = "w40a16";
  EXPECT_NE(Message([&] { c.validate(); }).find("precision.actor"), std::string::npos);
  c = TrainConfig{};
  c.log_every = 3000;  // does not divide eval_every = 5000
  EXPECT_NE(Message([&] { c.validate(); }).find("run.log_every"), std::string::npos);
}

// Found by fuzz/train_config: a value that is neither TOML nor a bare word (an unmatched
// quote) let toml::parse_error escape instead of the documented std::invalid_argument;
// a value that smuggles in a second key is refused too.
TEST(TrainConfig, OverridesThatAreNotOneValueAreInvalidArguments) {
  TrainConfig c;
  EXPECT_NE(Message([&] { ApplyOverride(c, "run.task= \"Pendulum"); }).find("neither a TOML value nor a plain word"),
            std::string::npos);
  EXPECT_THROW(ApplyOverride(c, "ddpg.batch_size=[\"x"), std::invalid_argument);
  EXPECT_NE(Message([&] { ApplyOverride(c, "run.seed=1\nw = 2"); }).find("not one TOML value"), std::string::npos);
  EXPECT_EQ(c.task, TrainConfig{}.task);
  EXPECT_EQ(c.seed, TrainConfig{}.seed);
}

// Values the field cannot hold are errors, never narrowed or wrapped; non-finite numbers
// are refused. The dynamic gradient-format keys reach the policy.
TEST(TrainConfig, OutOfRangeAndNonFiniteValuesAreErrors) {
  TrainConfig c;
  EXPECT_NE(Message([&] { ApplyOverride(c, "ddpg.batch_size=4294967360"); }).find("out of range"), std::string::npos);
  EXPECT_EQ(c.batch_size, TrainConfig{}.batch_size);
  EXPECT_NE(Message([&] { ApplyOverride(c, "run.seed=-1"); }).find("--set: run.seed = -1: out of range"), std::string::npos);
  EXPECT_NE(Message([&] { ApplyOverride(c, "ddpg.noise_sigma=inf"); }).find("not a finite number"), std::string::npos);
  EXPECT_NE(Message([&] { ApplyOverride(c, "ddpg.hidden=[400, 0]"); }).find("ddpg.hidden[1] = 0: out of range; valid: an integer in [1, 65536]"), std::string::npos);
  ApplyOverride(c, "precision.gradient_format=fixed");
  ApplyOverride(c, "precision.gradient_interval=250");
  ApplyOverride(c, "precision.gradient_headroom_bits=3");
  c.validate();
  EXPECT_FALSE(c.CriticPolicy().gradient_rule.dynamic);
  EXPECT_EQ(c.CriticPolicy().gradient_rule.interval, 250);
  EXPECT_EQ(c.ActorPolicy().gradient_rule.headroom_bits, 3);
  EXPECT_EQ(c.ActorPolicy().gradient_rule.min_int_bits, 8);  // the start format's
  ApplyOverride(c, "precision.gradient_format=flexible");
  EXPECT_NE(Message([&] { c.validate(); }).find("precision.gradient_format = flexible is invalid"), std::string::npos);
}

// precision.gradient_int_bits moves the binary point of fixed-point gradients (and so of
// Adam's moments, which follow the gradient format); float policies ignore it.
TEST(TrainConfig, GradientIntBitsSetsTheGradientFormat) {
  TrainConfig c;
  EXPECT_EQ(c.CriticPolicy().gradient, num::Signed(32, 24));  // fixar's own: fixed<32,8>
  ApplyOverride(c, "precision.gradient_int_bits=12");
  c.validate();
  EXPECT_EQ(c.CriticPolicy().gradient, num::Signed(32, 20));
  EXPECT_EQ(c.ActorPolicy().gradient, num::Signed(32, 20));
  EXPECT_EQ(c.CriticPolicy().weight, num::Signed(32, 24));  // weights keep theirs
  c.actor_precision = "float32";
  EXPECT_TRUE(c.ActorPolicy().is_float);
  c.gradient_int_bits = 40;
  EXPECT_EQ(Message([&] { c.validate(); }),
            "config: precision.gradient_int_bits = 40 is invalid; valid: 0 (the policy's own) or 2..16");
}

TEST(TrainConfig, OverridesAreTypeChecked) {
  TrainConfig c;
  ApplyOverride(c, "ddpg.batch_size=128");
  ApplyOverride(c, "run.task=Hopper");  // a bare word is a string
  ApplyOverride(c, "ddpg.hidden=[256, 256]");
  EXPECT_EQ(c.batch_size, 128);
  EXPECT_EQ(c.task, "Hopper");
  EXPECT_EQ(c.hidden, (std::vector<int>{256, 256}));
  EXPECT_NE(Message([&] { ApplyOverride(c, "ddpg.batch_size=big"); }).find("expected an integer"), std::string::npos);
  EXPECT_NE(Message([&] { ApplyOverride(c, "ddpg.batchsize=1"); }).find("unknown key"), std::string::npos);
  EXPECT_NE(Message([&] { ApplyOverride(c, "nonsense"); }).find("section.key=value"), std::string::npos);
}

// Files and --set overrides go through the one binder: one message naming the source, the
// key, the value and what is valid; an unknown key lists the valid keys of its table.
TEST(TrainConfig, FileAndOverrideErrorsHaveTheBindersFormat) {
  EXPECT_EQ(Message([] { ParseTrainConfig("[ddpg]\nbatch_size = 4294967360\n", "configs/x.toml"); }),
            "configs/x.toml: ddpg.batch_size = 4294967360: out of range; valid: an integer in [-2147483648, "
            "2147483647]");
  TrainConfig c;
  EXPECT_EQ(Message([&] { ApplyOverride(c, "ddpg.batch_size=4294967360"); }),
            "--set: ddpg.batch_size = 4294967360: out of range; valid: an integer in [-2147483648, 2147483647]");
  EXPECT_EQ(Message([&] { ApplyOverride(c, "ddpg.gamma=nan"); }),
            "--set: ddpg.gamma = nan: not a finite number; valid: a finite number");
  EXPECT_EQ(Message([&] { ApplyOverride(c, "ddpg.noise=pink"); }),
            "--set: ddpg.noise = 'pink': unknown value; valid: gaussian, ou, none");
  EXPECT_EQ(Message([&] { ApplyOverride(c, "run.taks=Hopper"); }),
            "--set: run.taks = 'Hopper': unknown key; valid keys in [run]: algorithm, checkpoint_every, "
            "eval_episodes, eval_every, log_every, out_dir, seed, task, threads, total_steps");
  EXPECT_EQ(Message([] { ParseTrainConfig("[dpg]\nx = 1\n", "f.toml"); }),
            "f.toml: dpg = (a table): unknown table; valid tables: run, ddpg, precision");
  EXPECT_EQ(Message([] { ParseTrainConfig("[run]\ntotal_steps = 1.5\n", "f.toml"); }),
            "f.toml: run.total_steps = 1.5: expected an integer, got a float");
}

}  // namespace
}  // namespace fixar::rl
