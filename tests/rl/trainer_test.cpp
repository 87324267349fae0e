// Run directories, checkpoints and resume.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rl/fidelity.h"
#include "rl/trainer.h"
#include "small_run.h"
#include "util/binary_io.h"

namespace fixar::rl {
namespace {
namespace fs = std::filesystem;

using testing::Fresh;
using testing::Small;

// Train(o) must throw std::runtime_error whose message contains `message`.
void ExpectTrainFails(const TrainOptions& o, const std::string& message) {
  try {
    Train(o);
    FAIL() << "Train succeeded; expected an error containing '" << message << "'";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(Trainer, WritesTheRunDirectory) {
  const fs::path out = Fresh("fixar_trainer_dir");
  const auto s = Train(Small(out.string(), 800));
  const fs::path dir = s.run_dir;
  EXPECT_EQ(dir.filename(), "Pendulum_ddpg_fixar_s0");
  for (const char* f : {"config.toml", "progress.csv", "checkpoint.bin", "summary.json"}) EXPECT_TRUE(fs::exists(dir / f)) << f;
  std::ifstream csv(dir / "progress.csv");
  std::string header, line;
  std::getline(csv, header);
  EXPECT_NE(header.find("eval_mean"), std::string::npos);
  EXPECT_NE(header.find("actor.fc1.sat_rate"), std::string::npos);
  EXPECT_NE(header.find("critic.fc3.range_max"), std::string::npos);
  int rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    EXPECT_NE(line.find(",\"fixed<"), std::string::npos) << "formats are quoted (they hold a comma): " << line;
  }
  EXPECT_EQ(rows, 4);  // every 200 steps
  EXPECT_EQ(s.qat.switched_at_step, 500);
  // A second run with the same name does not overwrite the first.
  const auto s2 = Train(Small(out.string(), 200));
  EXPECT_EQ(fs::path(s2.run_dir).filename(), "Pendulum_ddpg_fixar_s0-2");
}

// Stopping at step 800 and resuming to 1600 gives exactly the run that went straight
// to 1600: same evaluations, same parameters (checkpoints sit on episode boundaries and
// every random number is a function of the seed and the step).
TEST(Trainer, ResumeContinuesExactlyWhereItStopped) {
  const fs::path out = Fresh("fixar_trainer_resume");
  const auto straight = Train(Small((out / "a").string(), 1600));
  const auto first = Train(Small((out / "b").string(), 800));
  TrainOptions more = Small((out / "b").string(), 1600);
  more.resume_dir = first.run_dir;
  const auto resumed = Train(more);
  EXPECT_EQ(resumed.steps, straight.steps);
  EXPECT_EQ(resumed.evals, straight.evals);
  EXPECT_EQ(resumed.final_eval_mean, straight.final_eval_mean);
  EXPECT_EQ(resumed.qat, straight.qat);
  const auto eval_a = Evaluate({straight.run_dir, 3, 99});
  const auto eval_b = Evaluate({resumed.run_dir, 3, 99});
  EXPECT_EQ(eval_a.returns, eval_b.returns);
}

// A run whose last step falls inside an episode (Pendulum's episodes are 200 steps) leaves
// final.bin with the last step's weights, which eval and LoadRun read; checkpoint.bin stays
// at the last episode boundary, so extending the run is still exact — and then final.bin,
// overtaken, goes.
TEST(Trainer, EndingInsideAnEpisodeLeavesTheFinalWeights) {
  const fs::path out = Fresh("fixar_trainer_final");
  const auto straight = Train(Small((out / "a").string(), 1600));
  EXPECT_FALSE(fs::exists(fs::path(straight.run_dir) / "final.bin"));
  const auto mid = Train(Small((out / "b").string(), 1500));
  const fs::path dir = mid.run_dir;
  ASSERT_TRUE(fs::exists(dir / "final.bin"));
  const auto last = LoadRun(mid.run_dir, false);
  EXPECT_EQ(last.step, 1500);
  EXPECT_EQ(Evaluate({mid.run_dir, 1, 99}).step, 1500);
  fs::rename(dir / "final.bin", out / "final.bin");
  const auto boundary = LoadRun(mid.run_dir, false);
  EXPECT_EQ(boundary.step, 1200);  // the last multiple of checkpoint_every (400), an episode boundary
  EXPECT_NE(boundary.agent->actor().ParametersAsDouble(), last.agent->actor().ParametersAsDouble());
  fs::rename(out / "final.bin", dir / "final.bin");

  TrainOptions more = Small((out / "b").string(), 1600);
  more.resume_dir = mid.run_dir;
  const auto resumed = Train(more);
  EXPECT_EQ(resumed.evals, straight.evals);
  EXPECT_FALSE(fs::exists(dir / "final.bin"));
  const auto a = LoadRun(straight.run_dir, false);
  const auto b = LoadRun(resumed.run_dir, false);
  EXPECT_EQ(b.step, 1600);
  EXPECT_EQ(a.agent->actor().ParametersAsDouble(), b.agent->actor().ParametersAsDouble());
  EXPECT_EQ(a.agent->critic().ParametersAsDouble(), b.agent->critic().ParametersAsDouble());
}

// Flips the last byte of a file: its checksum no longer holds.
void DamageLastByte(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(-1, std::ios::end);
  const char c = static_cast<char>(f.get() ^ 0x5A);
  f.seekp(-1, std::ios::end);
  f.put(c);
}

// LoadRun chooses between checkpoint.bin and final.bin by the step at the start of each and
// reads only the later one in full: damage in the other does not stop it, a stale final.bin
// (an older build's resume, interrupted, leaves one behind a later checkpoint.bin) loses, and
// a run that ended inside its first episode has only final.bin.
TEST(Trainer, LoadRunReadsOnlyTheLaterOfCheckpointAndFinal) {
  const fs::path out = Fresh("fixar_trainer_later");
  const auto mid = Train(Small((out / "b").string(), 1500));
  const fs::path dir = mid.run_dir;
  // checkpoint.bin at the boundary 1200, final.bin at 1500: damage in checkpoint.bin is not read.
  fs::copy_file(dir / "checkpoint.bin", out / "checkpoint.bin");
  DamageLastByte(dir / "checkpoint.bin");
  EXPECT_EQ(LoadRun(mid.run_dir, false).step, 1500);
  // A stale final.bin behind a later checkpoint.bin: extend to 1600 (a boundary: final.bin goes),
  // then put the old final.bin back, damaged.
  fs::copy_file(out / "checkpoint.bin", dir / "checkpoint.bin", fs::copy_options::overwrite_existing);
  fs::copy_file(dir / "final.bin", out / "final.bin");
  TrainOptions more = Small((out / "b").string(), 1600);
  more.resume_dir = mid.run_dir;
  Train(more);
  ASSERT_FALSE(fs::exists(dir / "final.bin"));
  fs::copy_file(out / "final.bin", dir / "final.bin");
  DamageLastByte(dir / "final.bin");
  EXPECT_EQ(LoadRun(mid.run_dir, false).step, 1600);
  // Only final.bin: a run that ended inside its first episode, before its first checkpoint.
  const auto short_run = Train(Small((out / "c").string(), 150));
  ASSERT_FALSE(fs::exists(fs::path(short_run.run_dir) / "checkpoint.bin"));
  EXPECT_EQ(LoadRun(short_run.run_dir, false).step, 150);
}

// The same with stochastic rounding and gradient formats that move every 50 updates: the
// rounding step counters and the format state are part of the checkpoint.
TEST(Trainer, ResumeIsExactWithStochasticRoundingAndDynamicGradientFormats) {
  const fs::path out = Fresh("fixar_trainer_resume_sr");
  auto small = [&](const fs::path& dir, std::int64_t steps) {
    TrainOptions o = Small(dir.string(), steps);
    o.config.rounding = "stochastic";
    o.config.gradient_interval = 50;
    return o;
  };
  const auto straight = Train(small(out / "a", 1600));
  const auto first = Train(small(out / "b", 800));
  TrainOptions more = small(out / "b", 1600);
  more.resume_dir = first.run_dir;
  const auto resumed = Train(more);
  EXPECT_EQ(resumed.evals, straight.evals);
  EXPECT_EQ(resumed.final_eval_mean, straight.final_eval_mean);
  const auto a = LoadRun(straight.run_dir, false);
  const auto b = LoadRun(resumed.run_dir, false);
  EXPECT_EQ(a.agent->critic().ParametersAsDouble(), b.agent->critic().ParametersAsDouble());
  EXPECT_EQ(a.agent->actor().ParametersAsDouble(), b.agent->actor().ParametersAsDouble());
  // And it is not the round-to-nearest run: the rounding mode reached the arithmetic.
  const auto nearest = Train(Small((out / "c").string(), 800));
  EXPECT_NE(nearest.evals, first.evals);
}

// SIGTERM during a run: it stops at the next episode boundary with a checkpoint and an
// "interrupted" summary, and resuming it ends exactly where an uninterrupted run does.
TEST(Trainer, SigtermCheckpointsAndResumesExactly) {
  const fs::path out = Fresh("fixar_trainer_sigterm");
  const auto straight = Train(Small((out / "a").string(), 4000));
  TrainOptions o = Small((out / "b").string(), 4000);
  o.run_dir = (out / "b" / "run").string();
  std::thread killer([&] {  // as soon as the first progress row is written
    const fs::path csv = fs::path(o.run_dir) / "progress.csv";
    for (int i = 0; i < 20000; ++i) {
      std::ifstream f(csv);
      std::string line;
      int rows = 0;
      while (std::getline(f, line)) ++rows;
      if (rows >= 2) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    kill(getpid(), SIGTERM);
  });
  const auto stopped = Train(o);
  killer.join();
  ASSERT_TRUE(stopped.interrupted);
  EXPECT_LT(stopped.steps, 4000);
  EXPECT_EQ(stopped.steps % 200, 0);  // Pendulum episodes are 200 steps
  const auto provenance = nlohmann::json::parse(std::ifstream(fs::path(o.run_dir) / "provenance.json"));
  EXPECT_FALSE(provenance["commit"].get<std::string>().empty());
  TrainOptions more = Small((out / "b").string(), 4000);
  more.resume_dir = o.run_dir;
  const auto resumed = Train(more);
  EXPECT_FALSE(resumed.interrupted);
  EXPECT_EQ(resumed.evals, straight.evals);
  EXPECT_EQ(resumed.final_eval_mean, straight.final_eval_mean);
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(fs::path(o.run_dir) / "provenance.json"))["resumes"].size(), 1u);
}

TEST(Trainer, CorruptOrMismatchedCheckpointsFailClearly) {
  const fs::path out = Fresh("fixar_trainer_corrupt");
  const auto s = Train(Small(out.string(), 400));
  const fs::path dir = s.run_dir;
  {  // flip one byte in the payload
    std::fstream f(dir / "checkpoint.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x5a');
  }
  try {
    Evaluate({dir.string(), 1, 1});
    FAIL() << "a corrupt checkpoint loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
  fs::resize_file(dir / "checkpoint.bin", 10);
  EXPECT_THROW(Evaluate({dir.string(), 1, 1}), std::runtime_error);
  // Resuming with another configuration is refused before anything is read or written
  // (the run-directory contract, run_directory_test.cpp) ...
  const auto other = Train(Small((out / "x").string(), 400));
  TrainOptions wrong = Small(out.string(), 800);
  wrong.config.actor_precision = "float32";
  wrong.resume_dir = other.run_dir;
  try {
    Train(wrong);
    FAIL() << "a resume with another precision was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("would change precision.actor"), std::string::npos) << e.what();
  }
  // ... and a config.toml edited by hand no longer matches its checkpoint.
  {
    TrainConfig edited = wrong.config;
    edited.total_steps = 400;
    std::ofstream(fs::path(wrong.resume_dir) / "config.toml", std::ios::trunc) << edited.ToToml();
  }
  ExpectTrainFails(wrong, "checkpoint is for run");
}

// Versions 1 and 2 kept fixed-point Adam's state in another layout: such a run cannot
// continue (a float32 run's older checkpoint still can).
TEST(Trainer, OlderCheckpointsOfFixedRunsFailClearly) {
  const fs::path out = Fresh("fixar_trainer_v1");
  const auto s = Train(Small(out.string(), 400));
  const fs::path dir = s.run_dir;
  const std::string path = (dir / "checkpoint.bin").string();
  const auto payload = util::ReadCheckedFile(path, "FIXARCKP", 4);
  util::WriteCheckedFile(path, "FIXARCKP", 3, payload);
  TrainOptions more = Small(out.string(), 800);
  more.resume_dir = dir.string();
  ExpectTrainFails(more, "version-3 checkpoint of a fixed-point run");
}

TEST(Trainer, RunGroupNameDropsOnlyTheSeedSuffix) {
  EXPECT_EQ(RunGroupName("HalfCheetah_ddpg_fixar_s0"), "HalfCheetah_ddpg_fixar");
  EXPECT_EQ(RunGroupName("HalfCheetah_ddpg_fixar_s12-3"), "HalfCheetah_ddpg_fixar");
  EXPECT_EQ(RunGroupName("delay100k_HalfCheetah_ddpg_fixar_s0"), "delay100k_HalfCheetah_ddpg_fixar");
  EXPECT_EQ(RunGroupName("Swimmer_ddpg_float32"), "Swimmer_ddpg_float32");
  EXPECT_EQ(RunGroupName("runs_sx"), "runs_sx");
  EXPECT_EQ(RunGroupName("a_s1-"), "a_s1-");
}

// Options of a fidelity probe of `dir` (the seed of the batch draws stays the default).
FidelityOptions Probe(const fs::path& dir, int batches, const std::string& reference = "float32",
                      std::vector<std::string> overrides = {}) {
  FidelityOptions o;
  o.run_dir = dir.string();
  o.batches = batches;
  o.reference = reference;
  o.twin_overrides = std::move(overrides);
  return o;
}

// The fidelity probe against itself: a float32 run's twin computes the same gradients
// bit for bit (same weights, same batches, same kernels), and probing changes nothing.
TEST(Fidelity, Float32RunMatchesItsTwinExactly) {
  const fs::path out = Fresh("fixar_fidelity_float");
  TrainOptions o = Small(out.string(), 400);
  o.config.actor_precision = o.config.critic_precision = "float32";
  const fs::path dir = Train(o).run_dir;
  const auto r = GradientFidelity(Probe(dir, 3));
  ASSERT_EQ(r["layers"].size(), 6u);  // actor.fc1..3, critic.fc1..3
  for (const auto& l : r["layers"]) {
    EXPECT_EQ(l["rel_error"].get<double>(), 0.0) << l.dump();
    EXPECT_EQ(l["zeroed"].get<double>(), 0.0) << l.dump();
    EXPECT_GT(l["ref_rms"].get<double>(), 0.0) << l.dump();
  }
  EXPECT_EQ(r["critic_loss"]["run"].get<double>(), r["critic_loss"]["reference"].get<double>());
  // Gradients applies nothing: a second probe sees the same weights, so the same numbers.
  EXPECT_EQ(GradientFidelity(Probe(dir, 3))["critic_loss"], r["critic_loss"]);
}

// A fixar run after its QAT switch (16-bit activations): gradients close to float32's at
// the same weights, but not identical; 32-bit fixed point before any switch is closer still.
TEST(Fidelity, FixedPointGradientsFollowFloat32) {
  const fs::path out = Fresh("fixar_fidelity_fixed");
  const fs::path fixar_dir = Train(Small(out.string(), 800)).run_dir;
  TrainOptions o = Small(out.string(), 800);
  o.config.actor_precision = o.config.critic_precision = "fixed32";
  const fs::path fixed32_dir = Train(o).run_dir;
  const auto fixar = GradientFidelity(Probe(fixar_dir, 4));
  const auto fixed32 = GradientFidelity(Probe(fixed32_dir, 4));
  EXPECT_TRUE(fixar["quantized"].get<bool>());
  EXPECT_FALSE(fixed32["quantized"].get<bool>());
  for (std::size_t i = 0; i < 6; ++i) {
    const auto& a = fixar["layers"][i];
    const auto& b = fixed32["layers"][i];
    EXPECT_GT(a["rel_error"].get<double>(), 0.0) << a.dump();
    EXPECT_LT(a["rel_error"].get<double>(), 0.1) << a.dump();
    EXPECT_GT(a["cosine"].get<double>(), 0.99) << a.dump();
    EXPECT_GT(b["rel_error"].get<double>(), 0.0) << b.dump();
    EXPECT_LT(b["rel_error"].get<double>(), 1e-3) << b.dump();
    EXPECT_DOUBLE_EQ(b["lsb"].get<double>(), std::ldexp(1.0, -24)) << b.dump();
  }
  // Against a fixed32 twin: the fixed32 run is exactly its own arithmetic; what remains of
  // the fixar run's error is the switch to 16-bit activations.
  const auto self = GradientFidelity(Probe(fixed32_dir, 2, "fixed32"));
  const auto fixar_vs_32 = GradientFidelity(Probe(fixar_dir, 4, "fixed32"));
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(self["layers"][i]["rel_error"].get<double>(), 0.0) << self["layers"][i].dump();
    EXPECT_GT(fixar_vs_32["layers"][i]["rel_error"].get<double>(), 0.0) << fixar_vs_32["layers"][i].dump();
  }
  // The twin's configuration takes overrides: a fixed32 twin with another (fixed) gradient
  // format no longer matches the fixed32 run exactly. (A twin with dynamic formats starts
  // from the formats the run has reached.)
  const auto other_format = GradientFidelity(
      Probe(fixed32_dir, 2, "fixed32", {"precision.gradient_int_bits=14", "precision.gradient_format=fixed"}));
  EXPECT_GT(other_format["layers"][0]["rel_error"].get<double>(), 0.0);
  EXPECT_EQ(other_format["layers"][0]["lsb"].get<double>(), std::ldexp(1.0, -24));  // the run's own format
  EXPECT_THROW(GradientFidelity(Probe(fixed32_dir, 1, "fixed32", {"precision.gradient_int_bits=99"})),
               std::invalid_argument);
  EXPECT_THROW(GradientFidelity(Probe(fixar_dir, 1, "fixed7")), std::invalid_argument);
  EXPECT_THROW(GradientFidelity(Probe(fixar_dir, 0)), std::invalid_argument);
  EXPECT_THROW(GradientFidelity(Probe(out, 1)), std::invalid_argument);  // not a run directory
}

TEST(Trainer, EvaluateRejectsANonRunDirectory) {
  EXPECT_THROW(Evaluate({fs::temp_directory_path().string() + "/no_such_run_dir", 1, 1}), std::invalid_argument);
}

}  // namespace
}  // namespace fixar::rl
