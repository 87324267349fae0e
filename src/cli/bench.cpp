// `fixar bench ddpg`: DDPG training throughput in FIXAR's metric, per precision and batch.
// `fixar bench train`: the wall clock of real training runs (rl::Train) per phase, and the
// time a whole run of the task's schedule would take (below, RunTrainBench).
//
//   system IPS  = B / (wall time of one timestep: env step + sample + update + action)
//   learner IPS = B / (wall time of the update alone)
// (fixar.md, "Throughput: how IPS is counted"). Each configuration runs in a child
// process so that its peak resident memory is its own.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/checks.h"
#include "cli/command.h"
#include "envs/env.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "rl/config.h"
#include "rl/ddpg.h"
#include "nn/precision.h"
#include "rl/replay_buffer.h"
#include "rl/task_defaults.h"
#include "rl/trainer.h"

namespace fixar::cli {
namespace {

using Clock = std::chrono::steady_clock;
double Sec(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct BenchArgs {
  std::string task = "HalfCheetah";
  std::vector<int> batches = {64, 128, 256, 512};
  std::vector<std::string> precisions = {"float32", "fixar", "w16a16"};
  std::vector<int> hidden = {400, 300};
  int updates = 200;
  int threads = 0;
  std::string json_file;
};

// Multiply-accumulates of one DDPG sample per update (see docs/throughput.md):
// 4A − a1 for the actor (target fwd, fwd, dW, dX of layers 2..n) and 6C − c1 for the
// critic (target fwd, fwd, dW, dX of 2..n; the actor step's fwd and full dX).
double MacsPerSample(int S, int A, const std::vector<int>& hidden) {
  auto fc = [&](int in, int out) {
    double total = 0, first = 0;
    int prev = in;
    for (std::size_t i = 0; i <= hidden.size(); ++i) {
      const int next = i < hidden.size() ? hidden[i] : out;
      total += static_cast<double>(prev) * next;
      if (i == 0) first = static_cast<double>(prev) * next;
      prev = next;
    }
    return std::pair{total, first};
  };
  const auto [a, a1] = fc(S, A);
  const auto [c, c1] = fc(S + A, 1);
  return 4 * a - a1 + 6 * c - c1;
}

// One configuration, in the calling process. `quantized_phase`: switch QAT first.
nlohmann::json RunOne(const BenchArgs& args, const std::string& precision, bool quantized_phase, int B) {
  if (args.threads > 0) kern::SetNumThreads(args.threads);
  auto env = envs::make(args.task);
  const int S = env->observation_space().size(), A = env->action_space().size();
  rl::TrainConfig c;
  c.actor_precision = c.critic_precision = precision;
  c.qat_delay = 50;
  rl::DdpgSpec spec;
  spec.obs_dim = S;
  spec.action_dim = A;
  spec.hidden = args.hidden;
  spec.actor_policy = c.ActorPolicy();
  spec.critic_policy = c.CriticPolicy();
  spec.actor_adam = c.ActorAdam();
  spec.critic_adam = c.CriticAdam();
  rl::Ddpg agent(spec);
  // Real transitions from random actions, enough to sample from.
  rl::ReplayBuffer buffer(20000, S, A);
  std::vector<double> a(A), obs = env->reset(1);
  for (int i = 0; i < std::max(4 * B, 5000); ++i) {
    for (int j = 0; j < A; ++j) a[j] = std::sin(0.37 * i + j);
    auto s = env->step(a);
    buffer.Add(obs, a, s.reward, s.observation, s.terminated);
    obs = (s.terminated || s.truncated) ? env->reset() : s.observation;
  }
  rl::Batch batch;
  std::uint64_t draw = 0;
  // Warm up (and, for the quantized phase, record ranges and switch).
  for (int i = 0; i < 20; ++i) {
    buffer.Sample(B, 7, draw++, batch);
    agent.Update(batch);
  }
  if (quantized_phase) {
    agent.SetTrainingStep(c.qat_delay);
    if (!agent.actor().quantized()) throw std::logic_error("bench: the QAT switch did not happen");
  }
  double env_s = 0, sample_s = 0, act_s = 0, critic_s = 0, actor_s = 0, target_s = 0, total_s = 0;
  for (int i = 0; i < args.updates; ++i) {
    const auto t0 = Clock::now();
    auto s = env->step(a);
    const auto t1 = Clock::now();
    buffer.Sample(B, 7, draw++, batch);
    const auto t2 = Clock::now();
    const rl::UpdateStats u = agent.Update(batch);
    const auto t3 = Clock::now();
    obs = (s.terminated || s.truncated) ? env->reset() : std::move(s.observation);
    agent.Act(obs, a);
    const auto t4 = Clock::now();
    env_s += Sec(t1 - t0);
    sample_s += Sec(t2 - t1);
    critic_s += u.critic_s;
    actor_s += u.actor_s;
    target_s += u.target_s;
    act_s += Sec(t4 - t3);
    total_s += Sec(t4 - t0);
  }
  const double n = args.updates, update_s = critic_s + actor_s + target_s;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return {{"precision", precision},
          {"phase", quantized_phase ? "after switch" : (precision == "float32" || precision == "fixed32" ? "-" : "before switch")},
          {"batch", B},
          {"system_ips", B * n / total_s},
          {"learner_ips", B * n / update_s},
          {"env_share", env_s / total_s},
          {"ms", {{"env", 1e3 * env_s / n}, {"sample", 1e3 * sample_s / n}, {"critic", 1e3 * critic_s / n},
                  {"actor", 1e3 * actor_s / n}, {"targets", 1e3 * target_s / n}, {"act", 1e3 * act_s / n},
                  {"timestep", 1e3 * total_s / n}}},
          {"peak_rss_mb", ru.ru_maxrss / 1024.0},
          {"macs_per_sample", MacsPerSample(S, A, args.hidden)},
          {"kernel_path", kern::to_string(kern::ActivePath())},
          {"threads", kern::NumThreads()}};
}

// Runs RunOne in a child process (own peak memory, no state shared between configurations).
nlohmann::json RunIsolated(const BenchArgs& args, const std::string& precision, bool quantized, int B) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("bench: pipe() failed");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    try {
      out = RunOne(args, precision, quantized, B).dump();
    } catch (const std::exception& e) {
      out = nlohmann::json{{"error", e.what()}}.dump();
    }
    (void)!write(fds[1], out.data(), out.size());
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t k; (k = read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(k));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (text.empty()) throw std::runtime_error(fmt::format("bench: {} batch {} crashed (status {})", precision, B, status));
  auto j = nlohmann::json::parse(text);
  if (j.contains("error")) throw std::runtime_error(fmt::format("bench: {} batch {}: {}", precision, B, j["error"].get<std::string>()));
  return j;
}

int RunBench(const BenchArgs& args) {
  CheckOutputFile("--json", args.json_file);  // before minutes of benchmarks
  if (args.batches.empty() || args.precisions.empty() || args.hidden.empty())
    throw std::invalid_argument("--batches, --precisions and --hidden need at least one value each");
  for (int h : args.hidden)
    if (h < 1 || h > 65536) throw std::invalid_argument(fmt::format("--hidden: {} is not a layer size in 1..65536", h));
  for (int b : args.batches)
    if (b < 1 || b > 65536) throw std::invalid_argument(fmt::format("--batches: {} is not a batch size in 1..65536", b));
  for (const auto& p : args.precisions) nn::MakePrecision(p, 0);  // throws naming the valid ones
  envs::make(args.task);                                           // throws listing the tasks
  nlohmann::json rows = nlohmann::json::array();
  std::cout << fmt::format("fixar bench ddpg: {} (hidden {}), {} timesteps per configuration\n", args.task,
                           nlohmann::json(args.hidden).dump(), args.updates);
  std::cout << fmt::format("{:<9} {:<13} {:>5} {:>11} {:>11} {:>6} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>8} {:>7}\n",
                           "precision", "phase", "batch", "system IPS", "learner IPS", "env %", "env ms", "critic ms",
                           "actor ms", "target ms", "act ms", "RSS MB", "GMAC/s", "ceiling");
  std::map<std::string, std::vector<double>> per_config;
  for (const auto& p : args.precisions) {
    const bool has_switch = p != "float32" && p != "fixed32" && p != "fixed16";
    for (bool quantized : has_switch ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
      for (int B : args.batches) {
        auto r = RunIsolated(args, p, quantized, B);
        const double gmacs = r["learner_ips"].get<double>() * r["macs_per_sample"].get<double>() * 1e-9;
        // Ceiling: ~110 GMAC/s of int16 MACs on two cores (issue figure) / MACs per sample.
        const double ceiling = 110e9 / r["macs_per_sample"].get<double>();
        r["learner_gmacs"] = gmacs;
        r["ceiling_ips"] = ceiling;
        std::cout << fmt::format(
            "{:<9} {:<13} {:>5} {:>11.0f} {:>11.0f} {:>5.1f}% {:>8.3f} {:>8.3f} {:>8.3f} {:>8.3f} {:>7.3f} {:>7.0f} {:>8.1f} "
            "{:>6.1f}%\n",
            p, r["phase"].get<std::string>(), B, r["system_ips"].get<double>(), r["learner_ips"].get<double>(),
            100 * r["env_share"].get<double>(), r["ms"]["env"].get<double>(), r["ms"]["critic"].get<double>(),
            r["ms"]["actor"].get<double>(), r["ms"]["targets"].get<double>(), r["ms"]["act"].get<double>(),
            r["peak_rss_mb"].get<double>(), gmacs, 100 * r["system_ips"].get<double>() / ceiling);
        std::cout.flush();
        per_config[p + " " + r["phase"].get<std::string>()].push_back(r["system_ips"].get<double>());
        rows.push_back(r);
      }
    }
  }
  std::cout << "\nmean system IPS over batch sizes (the paper's headline form; FIXAR: 25 293.3, its mean over 3 tasks):\n";
  nlohmann::json means;
  for (const auto& [name, v] : per_config) {
    double m = 0;
    for (double x : v) m += x / v.size();
    means[name] = m;
    std::cout << fmt::format("  {:<24} {:>9.0f} IPS  ({:.2f}× FIXAR)\n", name, m, m / 25293.3);
  }
  if (!args.json_file.empty())
    WriteOutputFile("--json", args.json_file,
                    nlohmann::json{{"rows", rows}, {"mean_system_ips", means}}.dump(2) + "\n");
  return 0;
}

// ---- fixar bench train ------------------------------------------------------------------
// What a user waits for: real `fixar train` runs (the task's defaults: FIXAR's setting for
// HalfCheetah), timed by phase, and projected onto the task's whole schedule.
//   a  warm-up only (W steps of random actions, no updates)
//   b  W + N steps, no QAT switch          → seconds per step before the switch: (b − a) / N
//   c  W + N steps, the switch at step W   → seconds per step after it:          (c − a) / N
//   d  a again with one evaluation at its end  → seconds per evaluation: e = d − a
// No other run evaluates (eval_every beyond its end), so start-up, checkpoints and the final
// write are in a, b, c and d alike and cancel in the differences. Projection for the
// task's total_steps T with warm-up W, switch at Q and an evaluation every E steps:
//   T_wall = a·(W/W) + (min(Q,T) − W)·per_step_b + (T − max(Q,W))·per_step_c + (T/E)·e.
struct TrainBenchArgs {
  std::string task = "HalfCheetah";
  std::vector<std::string> precisions = {"float32", "fixar"};
  std::int64_t steps = 5000;
  int threads = 1;
  std::string json_file;
};

double TimedTrain(rl::TrainConfig c, const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  rl::TrainOptions o;
  c.checkpoint_every = c.total_steps;  // at most one checkpoint, at the end, in every timed run alike
  o.config = std::move(c);
  o.run_dir = dir.string();
  o.progress = false;
  o.command_line = "fixar bench train";
  const auto t0 = Clock::now();
  rl::Train(o);
  return Sec(Clock::now() - t0);
}

int RunTrainBench(const TrainBenchArgs& a) {
  CheckOutputFile("--json", a.json_file);
  const rl::TrainConfig base = rl::TaskDefaults(a.task);  // throws naming the tasks with defaults
  for (const auto& p : a.precisions) nn::MakePrecision(p, 0);  // throws naming the valid ones
  const std::int64_t W = base.warmup_steps, N = a.steps, T = base.total_steps, Q = base.qat_delay,
                     E = base.eval_every;
  char tmpl[] = "/tmp/fixar-bench-train-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("fixar bench train: cannot create a directory under /tmp");
  const std::filesystem::path tmp = tmpl;
  std::cout << fmt::format(
      "fixar bench train: {} ({}-step runs after a {}-step warm-up, {} thread{}); projection for its schedule: "
      "{} steps, QAT switch at {}, {} evaluation episodes every {} steps\n",
      a.task, N, W, a.threads, a.threads == 1 ? "" : "s", T, Q, base.eval_episodes, E);
  std::cout << fmt::format("{:<9} {:>10} {:>14} {:>14} {:>11} {:>14} {:>12}\n", "precision", "warm-up s",
                           "steps/s before", "steps/s after", "eval s", "projected", "steps/s mean");
  std::cout.flush();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& p : a.precisions) {
    rl::TrainConfig c = base;
    c.actor_precision = c.critic_precision = p;
    c.threads = a.threads;
    c.eval_every = c.log_every * 1'000'000'000;  // no evaluation inside the timed runs
    c.total_steps = W;
    c.qat_delay = W + N + 1;
    const double ta = TimedTrain(c, tmp / "a");
    c.total_steps = W + N;
    const double tb = TimedTrain(c, tmp / "b");
    const bool switches = nn::MakePrecision(p, 0).qat_delay >= 0;  // fixar, wXaY: a QAT switch
    double tc = tb;
    if (switches) {
      c.qat_delay = W;
      tc = TimedTrain(c, tmp / "c");
    }
    c.total_steps = W > 0 ? W : c.log_every;
    c.log_every = c.eval_every = c.total_steps;  // one evaluation, at the end
    const double te = std::max(0.0, TimedTrain(c, tmp / "d") - ta);
    const double sb = std::max(0.0, tb - ta) / N, sc = std::max(0.0, tc - ta) / N;
    const double projected = ta + std::max<std::int64_t>(0, std::min(Q, T) - W) * sb +
                             std::max<std::int64_t>(0, T - std::max(Q, W)) * sc + static_cast<double>(T / E) * te;
    const int hh = static_cast<int>(projected / 3600), mm = static_cast<int>(std::fmod(projected, 3600) / 60);
    std::cout << fmt::format("{:<9} {:>10.1f} {:>14.0f} {:>14} {:>11.1f} {:>9}h{:02d}m {:>12.0f}\n", p, ta, 1 / sb,
                             switches ? fmt::format("{:.0f}", 1 / sc) : std::string("-"), te, hh, mm,
                             T / projected);
    std::cout.flush();
    rows.push_back({{"precision", p},
                    {"warmup_seconds", ta},
                    {"seconds_per_step_before_switch", sb},
                    {"seconds_per_step_after_switch", switches ? nlohmann::json(sc) : nlohmann::json()},
                    {"seconds_per_evaluation", te},
                    {"projected_seconds", projected},
                    {"timed_runs_seconds", {ta, tb, tc}}});
  }
  std::filesystem::remove_all(tmp);
  std::cout << fmt::format(
      "(projected = warm-up + steps before the switch + steps after it + {} evaluations, each phase timed "
      "in real runs of {} steps)\n",
      T / E, N);
  if (!a.json_file.empty())
    WriteOutputFile("--json", a.json_file,
                    nlohmann::json{{"task", a.task},
                                   {"steps", N},
                                   {"threads", a.threads},
                                   {"schedule", {{"total_steps", T}, {"warmup_steps", W}, {"qat_delay", Q}, {"eval_every", E}}},
                                   {"rows", rows}}
                            .dump(2) +
                        "\n");
  return 0;
}

const CommandRegistrar kBench("bench", "Throughput benchmarks (FIXAR's IPS metric)", [](CLI::App& app) -> std::function<int()> {
  auto a = std::make_shared<BenchArgs>();
  app.require_subcommand(1);
  CLI::App* ddpg = app.add_subcommand("ddpg", "DDPG timestep throughput per precision and batch size");
  ddpg->add_option("--task", a->task, "Task (default HalfCheetah)");
  ddpg->add_option("--batches", a->batches, "Batch sizes")->delimiter(',');
  ddpg->add_option("--precisions", a->precisions, "Precisions (float32, fixed32, fixar, fixed16, wXaY)")->delimiter(',');
  ddpg->add_option("--hidden", a->hidden, "Hidden layer sizes")->delimiter(',');
  ddpg->add_option("--updates", a->updates, "Timesteps timed per configuration")->check(CLI::Range(1, 1000000));
  ddpg->add_option("--threads", a->threads, "Threads (0 = all cores)")->check(CLI::Range(0, 256));
  ddpg->add_option("--json", a->json_file, "Write all rows as JSON");
  auto t = std::make_shared<TrainBenchArgs>();
  CLI::App* train = app.add_subcommand(
      "train", "Wall clock of real training runs per phase, and the projected time of the task's whole schedule");
  train->add_option("--task", t->task, "Task (its defaults: configs/train/<task>.toml)")->capture_default_str();
  train->add_option("--precisions", t->precisions, "Precisions")->delimiter(',')->capture_default_str();
  IntegerIn(train->add_option("--steps", t->steps, "Timed steps per phase, after the warm-up"), 1, 100000000)
      ->capture_default_str();
  IntegerIn(train->add_option("--threads", t->threads, "Threads per run"), 1, 256)->capture_default_str();
  train->add_option("--json", t->json_file, "Write the rows as JSON");
  return [a, t, train]() { return train->parsed() ? RunTrainBench(*t) : RunBench(*a); };
});

}  // namespace
}  // namespace fixar::cli
