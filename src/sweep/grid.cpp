#include "sweep/grid.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include "config/section.h"

#ifdef FIXAR_SWEEP_HAVE_AUTOQ
#include "autoq/run.h"
#endif
#include "rl/config.h"

namespace fixar::sweep {
namespace {

namespace fs = std::filesystem;
using config::At;
using config::Fail;

// Names become directory names and parts of run names.
bool SafeName(const std::string& s) {
  if (s.empty() || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
  });
}
constexpr const char* kSafe = "letters, digits, '.', '_' and '-', starting with a letter or digit";

// Keys the grid sets on every run itself: a --set of one of them would be overridden
// (or would fight the run's name), so it is refused, naming the grid key to use instead.
const std::map<std::string, std::string>& OwnedKeys() {
  static const std::map<std::string, std::string> keys = {{"run.task", "sweep.tasks"},
                                                          {"run.seed", "sweep.seeds"},
                                                          {"run.total_steps", "sweep.steps"},
                                                          {"run.threads", "sweep.threads"},
                                                          {"precision.actor", "sweep.precisions"},
                                                          {"precision.critic", "sweep.precisions"},
                                                          {"run.out_dir", "the sweep directory (--dir)"}};
  return keys;
}

// A failure about element i of the array `n` (read before, so it is an array).
[[noreturn]] void FailElement(const toml::node& n, const At& at, std::size_t i, std::string_view problem) {
  const std::string key = fmt::format("{}[{}]", at.key, i);
  Fail(At{at.source, key}, &(*n.as_array())[i], problem);
}

template <typename T>
std::vector<T> NonEmpty(std::vector<T> v, const toml::node& n, const At& at, std::string_view of) {
  if (v.empty()) Fail(at, &n, fmt::format("empty; valid: a non-empty array of {}", of));
  return v;
}

// A non-empty array of strings, each one for which `problem` returns "" (else what is valid).
template <typename Check>
std::vector<std::string> CheckedStrings(const toml::node& n, const At& at, std::string_view of, Check problem,
                                        bool allow_empty = false) {
  std::vector<std::string> v = config::ReadStrings(n, at);
  if (!allow_empty) v = NonEmpty(std::move(v), n, at, of);
  for (std::size_t i = 0; i < v.size(); ++i)
    if (const std::string p = problem(v[i]); !p.empty()) FailElement(n, at, i, p);
  return v;
}

std::vector<std::string> ReadNames(const toml::node& n, const At& at) {
  return CheckedStrings(n, at, "names", [](const std::string& s) {
    return SafeName(s) ? std::string() : fmt::format("not a name; valid: {}", kSafe);
  });
}

std::string ReadLabel(const toml::node& n, const At& at) {
  std::string s = config::ReadString(n, at);
  if (!SafeName(s)) Fail(at, &n, fmt::format("not a name; valid: {}", kSafe));
  return s;
}

std::vector<std::uint64_t> ReadSeeds(const toml::node& n, const At& at) {
  const auto v = NonEmpty(config::ReadIntegers(n, at, {.lo = 0}), n, at, "integers >= 0");
  return {v.begin(), v.end()};
}

std::vector<std::string> ReadOverrides(const toml::node& n, const At& at) {
  return CheckedStrings(
      n, at, "'section.key=value' strings",
      [](const std::string& s) {
        const auto eq = s.find('=');
        if (eq == std::string::npos || s.find('.') > eq)
          return std::string("not an override; valid: 'section.key=value' strings, e.g. 'ddpg.batch_size=128'");
        const auto owned = OwnedKeys().find(s.substr(0, eq));
        if (owned == OwnedKeys().end()) return std::string();
        return fmt::format("the grid sets {} itself; valid: overrides of other keys; use {}", owned->first,
                           owned->second);
      },
      /*allow_empty=*/true);
}

// One block of cells: the main [sweep] table or an extra one.
struct Block {
  std::vector<std::string> tasks, precisions, overrides;
  std::vector<std::uint64_t> seeds;
  std::string label, origin;
  std::vector<std::string> agents, metrics;  // autoq
  std::vector<double> budgets;               // autoq
};

// autoq: agent groups are names joined by '+' ("ppo+random": one process, so random search
// gets PPO's measurement count); each name one `fixar autoq --agent` knows.
std::vector<std::string> ReadAgents(const toml::node& n, const At& at) {
  static const std::vector<std::string> known = {"ppo", "ddpg", "random", "uniform", "sensitivity"};
  return CheckedStrings(n, at, "agent names", [](const std::string& group) {
    std::stringstream ss(group);
    for (std::string a; std::getline(ss, a, '+');)
      if (std::find(known.begin(), known.end(), a) == known.end())
        return std::string(
            "unknown agent; valid: ppo, ddpg, random, uniform, sensitivity, or several joined by "
            "'+' (\"ppo+random\")");
    return std::string();
  });
}

std::vector<std::string> ReadMetrics(const toml::node& n, const At& at) {
  static const std::vector<std::string> known = {"crossbars", "area", "energy", "latency"};
  return CheckedStrings(n, at, "metric names", [](const std::string& m) {
    return std::find(known.begin(), known.end(), m) != known.end()
               ? std::string()
               : std::string("unknown metric; valid: crossbars, area, energy, latency");
  });
}

std::vector<double> ReadBudgets(const toml::node& n, const At& at) {
  // Fractions of the uniform 8/8 cost.
  return NonEmpty(config::ReadNumbers(n, at, {.lo = 0, .hi = 1, .lo_open = true}), n, at, "numbers in (0, 1]");
}

// The keys a block may hold, by kind: the main [sweep] table or a [[sweep.extra]] one.
std::vector<std::string_view> BlockKeys(GridKind kind, bool extra) {
  if (kind == GridKind::kAutoq)
    return extra ? std::vector<std::string_view>{"agents", "budgets", "metrics", "seeds", "label"}
                 : std::vector<std::string_view>{"name",    "kind",  "config",   "agents",  "budgets",
                                                 "metrics", "seeds", "episodes", "threads", "extra"};
  return extra ? std::vector<std::string_view>{"tasks", "precisions", "seeds", "set", "label"}
               : std::vector<std::string_view>{"name",  "kind",  "config",  "tasks", "precisions",
                                               "seeds", "steps", "threads", "set",   "extra"};
}

// Marks the kind's keys known and rejects any other, before anything is read (a misspelt
// key is reported as such, not as the missing key it was meant to be).
void KnownKeysOnly(config::Section& s, GridKind kind, bool extra) {
  for (const std::string_view key : BlockKeys(kind, extra)) s.Take(key);
  s.RejectUnknown();
}

// The cells of a block: keys it leaves out keep `b`'s values.
void ReadCells(config::Section& s, GridKind kind, Block& b) {
  const auto read = [&s](std::string_view key, auto& field, auto reader) {
    if (const toml::node* n = s.Take(key)) field = reader(*n, At{s.source(), s.Key(key)});
  };
  if (kind == GridKind::kAutoq) {
    read("agents", b.agents, ReadAgents);
    read("budgets", b.budgets, ReadBudgets);
    read("metrics", b.metrics, ReadMetrics);
  } else {
    read("tasks", b.tasks, ReadNames);
    read("precisions", b.precisions, ReadNames);
    read("set", b.overrides, ReadOverrides);
  }
  read("seeds", b.seeds, ReadSeeds);
}

// A key the main block must have.
const toml::node& Required(config::Section& s, std::string_view key, std::string_view what) {
  const toml::node* n = s.Take(key);
  if (!n) Fail(At{s.source(), s.Key(key)}, nullptr, fmt::format("missing ({})", what));
  return *n;
}

Block ReadExtra(const std::string& src, const toml::node& n, const Block& main, std::size_t k, GridKind kind) {
  const std::string name = fmt::format("sweep.extra[{}]", k);
  if (!n.is_table()) Fail(At{src, name}, &n, "expected a table; valid: [[sweep.extra]] blocks");
  config::Section s(n.as_table(), src, name);
  KnownKeysOnly(s, kind, /*extra=*/true);
  Block b = main;
  b.origin = name;
  ReadCells(s, kind, b);
  if (const toml::node* v = s.Take("label")) b.label = ReadLabel(*v, At{src, s.Key("label")});
  return b;
}

void ExpandAutoq(const Block& b, Grid& g) {
  for (const auto& metric : b.metrics)
    for (const double budget : b.budgets)
      for (const std::uint64_t seed : b.seeds)
        for (const auto& group : b.agents) {
          RunSpec r;
          r.index = static_cast<int>(g.runs.size());
          r.agents = group;
          std::replace(r.agents.begin(), r.agents.end(), '+', ',');
          r.metric = metric;
          r.budget = budget;
          r.seed = seed;
          r.label = b.label;
          r.origin = b.origin;
          std::string agents = group;
          std::replace(agents.begin(), agents.end(), '+', '-');
          r.name = fmt::format("{}_{}_b{}{}_s{}", agents, metric, budget, b.label.empty() ? "" : "_" + b.label, seed);
          g.runs.push_back(std::move(r));
        }
}

void Expand(const Block& b, Grid& g) {
  if (g.kind == GridKind::kAutoq) return ExpandAutoq(b, g);
  for (const auto& task : b.tasks)
    for (const auto& precision : b.precisions)
      for (const std::uint64_t seed : b.seeds) {
        RunSpec r;
        r.index = static_cast<int>(g.runs.size());
        r.task = task;
        r.precision = precision;
        r.seed = seed;
        r.label = b.label;
        r.overrides = b.overrides;
        r.origin = b.origin;
        r.name = fmt::format("{}_{}{}_s{}", task, precision, b.label.empty() ? "" : "_" + b.label, seed);
        g.runs.push_back(std::move(r));
      }
}

void CheckUniqueNames(const Grid& g) {
  std::map<std::string, const RunSpec*> seen;
  for (const RunSpec& r : g.runs) {
    const auto [it, fresh] = seen.emplace(r.name, &r);
    if (!fresh)
      throw std::invalid_argument(
          fmt::format("{}: run name '{}' comes twice: from {} and from {} (task {}, precision {}, seed {}); "
                      "every run needs its "
                      "own name: give an extra block a label (sweep.extra[k].label) or drop the repeated value",
                      g.source, r.name, it->second->origin, r.origin, r.task, r.precision, r.seed));
  }
}

}  // namespace

Grid ParseGrid(std::string_view text, const std::string& source) {
  const toml::table root = config::ParseToml(text, source);
  config::RejectUnknownTables(root, source, {"sweep"});
  const toml::table* table = root["sweep"].as_table();
  if (!table) Fail(At{source, "sweep"}, nullptr, "missing the [sweep] table (docs/scale-out.md)");
  config::Section s(table, source, "sweep");
  Grid g;
  g.source = source;
  s.Choice("kind", g.kind, {{"train", GridKind::kTrain}, {"autoq", GridKind::kAutoq}});
  KnownKeysOnly(s, g.kind, /*extra=*/false);
  const bool autoq = g.kind == GridKind::kAutoq;
  g.name = ReadLabel(Required(s, "name", "the sweep's name"), At{source, "sweep.name"});
  g.config = config::ReadString(Required(s, "config", autoq ? "the autoq config" : "the base training config"),
                                At{source, "sweep.config"});
  if (autoq)
    g.steps = config::ReadInteger(Required(s, "episodes", "episodes per search"), At{source, "sweep.episodes"},
                                  {.lo = 1, .hi = 1000000});
  else
    g.steps = config::ReadInteger(Required(s, "steps", "steps per run"), At{source, "sweep.steps"}, {.lo = 1});
  s.Integer("threads", g.threads, {.lo = 1, .hi = 256});
  Block main;
  main.origin = "sweep";
  if (autoq) {
    Required(s, "agents", "a list of agents");
    Required(s, "budgets", "a list of budgets");
    Required(s, "metrics", "a list of cost metrics");
  } else {
    Required(s, "tasks", "a list of tasks");
    Required(s, "precisions", "a list of precisions");
  }
  Required(s, "seeds", "a list of seeds");
  ReadCells(s, g.kind, main);
  Expand(main, g);
  if (const toml::node* v = s.Take("extra")) {
    const toml::array* extra = v->as_array();
    if (!extra) Fail(At{source, "sweep.extra"}, v, "expected an array of tables; valid: [[sweep.extra]] blocks");
    for (std::size_t k = 0; k < extra->size(); ++k) Expand(ReadExtra(source, (*extra)[k], main, k, g.kind), g);
  }
  CheckUniqueNames(g);
  return g;
}

namespace {

// Every run's configuration, resolved as `fixar train` would, must pass its checks.
void CheckRunConfigs(const Grid& g, const std::string& config) {
  if (!fs::is_regular_file(config))
    throw std::invalid_argument(
        config == g.config ? fmt::format("{}: sweep.config = '{}': does not exist (relative paths are taken from "
                                         "the current "
                                         "directory, {})",
                                         g.source, g.config, fs::current_path().string())
                           : fmt::format("{}: the base config '{}' does not exist", g.source, config));
  if (g.kind == GridKind::kAutoq) {
#ifndef FIXAR_SWEEP_HAVE_AUTOQ
    throw std::invalid_argument(
        fmt::format("{}: sweep.kind = 'autoq' needs src/autoq in the build (FIXAR_CONCEPTS without "
                    "autoq); valid here: 'train'",
                    g.source));
#else
    autoq::RunConfig base;
    try {
      base = autoq::RunConfig::Load(config);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("{}: sweep.config: {}", g.source, e.what()));
    }
    for (const RunSpec& r : g.runs) {
      autoq::RunConfig c = base;
      try {
        c.agents.clear();
        std::stringstream ss(r.agents);
        for (std::string a; std::getline(ss, a, ',');) c.agents.push_back(autoq::ParseAgent(a, "sweep agents"));
        c.budget = r.budget;
        c.metric = autoq::ParseCostMetric(r.metric, "sweep metrics");
        c.seeds = {r.seed};
        c.search.episodes = static_cast<int>(g.steps);
        c.Validate();
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(fmt::format("{}: run {} (from {}): {}", g.source, r.name, r.origin, e.what()));
      }
    }
    return;
#endif
  }
  rl::TrainConfig base;
  try {
    base = rl::LoadTrainConfig(config);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: sweep.config: {}", g.source, e.what()));
  }
  for (const RunSpec& r : g.runs) {
    rl::TrainConfig c = base;
    try {
      for (const auto& o : r.overrides) rl::ApplyOverride(c, o);
      c.task = r.task;
      c.actor_precision = c.critic_precision = r.precision;
      c.seed = r.seed;
      c.total_steps = g.steps;
      c.threads = g.threads;
      c.validate();
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("{}: run {} (from {}): {}", g.source, r.name, r.origin, e.what()));
    }
  }
}

}  // namespace

Grid LoadGrid(const std::string& path, const std::string& base_config) {
  Grid g = ParseGrid(config::ReadTextFile(path, "grid file"), path);
  CheckRunConfigs(g, base_config.empty() ? g.config : base_config);
  return g;
}

std::vector<std::string> RunArgs(const Grid& grid, const RunSpec& run, const std::string& config,
                                 const std::string& run_dir, bool resume) {
  if (grid.kind == GridKind::kAutoq)
    return {"autoq",
            "--config",
            config,
            "--agent",
            run.agents,
            "--seeds",
            std::to_string(run.seed),
            "--budget",
            fmt::format("{}", run.budget),
            "--metric",
            run.metric,
            "--episodes",
            std::to_string(grid.steps),
            "--threads",
            std::to_string(grid.threads),
            "--out",
            run_dir};
  const std::string steps = std::to_string(grid.steps), threads = std::to_string(grid.threads);
  if (resume) return {"train", "--resume", run_dir, "--steps", steps, "--threads", threads, "--no-progress"};
  std::vector<std::string> args = {"train",       "--config", config,
                                   "--task",      run.task,   "--precision",
                                   run.precision, "--seed",   std::to_string(run.seed),
                                   "--steps",     steps,      "--threads",
                                   threads};
  for (const auto& o : run.overrides) {
    args.push_back("--set");
    args.push_back(o);
  }
  for (const char* a : {"--no-progress", "--run-dir"}) args.emplace_back(a);
  args.push_back(run_dir);
  return args;
}

std::vector<std::string> GridDifferences(const Grid& a, const Grid& b) {
  std::vector<std::string> d;
  auto field = [&d](const char* key, const auto& x, const auto& y) {
    if (x != y) d.push_back(fmt::format("{}: {} before, {} now", key, x, y));
  };
  field("sweep.name", a.name, b.name);
  field("sweep.kind", std::string(a.kind == GridKind::kAutoq ? "autoq" : "train"),
        std::string(b.kind == GridKind::kAutoq ? "autoq" : "train"));
  field("sweep.config", a.config, b.config);
  field("sweep.steps", a.steps, b.steps);
  field("sweep.threads", a.threads, b.threads);
  const std::size_t n = std::min(a.runs.size(), b.runs.size());
  for (std::size_t i = 0; i < n; ++i) {
    const RunSpec &x = a.runs[i], &y = b.runs[i];
    if (x.name != y.name)
      d.push_back(fmt::format("run {}: {} before, {} now", i, x.name, y.name));
    else if (x.agents != y.agents)
      d.push_back(fmt::format("run {} ({}): agents {} before, {} now", i, x.name, x.agents, y.agents));
    else if (x.overrides != y.overrides)
      d.push_back(fmt::format("run {} ({}): set [{}] before, [{}] now", i, x.name, fmt::join(x.overrides, ", "),
                              fmt::join(y.overrides, ", ")));
  }
  for (std::size_t i = n; i < a.runs.size(); ++i) d.push_back(fmt::format("run {} ({}) removed", i, a.runs[i].name));
  for (std::size_t i = n; i < b.runs.size(); ++i) d.push_back(fmt::format("run {} ({}) added", i, b.runs[i].name));
  return d;
}

}  // namespace fixar::sweep
