#include "rl/task_defaults.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "envs/env.h"

namespace fixar::rl {
namespace {

const util::EmbeddedFile* FindEmbedded(const std::string& path) {
  const std::size_t count = static_cast<std::size_t>(detail::kEmbeddedTrainConfigCount);
  return util::FindEmbedded({detail::kEmbeddedTrainConfigs, count}, path);
}

std::string PathFor(const std::string& task) {
  std::string lower = task;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return "configs/train/" + lower + ".toml";
}

bool IsRegistered(const std::string& task) {
  const auto names = envs::registered_names();
  return std::find(names.begin(), names.end(), task) != names.end();
}

}  // namespace

std::string TaskDefaultsFile(const std::string& task) {
  if (!IsRegistered(task)) return "";
  const std::string path = PathFor(task);
  return FindEmbedded(path) ? path : "";
}

std::vector<std::string> TasksWithDefaults() {
  std::vector<std::string> tasks;
  for (const auto& name : envs::registered_names())
    if (FindEmbedded(PathFor(name))) tasks.push_back(name);
  return tasks;
}

std::string DescribeTrainableTasks() {
  std::string text = fmt::format("{}", fmt::join(TasksWithDefaults(), ", "));
  std::vector<std::string> others;
  for (const auto& name : envs::registered_names()) {
    if (!TaskDefaultsFile(name).empty()) continue;
    const bool discrete = envs::make(name)->discrete_actions() > 0;
    others.push_back(discrete ? name + " has discrete actions: DDPG cannot train it"
                              : name + " has no per-task defaults: built-in defaults");
  }
  if (!others.empty()) text += fmt::format(" ({})", fmt::join(others, "; "));
  return text;
}

TrainConfig TaskDefaults(const std::string& task) {
  const std::string path = TaskDefaultsFile(task);
  if (path.empty())
    throw std::invalid_argument(
        fmt::format("task '{}' has no per-task defaults; tasks with defaults: {}", task,
                    fmt::join(TasksWithDefaults(), ", ")));
  return ParseTrainConfig(FindEmbedded(path)->text, path);
}

ResolvedConfig ResolveTrainConfig(const ConfigRequest& request) {
  ResolvedConfig r;
  if (!request.config_file.empty()) {
    r.config = LoadTrainConfig(request.config_file);
    r.base = "--config " + request.config_file;
  } else {
    std::string task = request.task;
    if (task.empty()) {  // a run.task among the overrides chooses the defaults too
      TrainConfig probe;
      probe.task.clear();
      for (const auto& o : request.overrides) ApplyOverride(probe, o);
      task = probe.task.empty() ? TrainConfig{}.task : probe.task;
    }
    const std::string path = TaskDefaultsFile(task);
    if (path.empty()) {
      r.base = fmt::format("built-in defaults (task '{}' has no configs/train file)", task);
    } else {
      r.config = TaskDefaults(task);
      r.base = fmt::format("{} (the defaults of {})", path, task);
    }
  }
  for (const auto& o : request.overrides) ApplyOverride(r.config, o);
  if (!request.task.empty()) r.config.task = request.task;
  return r;
}

}  // namespace fixar::rl
