#include "rl/trainer.h"

#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <ctime>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "envs/env.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "rl/ddpg.h"
#include "rl/noise.h"
#include "rl/progress.h"
#include "rl/replay_buffer.h"
#include "rl/run_records.h"
#include "rl/td3.h"
#include "tensorboard/event_writer.h"
#include "util/binary_io.h"
#include "util/build_info.h"
#include "util/file_lock.h"
#include "util/log.h"
#include "util/progress_line.h"

namespace fixar::rl {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kCheckpointMagic[] = "FIXARCKP";
// Version 4: fixed-point networks also keep their stochastic-rounding step and their
// gradient formats (nn/gradient_format.h). Version 3: fixed-point Adam keeps m and the
// bias-corrected √v̂ in 38-bit formats, stored in 64 bits (nn/optim.h); versions 1 and 2
// stored 32-bit states. Float-only checkpoints of any version still load (their layout
// did not change).
constexpr std::uint32_t kCheckpointVersion = 4;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Environment actions from the actor's [−1, 1]: low + (a + 1)/2 · (high − low).
struct ActionScale {
  std::vector<double> mid, half;
  explicit ActionScale(const envs::Box& box) {
    for (int j = 0; j < box.size(); ++j) {
      mid.push_back(0.5 * (box.high[j] + box.low[j]));
      half.push_back(0.5 * (box.high[j] - box.low[j]));
    }
  }
  void ToEnv(std::span<const double> a, std::span<double> out) const {
    for (std::size_t j = 0; j < a.size(); ++j) out[j] = mid[j] + half[j] * a[j];
  }
};

std::uint64_t EpisodeSeed(std::uint64_t run_seed, std::int64_t episode) {
  return num::CounterRandomBits(run_seed ^ 0xE915ull, static_cast<std::uint64_t>(episode));
}

struct EvalResult {
  double mean = 0, std = 0;
  std::vector<double> returns;
  std::vector<int> lengths;
};

// `first_states`, when given, receives the first episode's states (Env::state()): the
// initial one and the one after each step.
EvalResult RunEvaluation(Ddpg& agent, const std::string& task, int episodes, std::uint64_t seed,
                         std::vector<std::vector<double>>* first_states = nullptr) {
  auto env = envs::make(task);
  EvalResult r;
  std::vector<double> a(env->action_space().size()), env_a(a.size());
  const ActionScale scale(env->action_space());
  for (int e = 0; e < episodes; ++e) {
    auto obs = env->reset(num::CounterRandomBits(seed, static_cast<std::uint64_t>(e)));
    std::vector<std::vector<double>>* states = e == 0 ? first_states : nullptr;
    if (states) states->assign(1, env->state());
    double ret = 0;
    int len = 0;
    for (;;) {
      agent.Act(obs, a);
      scale.ToEnv(a, env_a);
      auto s = env->step(env_a);
      if (states) states->push_back(env->state());
      ret += s.reward;
      ++len;
      obs = std::move(s.observation);
      if (s.terminated || s.truncated) break;
    }
    r.returns.push_back(ret);
    r.lengths.push_back(len);
  }
  for (double x : r.returns) r.mean += x / episodes;
  for (double x : r.returns) r.std += (x - r.mean) * (x - r.mean) / episodes;
  r.std = std::sqrt(r.std);
  return r;
}

// A run directory that does not exist yet: out_dir/name, or name-2, name-3, ...
fs::path FreshRunDir(const TrainConfig& c) {
  const fs::path base = fs::path(c.out_dir) / c.RunName();
  fs::path dir = base;
  for (int k = 2; fs::exists(dir); ++k) dir = base.string() + "-" + std::to_string(k);
  return dir;
}

struct RunStats {
  std::int64_t step = 0, episode = 0;
  double last_return = NAN;
  int last_length = 0;
  double last_eval_mean = NAN, last_eval_std = NAN, best_eval_mean = -std::numeric_limits<double>::infinity();
  std::int64_t switch_step = -1;
  double eval_before_switch = NAN, eval_after_switch = NAN;
  double wall_s = 0;  // accumulated over resumes
  double ips_sum = 0;  // of progress.csv rows with updates (for the mean IPS)
  std::int64_t ips_rows = 0;
  std::vector<EvalPoint> evals;
};

void SaveStats(util::ByteWriter& w, const RunStats& s) {
  w.Put(s.step);
  w.Put(s.episode);
  w.Put(s.last_return);
  w.Put(s.last_length);
  w.Put(s.last_eval_mean);
  w.Put(s.last_eval_std);
  w.Put(s.best_eval_mean);
  w.Put(s.switch_step);
  w.Put(s.eval_before_switch);
  w.Put(s.eval_after_switch);
  w.Put(s.wall_s);
  w.Put(s.ips_sum);
  w.Put(s.ips_rows);
  w.PutVector(s.evals);
}

void LoadStats(util::ByteReader& r, RunStats& s) {
  s.step = r.Get<std::int64_t>();
  s.episode = r.Get<std::int64_t>();
  s.last_return = r.Get<double>();
  s.last_length = r.Get<int>();
  s.last_eval_mean = r.Get<double>();
  s.last_eval_std = r.Get<double>();
  s.best_eval_mean = r.Get<double>();
  s.switch_step = r.Get<std::int64_t>();
  s.eval_before_switch = r.Get<double>();
  s.eval_after_switch = r.Get<double>();
  s.wall_s = r.Get<double>();
  s.ips_sum = r.Get<double>();
  s.ips_rows = r.Get<std::int64_t>();
  s.evals = r.GetVector<EvalPoint>();
}

DdpgSpec SpecFor(const TrainConfig& c, const envs::Env& env) {
  DdpgSpec s;
  s.obs_dim = env.observation_space().size();
  s.action_dim = env.action_space().size();
  s.hidden = c.hidden;
  s.actor_policy = c.ActorPolicy();
  s.critic_policy = c.CriticPolicy();
  s.actor_adam = c.ActorAdam();
  s.critic_adam = c.CriticAdam();
  s.gamma = c.gamma;
  s.tau = c.tau;
  s.seed = c.seed;
  return s;
}

// The run's agent: TD3 when run.algorithm = "td3", else DDPG.
std::unique_ptr<Ddpg> MakeAgent(const TrainConfig& c, const envs::Env& env) {
  if (c.algorithm == "td3")
    return std::make_unique<Td3>(SpecFor(c, env), Td3Spec{.target_noise = c.td3_target_noise,
                                                          .target_noise_clip = c.td3_noise_clip,
                                                          .policy_delay = c.td3_policy_delay});
  return std::make_unique<Ddpg>(SpecFor(c, env));
}

// Writes dir/`file` (checkpoint.bin, or final.bin: the weights at the last step of a run that
// ended inside an episode; see Run()).
void WriteCheckpoint(const fs::path& dir, const TrainConfig& c, const RunStats& stats, const Ddpg& agent,
                     const ReplayBuffer& buffer, const char* file = "checkpoint.bin") {
  util::ByteWriter w;
  w.PutString(c.task);
  w.PutString(c.RunName());
  SaveStats(w, stats);
  agent.Save(w);
  buffer.Save(w);
  util::WriteCheckedFile((dir / file).string(), kCheckpointMagic, kCheckpointVersion, w);
}

// The payload of checkpoint.bin (format `version`) into stats, agent and buffer; `where`
// names the file in errors.
void ReadCheckpointPayload(std::span<const std::uint8_t> bytes, std::uint32_t version, const std::string& path,
                           const TrainConfig& c, RunStats& stats, Ddpg& agent, ReplayBuffer* buffer) {
  if (version < kCheckpointVersion && !(c.actor_precision == "float32" && c.critic_precision == "float32"))
    throw std::runtime_error(fmt::format(
        "{}: a version-{} checkpoint of a fixed-point run (actor {}, critic {}); its Adam state has an older layout "
        "(32-bit m and √v, see nn/optim.h) and this build cannot continue it: start the run again",
        path, version, c.actor_precision, c.critic_precision));
  util::ByteReader r(bytes.data(), bytes.size(), path);
  const std::string task = r.GetString(), name = r.GetString();
  if (task != c.task || name != c.RunName())
    throw std::runtime_error(fmt::format("{}: checkpoint is for run '{}' (task {}), the configuration describes '{}'",
                                         path, name, task, c.RunName()));
  LoadStats(r, stats);
  agent.Load(r);
  if (buffer) buffer->Load(r);
}

void ReadCheckpoint(const fs::path& dir, const TrainConfig& c, RunStats& stats, Ddpg& agent, ReplayBuffer* buffer,
                    const char* file = "checkpoint.bin") {
  const std::string path = (dir / file).string();
  std::uint32_t version = 0;
  const auto bytes = util::ReadCheckedFile(path, kCheckpointMagic, 1, kCheckpointVersion, &version);
  ReadCheckpointPayload(bytes, version, path, c, stats, agent, buffer);
}

// The step a checkpoint file was written at, read from the start of its payload (task, run
// name, then the stats, step first) without reading or verifying the rest.
std::int64_t CheckpointStep(const fs::path& path) {
  const auto start = util::ReadCheckedFileStart(path.string(), kCheckpointMagic, 1, kCheckpointVersion, 4096);
  util::ByteReader r(start.data(), start.size(), path.string());
  r.GetString();  // task
  r.GetString();  // run name
  return r.Get<decltype(RunStats::step)>();
}

// Keys a resume may change (docs/training.md, "Run directories"): how far and how fast
// to go, never what is trained. run.out_dir names where fresh runs go and means nothing here.
bool SafeToChangeOnResume(const std::string& difference) {
  for (const char* key : {"run.total_steps:", "run.threads:", "run.out_dir:"})
    if (difference.rfind(key, 0) == 0) return true;
  return false;
}

// The run directory of this call, locked for it: a fresh one (created, config.toml
// written), or the one resumed, whose config.toml is kept — `c` may differ from it only in
// the keys SafeToChangeOnResume allows, else nothing is written and the keys are named.
fs::path OpenRunDirectory(const TrainOptions& options, const TrainConfig& c, std::unique_ptr<util::DirectoryLock>& lock) {
  if (!options.resume_dir.empty()) {
    const fs::path dir = options.resume_dir;
    if (!fs::is_directory(dir) || !fs::exists(dir / "config.toml"))
      throw std::invalid_argument(fmt::format("--resume '{}' is not a run directory (no config.toml)", dir.string()));
    lock = std::make_unique<util::DirectoryLock>(dir.string());
    const TrainConfig saved = LoadTrainConfig((dir / "config.toml").string());
    std::vector<std::string> refused;
    for (const auto& d : DifferingKeys(saved, c))
      if (!SafeToChangeOnResume(d)) refused.push_back(d);
    if (!refused.empty())
      throw std::invalid_argument(fmt::format(
          "resuming '{}' would change {} (a resume may change only run.total_steps and run.threads); start a new "
          "run for other settings",
          dir.string(), fmt::join(refused, "; ")));
    return dir;
  }
  const fs::path dir = options.run_dir.empty() ? FreshRunDir(c) : fs::path(options.run_dir);
  // Where the directory goes must be a directory (or not exist yet) all the way up.
  const std::string source = options.run_dir.empty() ? fmt::format("run.out_dir '{}'", c.out_dir)
                                                      : fmt::format("--run-dir '{}'", options.run_dir);
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    std::error_code ec;
    if (fs::exists(p, ec)) {
      if (!fs::is_directory(p, ec))
        throw std::invalid_argument(fmt::format("{}: '{}' is not a directory", source, p.string()));
      break;
    }
    if (p == p.parent_path()) break;
  }
  if (fs::exists(dir / "config.toml") || fs::exists(dir / "checkpoint.bin"))
    throw std::invalid_argument(
        fmt::format("--run-dir '{}' already holds a run; resume it with --resume '{}'", dir.string(), dir.string()));
  fs::create_directories(dir);
  lock = std::make_unique<util::DirectoryLock>(dir.string());
  util::WriteTextAtomically((dir / "config.toml").string(), c.ToToml());
  return dir;
}

// ---- Interrupts: SIGINT / SIGTERM end the run at the next episode boundary ------------
std::atomic<int> g_stop_signal{0};
extern "C" void OnStopSignal(int sig) { g_stop_signal.store(sig); }

// Installs the handlers for the lifetime of a Train() call and restores the old ones.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal.store(0);
    struct sigaction sa{};
    sa.sa_handler = OnStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  int received() const { return g_stop_signal.load(); }

 private:
  struct sigaction old_int_{}, old_term_{};
};

}  // namespace

std::string RunGroupName(const std::string& dir_name) {
  std::string name = dir_name;
  const auto cut = name.rfind("_s");
  if (cut == std::string::npos) return name;
  std::size_t i = cut + 2;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
  if (i == cut + 2) return name;  // no seed digits
  if (i < name.size() && name[i] == '-') {
    const std::size_t dash = i;
    for (++i; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]));) ++i;
    if (i == dash + 1) return name;
  }
  if (i == name.size()) name.resize(cut);
  return name;
}

std::int64_t PeakRssBytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::int64_t>(u.ru_maxrss) * 1024;
}

namespace {

// One Train() call: the run's environment, agent, buffer and records between steps.
class TrainingLoop {
 public:
  TrainingLoop(const TrainOptions& options, const TrainConfig& c);
  // Steps to total_steps, or to the episode boundary after SIGINT/SIGTERM (returns true).
  bool Run();
  TrainSummary Summary(bool interrupted) const;
  const fs::path& dir() const { return dir_; }

 private:
  void ChooseAction();
  bool StepEnvironment();  // true at an episode's end
  void Update(Clock::time_point t0, Clock::time_point t1, Clock::time_point t2);
  void EndEpisode();
  void EvaluateNow();
  void WriteProgressRow(double ips);
  void ShowProgress(double ips, bool force);

  const TrainConfig& c_;
  std::unique_ptr<envs::Env> env_;
  int A_;
  ActionScale scale_;
  std::unique_ptr<Ddpg> agent_;
  ReplayBuffer buffer_;
  RunStats stats_;
  std::unique_ptr<util::DirectoryLock> lock_;
  fs::path dir_;
  std::optional<StopSignals> stop_;  // from when the run directory is open until the end
  std::ofstream csv_;
  std::unique_ptr<tensorboard::EventWriter> events_;
  nn::PrecisionPolicy actor_policy_, critic_policy_;
  ExplorationNoise noise_;
  std::vector<double> a_, eps_, env_a_, unit_, obs_;
  Batch batch_;
  UpdateStats last_update_;
  // The window of the current progress row: time per phase, updates, and its start.
  double env_s_ = 0, update_s_ = 0, act_s_ = 0, window_wall_ = 0;
  std::int64_t window_updates_ = 0;
  Clock::time_point row_clock_ = Clock::now();
  std::int64_t row_step_ = 0, start_step_ = 0;
  util::ProgressLine progress_;
  Clock::time_point run_start_;
  double wall_before_ = 0;
  double ep_return_ = 0;
  int ep_length_ = 0;
};

std::unique_ptr<envs::Env> MakeContinuousEnv(const TrainConfig& c) {
  auto env = envs::make(c.task);
  if (env->discrete_actions() > 0)
    throw std::invalid_argument(fmt::format("run.task = '{}' has a discrete action space; DDPG needs a continuous one",
                                            c.task));
  return env;
}

TrainingLoop::TrainingLoop(const TrainOptions& options, const TrainConfig& c)
    : c_(c),
      env_(MakeContinuousEnv(c)),
      A_(env_->action_space().size()),
      scale_(env_->action_space()),
      agent_(MakeAgent(c, *env_)),
      buffer_(c.buffer_size, env_->observation_space().size(), A_),
      actor_policy_(c.ActorPolicy()),
      critic_policy_(c.CriticPolicy()),
      noise_(c.noise, A_, c.noise == NoiseKind::kOrnsteinUhlenbeck ? c.ou_sigma : c.noise_sigma, c.ou_theta,
             c.seed ^ 0x401Cull),
      a_(A_), eps_(A_), env_a_(A_), unit_(A_, 1.0),
      progress_(options.progress) {
  // The run directory: fresh, or the one we resume.
  const bool resuming = !options.resume_dir.empty();
  dir_ = OpenRunDirectory(options, c, lock_);
  if (resuming) {
    ReadCheckpoint(dir_, c, stats_, *agent_, &buffer_);
    TruncateProgressCsv(dir_ / "progress.csv", stats_.step);
    util::LogInfo("resuming {} at step {} (episode {})", dir_.string(), stats_.step, stats_.episode);
  }
  RecordProvenance(dir_, options.command_line, resuming);
  stop_.emplace();
  csv_.open(dir_ / "progress.csv", resuming ? std::ios::app : std::ios::trunc);
  if (!resuming) csv_ << ProgressCsvHeader(agent_->Stats()) << "\n";
  // A resumed run restarts the TensorBoard curves after its checkpoint's step.
  events_ = std::make_unique<tensorboard::EventWriter>(dir_.string(), resuming ? stats_.step + 1 : -1);
  util::LogInfo("run {}: {} for {} steps; actor {}; critic {}", dir_.string(), c.task, c.total_steps,
                c.ActorPolicy().describe(), c.CriticPolicy().describe());
  row_step_ = start_step_ = stats_.step;
}

// Action: random during warm-up, else μ(s) + noise, clipped to [−1, 1].
void TrainingLoop::ChooseAction() {
  if (stats_.step < c_.warmup_steps) {
    for (int j = 0; j < A_; ++j)
      a_[j] = 2.0 * (static_cast<double>(num::CounterRandomBits(c_.seed ^ 0xAC7ull, stats_.step * A_ + j) >> 11) * 0x1p-53) - 1.0;
  } else {
    agent_->Act(obs_, a_);
    noise_.Sample(static_cast<std::uint64_t>(stats_.step), unit_, eps_);
    for (int j = 0; j < A_; ++j) a_[j] = std::clamp(a_[j] + eps_[j], -1.0, 1.0);
  }
}

bool TrainingLoop::StepEnvironment() {
  scale_.ToEnv(a_, env_a_);
  auto s = env_->step(env_a_);
  buffer_.Add(obs_, a_, s.reward, s.observation, s.terminated);  // truncation still bootstraps
  ep_return_ += s.reward;
  ++ep_length_;
  obs_ = std::move(s.observation);
  return s.terminated || s.truncated;
}

void TrainingLoop::Update(Clock::time_point t0, Clock::time_point t1, Clock::time_point t2) {
  buffer_.Sample(c_.batch_size, c_.seed ^ 0x5A3Bull, static_cast<std::uint64_t>(stats_.step), batch_);
  last_update_ = agent_->Update(batch_);
  const auto t3 = Clock::now();
  env_s_ += Seconds(t2 - t1);
  act_s_ += Seconds(t1 - t0);
  update_s_ += Seconds(t3 - t2);
  window_wall_ += Seconds(t3 - t0);
  ++window_updates_;
}

void TrainingLoop::EndEpisode() {
  events_->Write(stats_.step, {{"charts/episodic_return", ep_return_}, {"charts/episodic_length", ep_length_}});
  stats_.last_return = ep_return_;
  stats_.last_length = ep_length_;
  ++stats_.episode;
  ep_return_ = 0;
  ep_length_ = 0;
  obs_ = env_->reset(EpisodeSeed(c_.seed, stats_.episode));
  noise_.ResetEpisode();
}

void TrainingLoop::EvaluateNow() {
  const EvalResult e = RunEvaluation(*agent_, c_.task, c_.eval_episodes, 1'000'000'007ull + c_.seed);
  stats_.last_eval_mean = e.mean;
  stats_.last_eval_std = e.std;
  stats_.best_eval_mean = std::max(stats_.best_eval_mean, e.mean);
  stats_.evals.push_back({stats_.step, e.mean});
  if (stats_.switch_step >= 0 && std::isnan(stats_.eval_after_switch)) stats_.eval_after_switch = e.mean;
}

// A progress.csv row and its TensorBoard scalars; starts the next row's window.
void TrainingLoop::WriteProgressRow(double ips) {
  const double n = std::max<double>(1, window_updates_);
  ProgressRow row;
  row.step = stats_.step, row.episode = stats_.episode, row.last_return = stats_.last_return;
  row.last_length = stats_.last_length;
  row.evaluated = stats_.step % c_.eval_every == 0;
  row.eval_mean = stats_.last_eval_mean, row.eval_std = stats_.last_eval_std;
  row.critic_loss = last_update_.critic_loss, row.q_mean = last_update_.q_mean, row.ips = ips;
  row.env_ms = 1e3 * env_s_ / n, row.update_ms = 1e3 * update_s_ / n, row.act_ms = 1e3 * act_s_ / n;
  row.quantized = agent_->actor().quantized();
  // The row is formatted whole and written with one flush, so a crash can tear only the last row.
  csv_ << FormatProgressRow(row, *agent_, actor_policy_, critic_policy_);
  csv_.flush();
  const auto now = Clock::now();
  const double sps = (stats_.step - row_step_) / Seconds(now - row_clock_);
  events_->Write(stats_.step,
                 ProgressScalars(row, sps, window_updates_, *agent_, actor_policy_, critic_policy_));
  row_clock_ = now;
  row_step_ = stats_.step;
  if (window_updates_ > 0) {
    stats_.ips_sum += ips;
    ++stats_.ips_rows;
  }
  agent_->ResetStats();
  env_s_ = update_s_ = act_s_ = window_wall_ = 0;
  window_updates_ = 0;
}

void TrainingLoop::ShowProgress(double ips, bool force) {
  progress_.Update(
      [&](int width) {
        return FormatProgress(TrainingProgress(start_step_, stats_.step, c_.total_steps, stats_.last_return,
                                               stats_.last_eval_mean, ips, stats_.wall_s - wall_before_),
                              width);
      },
      force);
}

// FIXAR's timestep order: act, step, store, sample, update; then the records.
bool TrainingLoop::Run() {
  bool interrupted = false;
  run_start_ = Clock::now();
  wall_before_ = stats_.wall_s;
  obs_ = env_->reset(EpisodeSeed(c_.seed, stats_.episode));
  noise_.ResetEpisode();
  std::int64_t next_checkpoint = (stats_.step / c_.checkpoint_every + 1) * c_.checkpoint_every;
  while (stats_.step < c_.total_steps) {
    const auto t0 = Clock::now();
    ChooseAction();
    const auto t1 = Clock::now();
    const bool episode_end = StepEnvironment();
    const auto t2 = Clock::now();
    ++stats_.step;
    if (agent_->SetTrainingStep(stats_.step)) {
      stats_.switch_step = stats_.step;
      stats_.eval_before_switch = stats_.last_eval_mean;
      util::LogInfo("step {}: QAT switch: activations now {} bits", stats_.step, c_.qat_activation_bits);
    }
    if (stats_.step > c_.warmup_steps && buffer_.size() >= c_.batch_size) Update(t0, t1, t2);
    if (episode_end) EndEpisode();
    if (stats_.step % c_.eval_every == 0) EvaluateNow();
    const double ips = window_updates_ ? c_.batch_size * window_updates_ / window_wall_ : NAN;
    if (stats_.step % c_.log_every == 0) WriteProgressRow(ips);
    stats_.wall_s = wall_before_ + Seconds(Clock::now() - run_start_);
    ShowProgress(ips, false);
    // Checkpoints at episode boundaries, so a resumed run restarts exactly here.
    if (episode_end && (stats_.step >= next_checkpoint || stats_.step == c_.total_steps)) {
      WriteCheckpoint(dir_, c_, stats_, *agent_, buffer_);
      next_checkpoint = (stats_.step / c_.checkpoint_every + 1) * c_.checkpoint_every;
    }
    if (episode_end && stop_->received() && stats_.step < c_.total_steps) {
      WriteCheckpoint(dir_, c_, stats_, *agent_, buffer_);
      util::LogInfo("{} at step {}: checkpoint written", strsignal(stop_->received()), stats_.step);
      interrupted = true;
      break;
    }
  }
  ShowProgress(NAN, /*force=*/true);
  progress_.Finish();
  // The end of the run. On an episode boundary checkpoint.bin is the final state. Inside an
  // episode (tasks whose episodes end early, e.g. Hopper) checkpoint.bin stays at the last
  // boundary, so that extending the run with --resume stays exact, and final.bin holds the
  // last step's weights for eval, export and fidelity (LoadRun takes the later of the two).
  if (!interrupted) {
    if (ep_length_ == 0) {
      WriteCheckpoint(dir_, c_, stats_, *agent_, buffer_);
      fs::remove(dir_ / "final.bin");
    } else {
      WriteCheckpoint(dir_, c_, stats_, *agent_, buffer_, "final.bin");
    }
  }
  return interrupted;
}

TrainSummary TrainingLoop::Summary(bool interrupted) const {
  TrainSummary s;
  s.run_dir = dir_.string();
  s.task = c_.task;
  s.algorithm = c_.algorithm;
  s.actor_precision = c_.ActorPolicy().describe();
  s.critic_precision = c_.CriticPolicy().describe();
  s.seed = c_.seed;
  s.steps = stats_.step;
  s.total_steps = c_.total_steps;
  s.interrupted = interrupted;
  s.commit = util::GetBuildInfo().commit;
  s.episodes = stats_.episode;
  s.wall_seconds = stats_.wall_s;
  s.final_eval_mean = stats_.last_eval_mean;
  s.final_eval_std = stats_.last_eval_std;
  s.best_eval_mean = stats_.best_eval_mean;
  s.qat = {.delay = c_.qat_delay,
           .switched_at_step = stats_.switch_step,
           .eval_before_switch = stats_.eval_before_switch,
           .eval_after_switch = stats_.eval_after_switch};
  s.ips_mean = stats_.ips_rows ? stats_.ips_sum / stats_.ips_rows : NAN;
  s.peak_rss_mb = PeakRssBytes() / 1048576.0;
  s.replay_buffer_mb = buffer_.bytes() / 1048576.0;
  s.evals = stats_.evals;
  return s;
}

}  // namespace

TrainSummary Train(const TrainOptions& options) {
  TrainConfig c = options.config;
  c.validate();
  kern::ActivePath();  // a bad FIXAR_KERNEL_PATH fails here, before anything is written
  if (c.threads > 0) kern::SetNumThreads(c.threads);
  TrainingLoop loop(options, c);
  const bool interrupted = loop.Run();
  const TrainSummary summary = loop.Summary(interrupted);
  WriteSummaryJson(loop.dir() / "summary.json", summary);
  return summary;
}

namespace {
// The run's agent and, with `with_buffer`, its empty replay buffer: what a run starts from.
LoadedRun NewRun(TrainConfig c, bool with_buffer) {
  LoadedRun run;
  run.config = std::move(c);
  auto env = envs::make(run.config.task);
  run.agent = MakeAgent(run.config, *env);
  if (with_buffer)
    run.buffer = std::make_unique<ReplayBuffer>(run.config.buffer_size, env->observation_space().size(),
                                                env->action_space().size());
  return run;
}
}  // namespace

LoadedRun LoadRun(const std::string& run_dir, bool with_buffer) {
  const fs::path dir = run_dir;
  if (!fs::exists(dir / "config.toml"))
    throw std::invalid_argument(fmt::format("'{}' is not a run directory (no config.toml)", dir.string()));
  TrainConfig config = LoadTrainConfig((dir / "config.toml").string());
  try {
    config.validate();  // a hand-edited config.toml: its values, before they size networks and buffers
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", (dir / "config.toml").string(), e.what()));
  }
  // checkpoint.bin sits on the last episode boundary; final.bin, left by a run that ended
  // inside an episode, holds its last step. Take the later one, choosing from the start of
  // each file only: with its replay buffer a checkpoint runs to hundreds of MB.
  const char* file = "checkpoint.bin";
  if (fs::exists(dir / "final.bin") &&
      (!fs::exists(dir / file) || CheckpointStep(dir / "final.bin") > CheckpointStep(dir / file)))
    file = "final.bin";
  LoadedRun run = NewRun(std::move(config), with_buffer);
  RunStats stats;
  ReadCheckpoint(dir, run.config, stats, *run.agent, run.buffer.get(), file);
  run.step = stats.step;
  return run;
}

std::uint32_t CheckpointVersion() { return kCheckpointVersion; }

LoadedRun LoadCheckpointPayload(const TrainConfig& config, std::span<const std::uint8_t> payload,
                                std::uint32_t version, const std::string& where, bool with_buffer) {
  LoadedRun run = NewRun(config, with_buffer);
  RunStats stats;
  ReadCheckpointPayload(payload, version, where, run.config, stats, *run.agent, run.buffer.get());
  run.step = stats.step;
  return run;
}

EvalSummary Evaluate(const EvalOptions& options, std::vector<std::vector<double>>* first_episode_states) {
  LoadedRun run = LoadRun(options.run_dir, /*with_buffer=*/false);
  EvalResult e = RunEvaluation(*run.agent, run.config.task, options.episodes, options.seed, first_episode_states);
  return {.run_dir = options.run_dir, .task = run.config.task, .step = run.step, .episodes = options.episodes,
          .mean = e.mean, .std = e.std, .returns = std::move(e.returns), .lengths = std::move(e.lengths)};
}

}  // namespace fixar::rl
