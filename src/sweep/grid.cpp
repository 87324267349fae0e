#include "sweep/grid.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#ifdef FIXAR_SWEEP_HAVE_AUTOQ
#include "autoq/run.h"
#endif
#include "rl/config.h"

namespace fixar::sweep {
namespace {

namespace fs = std::filesystem;

// "file:line" of a node (or just the file when the node has no position).
std::string Where(const std::string& source, const toml::node& n) {
  const auto line = n.source().begin.line;
  return line > 0 ? fmt::format("{}:{}", source, line) : source;
}

std::string Show(const toml::node& n) {
  if (const auto s = n.value_exact<std::string>()) return fmt::format("'{}'", *s);
  std::ostringstream os;
  n.visit([&os](const auto& v) { os << v; });
  return os.str();
}

[[noreturn]] void Bad(const std::string& source, const toml::node& n, const std::string& key,
                      const std::string& valid) {
  throw std::invalid_argument(fmt::format("{}: {} = {} is invalid; valid: {}", Where(source, n), key, Show(n), valid));
}

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

std::string ReadString(const std::string& src, const toml::node& n, const std::string& key, bool safe) {
  const auto v = n.value_exact<std::string>();
  if (!v) Bad(src, n, key, "a string");
  if (safe && !SafeName(*v)) Bad(src, n, key, kSafe);
  if (v->empty()) Bad(src, n, key, "a non-empty string");
  return *v;
}

std::int64_t ReadInt(const std::string& src, const toml::node& n, const std::string& key, std::int64_t lo,
                     std::int64_t hi) {
  const auto v = n.value_exact<std::int64_t>();
  if (!v || *v < lo || *v > hi)
    Bad(src, n, key,
        hi == INT64_MAX ? fmt::format("an integer >= {}", lo) : fmt::format("an integer from {} to {}", lo, hi));
  return *v;
}

const toml::array& ReadArray(const std::string& src, const toml::node& n, const std::string& key, bool allow_empty,
                             const char* of_what) {
  const toml::array* a = n.as_array();
  if (!a) Bad(src, n, key, fmt::format("an array of {}", of_what));
  if (a->empty() && !allow_empty) Bad(src, n, key, fmt::format("a non-empty array of {}", of_what));
  return *a;
}

std::vector<std::string> ReadNames(const std::string& src, const toml::node& n, const std::string& key) {
  std::vector<std::string> out;
  for (const toml::node& e : ReadArray(src, n, key, false, "names")) out.push_back(ReadString(src, e, key, true));
  return out;
}

std::vector<std::uint64_t> ReadSeeds(const std::string& src, const toml::node& n, const std::string& key) {
  std::vector<std::uint64_t> out;
  for (const toml::node& e : ReadArray(src, n, key, false, "integers >= 0"))
    out.push_back(static_cast<std::uint64_t>(ReadInt(src, e, key, 0, INT64_MAX)));
  return out;
}

std::vector<std::string> ReadOverrides(const std::string& src, const toml::node& n, const std::string& key) {
  std::vector<std::string> out;
  for (const toml::node& e : ReadArray(src, n, key, true, "'section.key=value' strings")) {
    const std::string s = ReadString(src, e, key, false);
    const auto eq = s.find('=');
    if (eq == std::string::npos || s.find('.') > eq)
      Bad(src, e, key, "'section.key=value' strings, e.g. 'ddpg.batch_size=128'");
    const auto owned = OwnedKeys().find(s.substr(0, eq));
    if (owned != OwnedKeys().end())
      Bad(src, e, key,
          fmt::format("overrides of keys other than {}, which the grid sets itself; use {}", owned->first,
                      owned->second));
    out.push_back(s);
  }
  return out;
}

void RejectUnknownKeys(const std::string& src, const toml::table& t, const std::string& prefix,
                       const std::vector<std::string>& valid) {
  for (const auto& [k, v] : t)
    if (std::find(valid.begin(), valid.end(), std::string(k.str())) == valid.end())
      throw std::invalid_argument(fmt::format("{}: unknown key '{}{}'; valid keys there: {}", Where(src, v), prefix,
                                              std::string(k.str()), fmt::join(valid, ", ")));
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
std::vector<std::string> ReadAgents(const std::string& src, const toml::node& n, const std::string& key) {
  static const std::vector<std::string> known = {"ppo", "ddpg", "random", "uniform", "sensitivity"};
  std::vector<std::string> out;
  for (const toml::node& e : ReadArray(src, n, key, false, "agent names")) {
    const std::string group = ReadString(src, e, key, false);
    std::stringstream ss(group);
    for (std::string a; std::getline(ss, a, '+');)
      if (std::find(known.begin(), known.end(), a) == known.end())
        Bad(src, e, key, "ppo, ddpg, random, uniform, sensitivity, or several joined by '+' (\"ppo+random\")");
    out.push_back(group);
  }
  return out;
}

std::vector<std::string> ReadMetrics(const std::string& src, const toml::node& n, const std::string& key) {
  static const std::vector<std::string> known = {"crossbars", "area", "energy", "latency"};
  std::vector<std::string> out;
  for (const toml::node& e : ReadArray(src, n, key, false, "metric names")) {
    const std::string m = ReadString(src, e, key, false);
    if (std::find(known.begin(), known.end(), m) == known.end()) Bad(src, e, key, "crossbars, area, energy, latency");
    out.push_back(m);
  }
  return out;
}

std::vector<double> ReadBudgets(const std::string& src, const toml::node& n, const std::string& key) {
  std::vector<double> out;
  for (const toml::node& e : ReadArray(src, n, key, false, "numbers in (0, 1]")) {
    const auto v = e.value<double>();
    if (!v || !(*v > 0 && *v <= 1)) Bad(src, e, key, "numbers in (0, 1] (fractions of the uniform 8/8 cost)");
    out.push_back(*v);
  }
  return out;
}

const toml::node& Required(const std::string& src, const toml::table& t, const std::string& key, const char* what) {
  const toml::node* n = t.get(key);
  if (!n) throw std::invalid_argument(fmt::format("{}: missing key 'sweep.{}' ({})", Where(src, t), key, what));
  return *n;
}

Block ReadExtra(const std::string& src, const toml::node& n, const Block& main, int k, GridKind kind) {
  const std::string p = fmt::format("sweep.extra[{}].", k);
  const toml::table* t = n.as_table();
  if (!t) Bad(src, n, p.substr(0, p.size() - 1), "a table ([[sweep.extra]])");
  Block b = main;
  b.origin = p.substr(0, p.size() - 1);
  if (kind == GridKind::kAutoq) {
    RejectUnknownKeys(src, *t, p, {"agents", "budgets", "metrics", "seeds", "label"});
    if (const auto* v = t->get("agents")) b.agents = ReadAgents(src, *v, p + "agents");
    if (const auto* v = t->get("budgets")) b.budgets = ReadBudgets(src, *v, p + "budgets");
    if (const auto* v = t->get("metrics")) b.metrics = ReadMetrics(src, *v, p + "metrics");
    if (const auto* v = t->get("seeds")) b.seeds = ReadSeeds(src, *v, p + "seeds");
    if (const auto* v = t->get("label")) b.label = ReadString(src, *v, p + "label", true);
    return b;
  }
  RejectUnknownKeys(src, *t, p, {"tasks", "precisions", "seeds", "set", "label"});
  if (const auto* v = t->get("tasks")) b.tasks = ReadNames(src, *v, p + "tasks");
  if (const auto* v = t->get("precisions")) b.precisions = ReadNames(src, *v, p + "precisions");
  if (const auto* v = t->get("seeds")) b.seeds = ReadSeeds(src, *v, p + "seeds");
  if (const auto* v = t->get("set")) b.overrides = ReadOverrides(src, *v, p + "set");
  if (const auto* v = t->get("label")) b.label = ReadString(src, *v, p + "label", true);
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
      throw std::invalid_argument(fmt::format(
          "{}: run name '{}' comes twice: from {} and from {} (task {}, precision {}, seed {}); every run needs its "
          "own name: give an extra block a label (sweep.extra[k].label) or drop the repeated value",
          g.source, r.name, it->second->origin, r.origin, r.task, r.precision, r.seed));
  }
}

}  // namespace

Grid ParseGrid(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}:{}:{}: not valid TOML: {}", source, e.source().begin.line,
                                            e.source().begin.column, e.description()));
  }
  RejectUnknownKeys(source, root, "", {"sweep"});
  const toml::table* s = root["sweep"].as_table();
  if (!s) throw std::invalid_argument(fmt::format("{}: missing the [sweep] table (docs/scale-out.md)", source));
  Grid g;
  g.source = source;
  if (const auto* v = s->get("kind")) {
    const std::string kind = ReadString(source, *v, "sweep.kind", false);
    if (kind == "autoq")
      g.kind = GridKind::kAutoq;
    else if (kind != "train")
      Bad(source, *v, "sweep.kind", "'train' (fixar train runs, the default) or 'autoq' (fixar autoq searches)");
  }
  const bool autoq = g.kind == GridKind::kAutoq;
  if (autoq)
    RejectUnknownKeys(source, *s, "sweep.",
                      {"name", "kind", "config", "agents", "budgets", "metrics", "seeds", "episodes", "threads",
                       "extra"});
  else
    RejectUnknownKeys(source, *s, "sweep.",
                      {"name", "kind", "config", "tasks", "precisions", "seeds", "steps", "threads", "set", "extra"});
  g.name = ReadString(source, Required(source, *s, "name", "the sweep's name"), "sweep.name", true);
  g.config = ReadString(source, Required(source, *s, "config", autoq ? "the autoq config" : "the base training config"),
                        "sweep.config", false);
  if (autoq)
    g.steps = ReadInt(source, Required(source, *s, "episodes", "episodes per search"), "sweep.episodes", 1, 1000000);
  else
    g.steps = ReadInt(source, Required(source, *s, "steps", "steps per run"), "sweep.steps", 1, INT64_MAX);
  if (const auto* v = s->get("threads")) g.threads = static_cast<int>(ReadInt(source, *v, "sweep.threads", 1, 256));
  Block main;
  main.origin = "sweep";
  if (autoq) {
    main.agents = ReadAgents(source, Required(source, *s, "agents", "a list of agents"), "sweep.agents");
    main.budgets = ReadBudgets(source, Required(source, *s, "budgets", "a list of budgets"), "sweep.budgets");
    main.metrics = ReadMetrics(source, Required(source, *s, "metrics", "a list of cost metrics"), "sweep.metrics");
  } else {
    main.tasks = ReadNames(source, Required(source, *s, "tasks", "a list of tasks"), "sweep.tasks");
    main.precisions = ReadNames(source, Required(source, *s, "precisions", "a list of precisions"), "sweep.precisions");
    if (const auto* v = s->get("set")) main.overrides = ReadOverrides(source, *v, "sweep.set");
  }
  main.seeds = ReadSeeds(source, Required(source, *s, "seeds", "a list of seeds"), "sweep.seeds");
  Expand(main, g);
  if (const auto* v = s->get("extra")) {
    const toml::array* extra = v->as_array();
    if (!extra) Bad(source, *v, "sweep.extra", "an array of tables ([[sweep.extra]] blocks)");
    for (std::size_t k = 0; k < extra->size(); ++k)
      Expand(ReadExtra(source, (*extra)[k], main, static_cast<int>(k), g.kind), g);
  }
  CheckUniqueNames(g);
  return g;
}

namespace {

std::string ReadFile(const std::string& path) {
  if (fs::is_directory(path))  // an ifstream opens it and reads nothing
    throw std::invalid_argument(fmt::format("grid file '{}' is a directory, not a TOML file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("grid file '{}' does not exist or cannot be read", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every run's configuration, resolved as `fixar train` would, must pass its checks.
void CheckRunConfigs(const Grid& g, const std::string& config) {
  if (!fs::is_regular_file(config))
    throw std::invalid_argument(
        config == g.config
            ? fmt::format("{}: sweep.config = '{}' does not exist (relative paths are taken from the current "
                          "directory, {})",
                          g.source, g.config, fs::current_path().string())
            : fmt::format("{}: the base config '{}' does not exist", g.source, config));
  if (g.kind == GridKind::kAutoq) {
#ifndef FIXAR_SWEEP_HAVE_AUTOQ
    throw std::invalid_argument(fmt::format(
        "{}: sweep.kind = 'autoq' needs src/autoq in the build (FIXAR_CONCEPTS without autoq); valid here: 'train'",
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
  Grid g = ParseGrid(ReadFile(path), path);
  CheckRunConfigs(g, base_config.empty() ? g.config : base_config);
  return g;
}

std::vector<std::string> RunArgs(const Grid& grid, const RunSpec& run, const std::string& config,
                                   const std::string& run_dir, bool resume) {
  if (grid.kind == GridKind::kAutoq)
    return {"autoq",    "--config",   config,        "--agent",   run.agents,
            "--seeds",  std::to_string(run.seed),     "--budget",  fmt::format("{}", run.budget),
            "--metric", run.metric,   "--episodes",  std::to_string(grid.steps),
            "--threads", std::to_string(grid.threads), "--out",    run_dir};
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
