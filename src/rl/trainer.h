// A training run: environment loop, evaluation, logging, checkpoints, resume.
//
// Run directory (name: task_algorithm_precision_sSEED, a -2, -3 … suffix if taken):
//   config.toml     the resolved configuration
//   progress.csv    one row per run.log_every steps (columns in docs/training.md)
//   checkpoint.bin  the latest checkpoint (atomic write, versioned, checksummed), always at
//                   an episode boundary so that --resume continues exactly
//   final.bin       only when the run ended inside an episode: the same format at its last
//                   step (eval, export and fidelity read it; --resume does not)
//   summary.json    written at the end (also when interrupted: "interrupted": true)
// (run_records.h writes all but the checkpoint)
//   provenance.json the build (commit, dirty flag, build type), kernel path, threads and
//                   command line of the run's start and of every resume
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rl/config.h"
#include "rl/ddpg.h"
#include "rl/replay_buffer.h"

namespace fixar::rl {

struct TrainOptions {
  TrainConfig config;
  std::string resume_dir;  // non-empty: continue the run in this directory
  // Non-empty: a fresh run goes exactly here (created; refused if it already holds a
  // run) instead of a name chosen under config.out_dir. For sweeps, whose names are fixed.
  std::string run_dir;
  bool progress = true;    // live progress line (on a terminal) or periodic lines
  std::string command_line;  // recorded in the run's provenance.json
};

// One evaluation during a run: its step and mean return.
struct EvalPoint {
  std::int64_t step;
  double mean;
  bool operator==(const EvalPoint&) const = default;
};

// What a run did (summary.json holds the same under the same names: run_records.h).
struct TrainSummary {
  std::string run_dir, task, algorithm, actor_precision, critic_precision, commit;
  std::uint64_t seed = 0;
  std::int64_t steps = 0, total_steps = 0, episodes = 0;
  bool interrupted = false;  // ended by SIGINT/SIGTERM before total_steps
  double wall_seconds = 0;   // accumulated over resumes
  double final_eval_mean = 0, final_eval_std = 0, best_eval_mean = 0;  // NaN (best: -inf) without evaluations
  struct Qat {
    std::int64_t delay = 0, switched_at_step = -1;  // -1: no switch yet
    double eval_before_switch = 0, eval_after_switch = 0;  // NaN where there was none
    bool operator==(const Qat&) const = default;
  } qat;
  double ips_mean = 0, peak_rss_mb = 0, replay_buffer_mb = 0;
  std::vector<EvalPoint> evals;
};

// Runs to config.total_steps and returns the summary (also written to summary.json).
// SIGINT or SIGTERM during the run ends it at the next episode boundary with a checkpoint
// (so `--resume` continues exactly) and a summary whose `interrupted` is true.
TrainSummary Train(const TrainOptions& options);

struct EvalOptions {
  std::string run_dir;
  int episodes = 10;
  std::uint64_t seed = 1'000'000'007;
};
struct EvalSummary {
  std::string run_dir, task;
  std::int64_t step = 0;  // of the checkpoint
  int episodes = 0;
  double mean = 0, std = 0;  // of the returns (population std)
  std::vector<double> returns;
  std::vector<int> lengths;
};
// Loads the run's checkpoint and evaluates its deterministic policy. When
// `first_episode_states` is given it receives the first episode's states (Env::state():
// the initial one, then one per step), e.g. to render them.
EvalSummary Evaluate(const EvalOptions& options, std::vector<std::vector<double>>* first_episode_states = nullptr);

// A run directory loaded: its configuration, the agent from its checkpoint (final.bin
// where it is later than checkpoint.bin; only the later file is read in full) and, when
// asked, the replay buffer. Throws naming the directory when it is not a run or its
// checkpoint is missing, corrupt or of another run.
struct LoadedRun {
  TrainConfig config;
  std::int64_t step = 0;  // of the checkpoint
  std::unique_ptr<Ddpg> agent;
  std::unique_ptr<ReplayBuffer> buffer;  // null unless with_buffer
};
LoadedRun LoadRun(const std::string& run_dir, bool with_buffer);

// The checkpoint format version this build writes (and the newest it reads).
std::uint32_t CheckpointVersion();
// LoadRun's reading of a checkpoint without the files: `payload` is checkpoint.bin after
// its header (util::CheckedPayload checks that) in format `version`, for the run that
// `config` describes. Throws std::runtime_error or std::invalid_argument naming `where`
// when the payload is truncated, of another run, or of another network shape or layout.
// For fuzz/rl_checkpoint.cpp.
LoadedRun LoadCheckpointPayload(const TrainConfig& config, std::span<const std::uint8_t> payload,
                                std::uint32_t version, const std::string& where, bool with_buffer);

// Peak resident set size of this process in bytes (getrusage).
std::int64_t PeakRssBytes();

// The configuration a run directory name belongs to: the name without its seed suffix
// `_s<seed>` and the `-2`, `-3` … of a taken name ("HalfCheetah_ddpg_fixar_s3-2" ->
// "HalfCheetah_ddpg_fixar"); names without one are returned unchanged.
std::string RunGroupName(const std::string& dir_name);

}  // namespace fixar::rl
