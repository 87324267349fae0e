#include "report/groups.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "rl/trainer.h"

namespace fixar::report {
namespace {

bool IsPrecisionKey(const std::string& k) { return k == "precision.actor" || k == "precision.critic"; }

// The directory-name rule, kept as a label: "HalfCheetah_ddpg_fixar_s0-2" ->
// "HalfCheetah_ddpg_fixar"; a committed results folder ".../HalfCheetah/fixar/seed0" ->
// "HalfCheetah/fixar".
std::string DirGroupName(const std::filesystem::path& dir) {
  const std::string name = dir.filename().string();
  const std::string group = rl::RunGroupName(name);
  if (group != name || name.rfind("seed", 0) != 0) return group;
  return dir.parent_path().parent_path().filename().string() + "/" + dir.parent_path().filename().string();
}

// Sorts a group's runs by seed and settles runs that share a seed.
void SettleSeeds(Group& g, const GroupingOptions& options, std::vector<std::string>& notes) {
  std::stable_sort(g.runs.begin(), g.runs.end(), [](const RunData& a, const RunData& b) {
    return a.config.seed != b.config.seed ? a.config.seed < b.config.seed : a.dir < b.dir;
  });
  std::vector<RunData> kept;
  for (RunData& r : g.runs) {
    if (kept.empty() || kept.back().config.seed != r.config.seed) {
      kept.push_back(std::move(r));
      continue;
    }
    RunData& other = kept.back();
    if (!options.allow_duplicate_seeds)
      throw std::invalid_argument(fmt::format(
          "'{}' and '{}' are both seed {} (run.seed in their config.toml) of {} {}; pass one of them, or "
          "--allow-duplicate-seeds to keep the one with more steps",
          DisplayPath(other.dir), DisplayPath(r.dir), r.config.seed, g.task, g.label));
    const bool replace = r.progress.last_step > other.progress.last_step;
    const RunData& keep = replace ? r : other;
    const RunData& drop = replace ? other : r;
    notes.push_back(fmt::format("{} {}: seed {} twice; kept '{}' ({} steps), left out '{}' ({} steps)", g.task,
                                g.label, r.config.seed, DisplayPath(keep.dir), keep.progress.last_step,
                                DisplayPath(drop.dir), drop.progress.last_step));
    if (replace) other = std::move(r);
  }
  g.runs = std::move(kept);
}

// Labels: the precision, plus the keys that differ between the groups of one task and
// precision (so labels are unique within a task).
void Label(std::vector<Group>& groups) {
  std::map<std::pair<std::string, std::string>, std::vector<Group*>> same;
  for (Group& g : groups) same[{g.task, g.precision}].push_back(&g);
  for (auto& [key, members] : same) {
    std::set<std::string> differing;
    for (const auto& [k, v] : members.front()->keys)
      for (const Group* m : members)
        if (m->keys.at(k) != v && !IsPrecisionKey(k)) differing.insert(k);
    for (Group* g : members) {
      g->label = g->precision;
      std::string list;
      for (const std::string& k : differing) list += fmt::format("{}{}={}", list.empty() ? "" : ", ", k, g->keys.at(k));
      if (!list.empty()) g->label += " [" + list + "]";
    }
  }
}

}  // namespace

ConfigKeys AllConfigKeys(const rl::TrainConfig& config) {
  ConfigKeys keys;
  std::istringstream in(config.ToToml());
  std::string section;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 3);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    keys[section + "." + line.substr(0, eq)] = value;
  }
  return keys;
}

ConfigKeys GroupingKeys(const rl::TrainConfig& config) {
  ConfigKeys keys = AllConfigKeys(config);
  for (const char* k : kNonGroupingKeys) keys.erase(k);
  return keys;
}

std::string PrecisionName(const rl::TrainConfig& config) {
  if (config.critic_precision == config.actor_precision) return config.actor_precision;
  return config.actor_precision + "/" + config.critic_precision;
}

std::vector<Group> GroupRuns(std::vector<RunData> runs, const GroupingOptions& options,
                             std::vector<std::string>& notes) {
  std::map<ConfigKeys, Group> by_keys;
  std::set<std::filesystem::path> seen;
  for (RunData& r : runs) {
    if (!seen.insert(r.dir).second) continue;  // the same directory named twice
    ConfigKeys keys = GroupingKeys(r.config);
    Group& g = by_keys[keys];
    if (g.runs.empty()) {
      g.task = r.config.task;
      g.precision = PrecisionName(r.config);
      g.keys = std::move(keys);
    }
    const std::string dir_group = DirGroupName(r.dir);
    if (std::find(g.dir_groups.begin(), g.dir_groups.end(), dir_group) == g.dir_groups.end())
      g.dir_groups.push_back(dir_group);
    g.runs.push_back(std::move(r));
  }
  std::vector<Group> groups;
  for (auto& [keys, g] : by_keys) groups.push_back(std::move(g));
  Label(groups);
  std::sort(groups.begin(), groups.end(),
            [](const Group& a, const Group& b) { return std::tie(a.task, a.label) < std::tie(b.task, b.label); });
  for (Group& g : groups) SettleSeeds(g, options, notes);
  return groups;
}

std::vector<std::string> DifferingKeys(const Group& a, const Group& b) {
  std::vector<std::string> out;
  for (const auto& [k, v] : a.keys) {
    if (IsPrecisionKey(k)) continue;
    const auto it = b.keys.find(k);
    const std::string other = it == b.keys.end() ? "unset" : it->second;
    if (other != v) out.push_back(fmt::format("{} ({} vs {})", k, v, other));
  }
  return out;
}

}  // namespace fixar::report
