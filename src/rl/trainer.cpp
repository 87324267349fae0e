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
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envs/env.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "rl/ddpg.h"
#include "rl/noise.h"
#include "rl/progress.h"
#include "rl/replay_buffer.h"
#include "rl/td3.h"
#include "tensorboard/event_writer.h"
#include "util/binary_io.h"
#include "util/build_info.h"
#include "util/file_lock.h"
#include "util/log.h"

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

struct EvalPoint {
  std::int64_t step;
  double mean;
};

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

void WriteCheckpoint(const fs::path& dir, const TrainConfig& c, const RunStats& stats, const Ddpg& agent,
                     const ReplayBuffer& buffer) {
  util::ByteWriter w;
  w.PutString(c.task);
  w.PutString(c.RunName());
  SaveStats(w, stats);
  agent.Save(w);
  buffer.Save(w);
  util::WriteCheckedFile((dir / "checkpoint.bin").string(), kCheckpointMagic, kCheckpointVersion, w);
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

void ReadCheckpoint(const fs::path& dir, const TrainConfig& c, RunStats& stats, Ddpg& agent, ReplayBuffer* buffer) {
  const std::string path = (dir / "checkpoint.bin").string();
  std::uint32_t version = 0;
  const auto bytes = util::ReadCheckedFile(path, kCheckpointMagic, 1, kCheckpointVersion, &version);
  ReadCheckpointPayload(bytes, version, path, c, stats, agent, buffer);
}

std::string CsvHeader(const std::vector<nn::LayerStats>& layers) {
  std::string h = "step,episode,episode_return,episode_length,eval_mean,eval_std,critic_loss,q_mean,ips,env_ms,update_ms,act_ms,quantized";
  for (const auto& l : layers)
    h += fmt::format(",{0}.sat_rate,{0}.range_min,{0}.range_max,{0}.format,{0}.grad_format", l.name);
  return h;
}

// Fields of one CSV row (commas inside double quotes do not split).
std::size_t CsvFields(const std::string& line) {
  std::size_t n = 1;
  bool quoted = false;
  for (char ch : line) {
    if (ch == '"') quoted = !quoted;
    else if (ch == ',' && !quoted) ++n;
  }
  return n;
}

// Keeps the header and the whole rows up to `step` (a resumed run rewrites what follows).
// A row cut short by a crash (fewer fields than the header, or no step) ends what is kept:
// rows are appended whole, so only the last one can be torn.
void TruncateCsv(const fs::path& path, std::int64_t step) {
  std::ifstream in(path);
  std::string line, kept;
  std::size_t fields = 0;
  while (std::getline(in, line)) {
    if (fields == 0) {
      fields = CsvFields(line);
      kept += line + "\n";
      continue;
    }
    std::int64_t row_step = 0;
    const auto [end, err] = std::from_chars(line.data(), line.data() + line.size(), row_step);
    if (err != std::errc() || *end != ',' || CsvFields(line) != fields || in.eof()) {
      util::LogWarn("{}: dropped a torn row after step {} ('{}')", path.string(), step, line.substr(0, 40));
      break;
    }
    if (row_step > step) break;
    kept += line + "\n";
  }
  in.close();
  util::WriteTextAtomically(path.string(), kept);
}

std::string Num(double x) { return std::isfinite(x) ? fmt::format("{:.6g}", x) : ""; }

// The per-layer columns of one progress.csv row (CsvHeader's order).
std::string LayerColumns(const Ddpg& agent, const nn::PrecisionPolicy& actor, const nn::PrecisionPolicy& critic) {
  std::string row;
  for (const auto& l : agent.Stats()) {
    const bool is_float = (l.name.rfind("actor", 0) == 0 ? actor : critic).is_float;
    if (is_float)  // no fixed-point datapath: nothing saturates, no recorded ranges
      row += ",,,,float32,float32";
    else  // formats quoted: "fixed<32,16>" holds a comma
      row += fmt::format(",{},{},{},\"{}\",\"{}\"", Num(l.saturation_rate()), Num(l.range_min), Num(l.range_max),
                         l.activation_format.to_string(), l.gradient_format.to_string());
  }
  return row;
}

// The TensorBoard scalars of one progress.csv row: CleanRL's names where CleanRL has the
// metric (docs/training.md lists them), ours for FIXAR's QAT and per-layer fixed point.
std::vector<tensorboard::Scalar> RowScalars(const Ddpg& agent, bool quantized, const nn::PrecisionPolicy& actor,
                                            const nn::PrecisionPolicy& critic) {
  std::vector<tensorboard::Scalar> out;
  out.emplace_back("qat/quantized", quantized ? 1.0 : 0.0);
  for (const auto& l : agent.Stats()) {
    if ((l.name.rfind("actor", 0) == 0 ? actor : critic).is_float) continue;
    const std::string prefix = "layers/" + l.name + "/";
    out.emplace_back(prefix + "saturation_rate", l.saturation_rate());
    out.emplace_back(prefix + "range_min", l.range_min);
    out.emplace_back(prefix + "range_max", l.range_max);
    out.emplace_back(prefix + "activation_int_bits", l.activation_format.int_bits());
    out.emplace_back(prefix + "gradient_int_bits", l.gradient_format.int_bits());
  }
  return out;
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

// Records this start (or resume) in the run's provenance.json, replaced atomically.
void RecordProvenance(const fs::path& dir, const std::string& command_line, bool resuming) {
  const util::BuildInfo& b = util::GetBuildInfo();
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const nlohmann::json entry = {{"commit", b.commit},
                                {"dirty", b.dirty},
                                {"build", b.describe()},
                                {"kernel_path", kern::to_string(kern::ActivePath())},
                                {"threads", kern::NumThreads()},
                                {"command_line", command_line},
                                {"time", when}};
  const fs::path path = dir / "provenance.json";
  nlohmann::json p = {{"commit", b.commit}, {"start", entry}, {"resumes", nlohmann::json::array()}};
  if (resuming && fs::exists(path)) {
    try {
      std::ifstream(path) >> p;
    } catch (const std::exception&) {
      util::LogWarn("{}: unreadable; starting a new provenance record", path.string());
    }
    if (!p.contains("resumes") || !p["resumes"].is_array()) p["resumes"] = nlohmann::json::array();
    p["resumes"].push_back(entry);
  }
  util::WriteTextAtomically(path.string(), p.dump(2) + "\n");
}

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

nlohmann::json Train(const TrainOptions& options) {
  TrainConfig c = options.config;
  c.validate();
  kern::ActivePath();  // a bad FIXAR_KERNEL_PATH fails here, before anything is written
  if (c.threads > 0) kern::SetNumThreads(c.threads);
  auto env = envs::make(c.task);
  if (env->discrete_actions() > 0)
    throw std::invalid_argument(fmt::format("run.task = '{}' has a discrete action space; DDPG needs a continuous one",
                                            c.task));
  const int S = env->observation_space().size(), A = env->action_space().size();
  const ActionScale scale(env->action_space());
  const std::unique_ptr<Ddpg> agent_owner = MakeAgent(c, *env);
  Ddpg& agent = *agent_owner;
  ReplayBuffer buffer(c.buffer_size, S, A);
  RunStats stats;

  // ---- The run directory: fresh, or the one we resume -------------------------------
  const bool resuming = !options.resume_dir.empty();
  std::unique_ptr<util::DirectoryLock> lock;
  const fs::path dir = OpenRunDirectory(options, c, lock);
  if (resuming) {
    ReadCheckpoint(dir, c, stats, agent, &buffer);
    TruncateCsv(dir / "progress.csv", stats.step);
    util::LogInfo("resuming {} at step {} (episode {})", dir.string(), stats.step, stats.episode);
  }
  RecordProvenance(dir, options.command_line, resuming);
  StopSignals stop;
  bool interrupted = false;
  std::ofstream csv(dir / "progress.csv", resuming ? std::ios::app : std::ios::trunc);
  if (!resuming) csv << CsvHeader(agent.Stats()) << "\n";
  // A resumed run restarts the TensorBoard curves after its checkpoint's step.
  tensorboard::EventWriter events(dir.string(), resuming ? stats.step + 1 : -1);
  util::LogInfo("run {}: {} for {} steps; actor {}; critic {}", dir.string(), c.task, c.total_steps,
                c.ActorPolicy().describe(), c.CriticPolicy().describe());

  // ---- The loop: act, step, store, sample, update (FIXAR's timestep order) ----------
  const nn::PrecisionPolicy actor_policy = c.ActorPolicy(), critic_policy = c.CriticPolicy();
  ExplorationNoise noise(c.noise, A, c.noise == NoiseKind::kOrnsteinUhlenbeck ? c.ou_sigma : c.noise_sigma,
                         c.ou_theta, c.seed ^ 0x401Cull);
  std::vector<double> a(A), eps(A), env_a(A), unit(A, 1.0);
  Batch batch;
  UpdateStats last_update;
  double env_s = 0, update_s = 0, act_s = 0, window_wall = 0;
  std::int64_t window_updates = 0;
  auto row_clock = Clock::now();  // the previous progress row, for steps per second
  std::int64_t row_step = stats.step;
  ProgressLine progress(options.progress);
  progress.set_start(stats.step);
  const auto run_start = Clock::now();
  const double wall_before = stats.wall_s;
  auto obs = env->reset(EpisodeSeed(c.seed, stats.episode));
  noise.ResetEpisode();
  double ep_return = 0;
  int ep_length = 0;
  std::int64_t next_checkpoint = (stats.step / c.checkpoint_every + 1) * c.checkpoint_every;

  while (stats.step < c.total_steps) {
    const auto t0 = Clock::now();
    // Action: random during warm-up, else μ(s) + noise, clipped to [−1, 1].
    if (stats.step < c.warmup_steps) {
      for (int j = 0; j < A; ++j)
        a[j] = 2.0 * (static_cast<double>(num::CounterRandomBits(c.seed ^ 0xAC7ull, stats.step * A + j) >> 11) * 0x1p-53) - 1.0;
    } else {
      agent.Act(obs, a);
      noise.Sample(static_cast<std::uint64_t>(stats.step), unit, eps);
      for (int j = 0; j < A; ++j) a[j] = std::clamp(a[j] + eps[j], -1.0, 1.0);
    }
    const auto t1 = Clock::now();
    scale.ToEnv(a, env_a);
    auto s = env->step(env_a);
    buffer.Add(obs, a, s.reward, s.observation, s.terminated);  // truncation still bootstraps
    ep_return += s.reward;
    ++ep_length;
    obs = std::move(s.observation);
    const auto t2 = Clock::now();
    ++stats.step;
    if (agent.SetTrainingStep(stats.step)) {
      stats.switch_step = stats.step;
      stats.eval_before_switch = stats.last_eval_mean;
      util::LogInfo("step {}: QAT switch: activations now {} bits", stats.step, c.qat_activation_bits);
    }
    if (stats.step > c.warmup_steps && buffer.size() >= c.batch_size) {
      buffer.Sample(c.batch_size, c.seed ^ 0x5A3Bull, static_cast<std::uint64_t>(stats.step), batch);
      last_update = agent.Update(batch);
      const auto t3 = Clock::now();
      env_s += Seconds(t2 - t1);
      act_s += Seconds(t1 - t0);
      update_s += Seconds(t3 - t2);
      window_wall += Seconds(t3 - t0);
      ++window_updates;
    }
    const bool episode_end = s.terminated || s.truncated;
    if (episode_end) {
      events.Write(stats.step, {{"charts/episodic_return", ep_return}, {"charts/episodic_length", ep_length}});
      stats.last_return = ep_return;
      stats.last_length = ep_length;
      ++stats.episode;
      ep_return = 0;
      ep_length = 0;
      obs = env->reset(EpisodeSeed(c.seed, stats.episode));
      noise.ResetEpisode();
    }
    if (stats.step % c.eval_every == 0) {
      const EvalResult e = RunEvaluation(agent, c.task, c.eval_episodes, 1'000'000'007ull + c.seed);
      stats.last_eval_mean = e.mean;
      stats.last_eval_std = e.std;
      stats.best_eval_mean = std::max(stats.best_eval_mean, e.mean);
      stats.evals.push_back({stats.step, e.mean});
      if (stats.switch_step >= 0 && std::isnan(stats.eval_after_switch)) stats.eval_after_switch = e.mean;
    }
    const double ips = window_updates ? c.batch_size * window_updates / window_wall : NAN;
    if (stats.step % c.log_every == 0) {
      const bool evaluated = stats.step % c.eval_every == 0;
      const double n = std::max<double>(1, window_updates);
      // The row is formatted whole and written with one flush, so a crash can tear only the last row.
      csv << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}", stats.step, stats.episode, Num(stats.last_return),
                         stats.last_length, evaluated ? Num(stats.last_eval_mean) : "",
                         evaluated ? Num(stats.last_eval_std) : "", Num(last_update.critic_loss),
                         Num(last_update.q_mean), Num(ips), Num(1e3 * env_s / n), Num(1e3 * update_s / n),
                         Num(1e3 * act_s / n), agent.actor().quantized() ? 1 : 0)
          << LayerColumns(agent, actor_policy, critic_policy) << "\n";
      csv.flush();
      const auto now = Clock::now();
      std::vector<tensorboard::Scalar> scalars = RowScalars(agent, agent.actor().quantized(), actor_policy, critic_policy);
      scalars.insert(scalars.end(),
                     {{"charts/SPS", (stats.step - row_step) / Seconds(now - row_clock)},
                      {"charts/IPS", ips},
                      {"losses/qf_loss", window_updates ? last_update.critic_loss : NAN},
                      {"losses/actor_loss", window_updates ? -last_update.q_mean : NAN},
                      {"eval/mean_return", evaluated ? stats.last_eval_mean : NAN},
                      {"eval/std_return", evaluated ? stats.last_eval_std : NAN},
                      {"time/env_ms", window_updates ? 1e3 * env_s / n : NAN},
                      {"time/update_ms", window_updates ? 1e3 * update_s / n : NAN},
                      {"time/act_ms", window_updates ? 1e3 * act_s / n : NAN}});
      events.Write(stats.step, scalars);
      row_clock = now;
      row_step = stats.step;
      if (window_updates > 0) {
        stats.ips_sum += ips;
        ++stats.ips_rows;
      }
      agent.ResetStats();
      env_s = update_s = act_s = window_wall = 0;
      window_updates = 0;
    }
    stats.wall_s = wall_before + Seconds(Clock::now() - run_start);
    progress.Update(stats.step, c.total_steps, stats.last_return, stats.last_eval_mean, ips, stats.wall_s - wall_before);
    // Checkpoints at episode boundaries, so a resumed run restarts exactly here.
    if (episode_end && (stats.step >= next_checkpoint || stats.step == c.total_steps)) {
      WriteCheckpoint(dir, c, stats, agent, buffer);
      next_checkpoint = (stats.step / c.checkpoint_every + 1) * c.checkpoint_every;
    }
    if (episode_end && stop.received() && stats.step < c.total_steps) {
      WriteCheckpoint(dir, c, stats, agent, buffer);
      util::LogInfo("{} at step {}: checkpoint written", strsignal(stop.received()), stats.step);
      interrupted = true;
      break;
    }
  }
  progress.Update(stats.step, c.total_steps, stats.last_return, stats.last_eval_mean, NAN,
                  stats.wall_s - wall_before, true);
  progress.Finish();
  if (ep_length == 0 && !interrupted) WriteCheckpoint(dir, c, stats, agent, buffer);  // ended on an episode boundary

  // ---- Summary ----------------------------------------------------------------------
  nlohmann::json j;
  j["run_dir"] = dir.string();
  j["task"] = c.task;
  j["algorithm"] = c.algorithm;
  j["actor_precision"] = c.ActorPolicy().describe();
  j["critic_precision"] = c.CriticPolicy().describe();
  j["seed"] = c.seed;
  j["steps"] = stats.step;
  j["total_steps"] = c.total_steps;
  j["interrupted"] = interrupted;
  j["commit"] = util::GetBuildInfo().commit;
  j["episodes"] = stats.episode;
  j["wall_seconds"] = stats.wall_s;
  j["final_eval_mean"] = stats.last_eval_mean;
  j["final_eval_std"] = stats.last_eval_std;
  j["best_eval_mean"] = stats.best_eval_mean;
  j["qat"] = {{"delay", c.qat_delay},
              {"switched_at_step", stats.switch_step},
              {"eval_before_switch", stats.eval_before_switch},
              {"eval_after_switch", stats.eval_after_switch}};
  j["ips_mean"] = stats.ips_rows ? stats.ips_sum / stats.ips_rows : NAN;
  j["peak_rss_mb"] = PeakRssBytes() / 1048576.0;
  j["replay_buffer_mb"] = buffer.bytes() / 1048576.0;
  j["evals"] = nlohmann::json::array();
  for (const EvalPoint& e : stats.evals) j["evals"].push_back({{"step", e.step}, {"mean", e.mean}});
  util::WriteTextAtomically((dir / "summary.json").string(), j.dump(2) + "\n");
  return j;
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
  LoadedRun run = NewRun(std::move(config), with_buffer);
  RunStats stats;
  ReadCheckpoint(dir, run.config, stats, *run.agent, run.buffer.get());
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

nlohmann::json Evaluate(const EvalOptions& options, std::vector<std::vector<double>>* first_episode_states) {
  LoadedRun run = LoadRun(options.run_dir, /*with_buffer=*/false);
  const EvalResult e = RunEvaluation(*run.agent, run.config.task, options.episodes, options.seed, first_episode_states);
  return {{"run_dir", options.run_dir}, {"task", run.config.task}, {"step", run.step}, {"episodes", options.episodes},
          {"mean", e.mean}, {"std", e.std}, {"returns", e.returns}, {"lengths", e.lengths}};
}

}  // namespace fixar::rl
