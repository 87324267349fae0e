// `fixar train`, `fixar eval` and `fixar fidelity`: DDPG training runs in any precision,
// evaluation of a run's checkpoint, and its gradients set against float32's.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/checks.h"
#include "cli/command.h"
#include "envs/render.h"
#include "nn/precision.h"
#include "rl/config.h"
#include "rl/fidelity.h"
#include "rl/run_records.h"
#include "rl/task_defaults.h"
#include "rl/trainer.h"
#include "util/log.h"

namespace fixar::cli {
namespace {

struct TrainArgs {
  std::string config_file, resume_dir, run_dir, task, precision, actor_precision, critic_precision, out_dir, summary_json;
  std::vector<std::string> overrides;
  std::optional<std::int64_t> steps, qat_delay, warmup;
  std::optional<std::uint64_t> seed;
  std::optional<int> batch, threads;
  bool no_progress = false;
};

std::string Fmt(double x, const char* spec = "{:.1f}") {
  return std::isfinite(x) ? fmt::format(fmt::runtime(spec), x) : std::string("n/a");
}
// A word the shell passes through unchanged, else in single quotes.
std::string ShellQuote(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char ch) {
    return std::isalnum(ch) || std::strchr("_-./=:,+@%", ch);
  });
  if (plain) return s;
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

// The three commands a finished (or interrupted) run goes on with.
void PrintNextCommands(const rl::TrainSummary& s) {
  const std::string fixar = ShellQuote(program()), dir = ShellQuote(s.run_dir);
  const std::string more = s.interrupted ? "" : fmt::format(" --steps {}", 2 * s.total_steps);
  std::cout << fmt::format("evaluate             {} eval {} --episodes 10\n", fixar, dir)
            << fmt::format("resume               {} train --resume {}{}\n", fixar, dir, more)
            << fmt::format("report               {} report {} -o {}\n", fixar, dir, ShellQuote(s.run_dir + "/report"));
}

void PrintSummary(const rl::TrainSummary& s) {
  std::cout << "\n== FIXAR training summary ==\n"
            << fmt::format("run directory        {}\n", s.run_dir)
            << fmt::format("task                 {} ({} steps, {} episodes, seed {})\n", s.task, s.steps, s.episodes,
                           s.seed)
            << fmt::format("actor                {}\n", s.actor_precision)
            << fmt::format("critic               {}\n", s.critic_precision);
  if (s.qat.switched_at_step >= 0)
    std::cout << fmt::format("QAT switch           at step {}: eval return {} before, {} at the first eval after\n",
                             s.qat.switched_at_step, Fmt(s.qat.eval_before_switch), Fmt(s.qat.eval_after_switch));
  else
    std::cout << "QAT switch           none in this run\n";
  std::cout << fmt::format("final eval return    {} ± {} (mean ± std over the last evaluation's episodes)\n",
                           Fmt(s.final_eval_mean), Fmt(s.final_eval_std))
            << fmt::format("best eval return     {}\n", Fmt(s.best_eval_mean))
            << fmt::format("throughput           {} IPS (batch / wall time of env step + update + action; mean of "
                           "progress.csv rows)\n",
                           Fmt(s.ips_mean, "{:.0f}"))
            << fmt::format("wall time            {:.1f} s; peak memory {:.0f} MB (replay buffer {:.0f} MB)\n",
                           s.wall_seconds, s.peak_rss_mb, s.replay_buffer_mb);
  PrintNextCommands(s);
}

// One line each on stderr when a setting makes the run train nothing it was meant to: a
// warm-up as long as the run (only random actions, no update) or a QAT switch after its end.
void WarnIfNothingTrains(const rl::TrainConfig& c) {
  if (c.warmup_steps >= c.total_steps)
    util::LogWarn("ddpg.warmup_steps = {} >= run.total_steps = {}: every action is random and the networks are never "
                  "updated; lower --warmup or raise --steps",
                  c.warmup_steps, c.total_steps);
  if ((c.ActorPolicy().has_qat() || c.CriticPolicy().has_qat()) && c.qat_delay >= c.total_steps)
    util::LogWarn("precision.qat_delay = {} >= run.total_steps = {}: the QAT switch to {}-bit activations never "
                  "happens in this run; lower --qat-delay or raise --steps",
                  c.qat_delay, c.total_steps, c.qat_activation_bits);
}

// Every task's defaults, read once; `error` says why when a built-in file is broken (the
// help says so; a run that uses the file fails with the same message).
struct DefaultsTable {
  std::vector<std::pair<std::string, rl::TrainConfig>> tasks;
  std::string error;
};
const DefaultsTable& AllTaskDefaults() {
  static const DefaultsTable table = [] {
    DefaultsTable t;
    try {
      for (const auto& task : rl::TasksWithDefaults()) t.tasks.emplace_back(task, rl::TaskDefaults(task));
    } catch (const std::exception& e) {
      t.error = e.what();
    }
    return t;
  }();
  return table;
}

// "10000" when every task's defaults agree, else the default task's value and the others':
// "10000 (InvertedPendulum 1000, Pendulum 1000)".
template <typename Get>
std::string PerTaskDefault(Get get) {
  const DefaultsTable& table = AllTaskDefaults();
  const std::string main_task = rl::TrainConfig{}.task;
  std::string main_value = fmt::format("{}", get(rl::TrainConfig{})), others;
  if (!table.error.empty()) return main_value + " (per-task defaults unreadable: " + table.error + ")";
  for (const auto& [task, c] : table.tasks)
    if (task == main_task) main_value = fmt::format("{}", get(c));
  for (const auto& [task, c] : table.tasks) {
    const std::string v = fmt::format("{}", get(c));
    if (task != main_task && v != main_value) others += fmt::format("{}{} {}", others.empty() ? "" : ", ", task, v);
  }
  return others.empty() ? main_value : main_value + " (" + others + ")";
}

// The most steps a flag may ask for: far beyond any run, far below where counters overflow.
constexpr std::int64_t kMaxSteps = 1'000'000'000'000;

void AddTrainOptions(CLI::App& app, TrainArgs& a) {
  using C = rl::TrainConfig;
  app.add_option("-c,--config", a.config_file,
                 "TOML config ([run], [ddpg], [precision]); replaces the task's per-task defaults")
      ->check(CLI::ExistingFile)
      ->default_str("configs/train/<task>.toml");
  app.add_option("--set", a.overrides, "Override a config key: section.key=value (repeatable)");
  app.add_option("--task", a.task, "Task (run.task): " + rl::DescribeTrainableTasks())->default_str(C{}.task);
  IntegerIn(app.add_option("--steps", a.steps, "Total environment steps (run.total_steps)"), 1, kMaxSteps)
      ->default_str(PerTaskDefault([](const C& c) { return c.total_steps; }));
  app.add_option("--precision", a.precision, fmt::format("Precision of both networks: {}", nn::kPrecisionNames))
      ->default_str(PerTaskDefault([](const C& c) { return c.actor_precision; }));
  app.add_option("--actor-precision", a.actor_precision, "Actor precision (precision.actor)")
      ->default_str(PerTaskDefault([](const C& c) { return c.actor_precision; }));
  app.add_option("--critic-precision", a.critic_precision, "Critic precision (precision.critic)")
      ->default_str(PerTaskDefault([](const C& c) { return c.critic_precision; }));
  IntegerIn(app.add_option("--qat-delay", a.qat_delay, "Quantization delay d in timesteps (precision.qat_delay)"), 0,
            kMaxSteps)
      ->default_str(PerTaskDefault([](const C& c) { return c.qat_delay; }));
  IntegerIn(app.add_option("--batch", a.batch, "Batch size (ddpg.batch_size)"), 1, 65536)
      ->default_str(PerTaskDefault([](const C& c) { return c.batch_size; }));
  IntegerIn(app.add_option("--warmup", a.warmup, "Random-action warm-up steps (ddpg.warmup_steps)"), 0, kMaxSteps)
      ->default_str(PerTaskDefault([](const C& c) { return c.warmup_steps; }));
  app.add_option("--seed", a.seed, "Seed (run.seed)")->default_str(PerTaskDefault([](const C& c) { return c.seed; }));
  IntegerIn(app.add_option("--threads", a.threads, "Threads (run.threads; 0 = all cores)"), 0, 256)
      ->default_str(PerTaskDefault([](const C& c) { return c.threads; }));
  app.add_option("--out", a.out_dir, "Parent directory of run directories (run.out_dir)")
      ->default_str(PerTaskDefault([](const C& c) { return c.out_dir; }));
  app.add_option("--run-dir", a.run_dir, "Exact directory of a fresh run (instead of a name under --out)")
      ->default_str("<out>/<task>_ddpg_<precision>_s<seed>");
  app.add_option("--resume", a.resume_dir, "Continue the run in this directory from its checkpoint")
      ->check(CLI::ExistingDirectory);
  app.add_option("--summary-json", a.summary_json, "Also write the summary JSON here");
  app.add_flag("--no-progress", a.no_progress, "No live progress line");
  app.footer(
      "Without --config a run starts from its task's per-task defaults, configs/train/<task in lower case>.toml "
      "(built into the program; `fixar config show --task T` prints them); an explicit --config replaces them; "
      "--set and the flags above override either. A value after = is the option's default: the default task's, with "
      "other tasks' values in parentheses where they differ.");
}

// The configuration a `fixar train` command line asks for (not yet validated).
rl::TrainConfig ResolveTrainArgs(const TrainArgs& a) {
  if (!a.resume_dir.empty())
    for (const auto& [flag, given] : {std::pair{"--config", !a.config_file.empty()}, {"--out", !a.out_dir.empty()},
                                      {"--run-dir", !a.run_dir.empty()}})
      if (given)
        throw std::invalid_argument(fmt::format(
            "{} cannot be used with --resume: a resumed run keeps its directory and its own configuration "
            "('{}/config.toml'; only --steps and --threads may change)",
            flag, a.resume_dir));
  rl::TrainConfig c;
  if (a.resume_dir.empty()) {
    const rl::ResolvedConfig r = rl::ResolveTrainConfig({a.config_file, a.task, a.overrides});
    util::LogInfo("configuration: {}", r.base);
    c = r.config;
  } else {  // a resumed run starts from its own resolved configuration
    if (!std::filesystem::is_regular_file(a.resume_dir + "/config.toml"))
      throw std::invalid_argument(
          fmt::format("--resume '{}' is not a run directory (no config.toml)", a.resume_dir));
    c = rl::LoadTrainConfig(a.resume_dir + "/config.toml");
    for (const auto& s : a.overrides) rl::ApplyOverride(c, s);
  }
  if (!a.task.empty()) c.task = a.task;
  if (a.steps) c.total_steps = *a.steps;
  if (!a.precision.empty()) c.actor_precision = c.critic_precision = a.precision;
  if (!a.actor_precision.empty()) c.actor_precision = a.actor_precision;
  if (!a.critic_precision.empty()) c.critic_precision = a.critic_precision;
  if (a.qat_delay) c.qat_delay = *a.qat_delay;
  if (a.batch) c.batch_size = *a.batch;
  if (a.warmup) c.warmup_steps = *a.warmup;
  if (a.seed) c.seed = *a.seed;
  if (a.threads) c.threads = *a.threads;
  if (!a.out_dir.empty()) c.out_dir = a.out_dir;
  return c;
}

int RunTrain(const TrainArgs& a) {
  CheckOutputFile("--summary-json", a.summary_json);  // before the run, not after hours of it
  rl::TrainOptions o;
  o.config = ResolveTrainArgs(a);
  o.config.validate();
  WarnIfNothingTrains(o.config);
  o.resume_dir = a.resume_dir;
  o.run_dir = a.run_dir;
  o.progress = !a.no_progress;
  o.command_line = invocation();
  const rl::TrainSummary summary = rl::Train(o);
  PrintSummary(summary);
  if (!a.summary_json.empty())
    WriteOutputFile("--summary-json", a.summary_json, rl::SummaryJson(summary).dump(2) + "\n");
  if (summary.interrupted) {
    std::cerr << fmt::format("fixar: interrupted at step {} of {}; continue with: {} train --resume {}\n",
                             summary.steps, summary.total_steps, ShellQuote(program()), ShellQuote(summary.run_dir));
    return 130;
  }
  return 0;
}

const CommandRegistrar kTrain("train",
                              "Train a DDPG agent (float32, fixed32, fixar QAT, fixed16, wXaY) on a control task, "
                              "from the task's defaults or a config file",
                              [](CLI::App& app) -> std::function<int()> {
                                auto a = std::make_shared<TrainArgs>();
                                AddTrainOptions(app, *a);
                                return [a]() { return RunTrain(*a); };
                              });

struct FrameOptions {
  std::string dir;
  int every = 10;
  std::vector<int> size{320, 240};
};

// The states of an evaluation episode as PNG frames (every `every`-th step) and strip.png:
// eight frames evenly spread over the episode, side by side.
void WriteFrames(const FrameOptions& o, const std::string& task, const std::vector<std::vector<double>>& states) {
  envs::Renderer renderer(task, o.size.at(0), o.size.at(1));  // a task without a model fails here
  std::filesystem::create_directories(o.dir);
  int written = 0;
  for (std::size_t i = 0; i < states.size(); i += o.every, ++written)
    envs::WritePng(fmt::format("{}/frame_{:04d}.png", o.dir, i), renderer.Render(states[i]));
  std::vector<envs::Image> strip;
  const std::size_t picks = std::min<std::size_t>(8, states.size());
  for (std::size_t k = 0; k < picks; ++k)
    strip.push_back(renderer.Render(states[picks > 1 ? k * (states.size() - 1) / (picks - 1) : 0]));
  envs::WritePng(o.dir + "/strip.png", envs::Strip(strip));
  std::cout << fmt::format("wrote {} frames of the first episode ({} steps) and strip.png to {}\n", written,
                           states.size() - 1, o.dir);
}

const CommandRegistrar kEval("eval", "Evaluate a training run's checkpoint (deterministic policy)",
                             [](CLI::App& app) -> std::function<int()> {
                               auto o = std::make_shared<rl::EvalOptions>();
                               auto json = std::make_shared<std::string>();
                               app.add_option("run_dir", o->run_dir, "Run directory (holds config.toml, checkpoint.bin)")
                                   ->required();
                               app.add_option("--episodes", o->episodes, "Episodes")->check(CLI::Range(1, 100000));
                               app.add_option("--seed", o->seed, "Seed of the evaluation episodes");
                               app.add_option("--json", *json, "Write the result as JSON");
                               auto frames = std::make_shared<FrameOptions>();
                               app.add_option("--frames", frames->dir,
                                              "Render the first episode (MuJoCo tasks) as PNG frames into this "
                                              "directory (created), with strip.png: 8 of them side by side");
                               app.add_option("--frame-every", frames->every, "Render every N-th step")
                                   ->check(CLI::Range(1, 100000));
                               app.add_option("--frame-size", frames->size, "Frame width,height in pixels")
                                   ->delimiter(',')
                                   ->expected(2);
                               return [o, json, frames]() {
                                 CheckOutputFile("--json", *json);
                                 if (!frames->dir.empty()) CheckOutputDirectory("--frames", frames->dir);
                                 std::vector<std::vector<double>> states;
                                 const rl::EvalSummary r =
                                     rl::Evaluate(*o, frames->dir.empty() ? nullptr : &states);
                                 std::cout << fmt::format(
                                     "{}: {} at step {}: return {:.1f} ± {:.1f} over {} episodes\n", r.run_dir,
                                     r.task, r.step, r.mean, r.std, o->episodes);
                                 if (!json->empty())
                                   WriteOutputFile("--json", *json, rl::EvaluationJson(r).dump(2) + "\n");
                                 if (!frames->dir.empty()) WriteFrames(*frames, r.task, states);
                                 return 0;
                               };
                             });

void PrintFidelity(const nlohmann::json& r) {
  std::cout << fmt::format("{} at step {} (actor {}, critic {}{}): {} batches of {}\n", r["run_dir"].get<std::string>(),
                           r["step"].get<std::int64_t>(), r["precision"]["actor"].get<std::string>(),
                           r["precision"]["critic"].get<std::string>(),
                           r["quantized"].get<bool>() ? ", after the QAT switch" : "", r["batches"].get<int>(),
                           r["batch_size"].get<int>());
  std::string ref = r["reference"].get<std::string>();
  for (const auto& kv : r["twin_overrides"]) ref += " " + kv.get<std::string>();
  std::cout << fmt::format("against a {} twin: critic loss {:.5g} (twin {:.5g}), Q {:.5g} (twin {:.5g})\n", ref,
                           r["critic_loss"]["run"].get<double>(), r["critic_loss"]["reference"].get<double>(),
                           r["q_mean"]["run"].get<double>(), r["q_mean"]["reference"].get<double>());
  std::cout << fmt::format("{:<12} {:>10} {:>10} {:>8} {:>9} {:>10} {:>10}\n", "layer", "rel error", "cosine",
                           "zeroed", "> range", "ref rms", "LSB");
  for (const auto& l : r["layers"])
    std::cout << fmt::format("{:<12} {:>10.3e} {:>10.6f} {:>7.2f}% {:>8.3f}% {:>10.3e} {:>10.3e}\n",
                             l["name"].get<std::string>(), l["rel_error"].get<double>(), l["cosine"].get<double>(),
                             100 * l["zeroed"].get<double>(), 100 * l["beyond_range"].get<double>(),
                             l["ref_rms"].get<double>(), l["lsb"].get<double>());
}

const CommandRegistrar kFidelity(
    "fidelity", "Set a run's gradients against float32's (or another precision's) at the same weights",
    [](CLI::App& app) -> std::function<int()> {
      auto o = std::make_shared<rl::FidelityOptions>();
      auto json = std::make_shared<std::string>();
      app.add_option("run_dir", o->run_dir, "Run directory (holds config.toml, checkpoint.bin)")->required();
      app.add_option("--batches", o->batches, "Replay batches to compare")->check(CLI::Range(1, 100000));
      app.add_option("--seed", o->seed, "Seed of the batch draws");
      app.add_option("--against", o->reference,
                     "The twin's precision (float32, or e.g. fixed32 to isolate the QAT switch)");
      app.add_option("--set", o->twin_overrides,
                     "Override the twin's configuration: section.key=value (e.g. precision.gradient_int_bits=8)");
      app.add_option("--json", *json, "Write the result as JSON");
      return [o, json]() {
        CheckOutputFile("--json", *json);
        const nlohmann::json r = rl::GradientFidelity(*o);
        PrintFidelity(r);
        if (!json->empty()) WriteOutputFile("--json", *json, r.dump(2) + "\n");
        return 0;
      };
    });

}  // namespace
}  // namespace fixar::cli
