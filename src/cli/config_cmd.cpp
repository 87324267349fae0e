// `fixar config show`: the training configuration `fixar train` would start from with the
// same --config, --task and --set, as TOML (loadable again with --config).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <memory>

#include "cli/command.h"
#include "rl/task_defaults.h"

namespace fixar::cli {
namespace {

struct ConfigArgs {
  std::string config_file, task;
  std::vector<std::string> overrides;
};

int Show(const ConfigArgs& a) {
  const rl::ResolvedConfig r = rl::ResolveTrainConfig({a.config_file, a.task, a.overrides});
  r.config.validate();
  std::cout << "# from " << r.base;
  if (!a.overrides.empty()) std::cout << fmt::format("; --set {}", fmt::join(a.overrides, ", "));
  if (!a.task.empty() && !a.config_file.empty()) std::cout << "; --task " << a.task;
  std::cout << "\n" << r.config.ToToml();
  return 0;
}

const CommandRegistrar kConfig(
    "config", "Training configurations: `config show` prints the one `fixar train` would use",
    [](CLI::App& app) -> std::function<int()> {
      auto a = std::make_shared<ConfigArgs>();
      app.require_subcommand(1);
      CLI::App* show = app.add_subcommand("show",
                                          "Print the resolved training configuration as TOML: the "
                                          "task's defaults (or --config), then --set");
      show->add_option("-c,--config", a->config_file,
                       "TOML config; replaces the task's per-task defaults")
          ->check(CLI::ExistingFile)
          ->default_str("configs/train/<task>.toml");
      show->add_option("--task", a->task, "Task (run.task): " + rl::DescribeTrainableTasks())
          ->default_str(rl::TrainConfig{}.task);
      show->add_option("--set", a->overrides,
                       "Override a config key: section.key=value (repeatable)");
      return [a]() { return Show(*a); };
    });

}  // namespace
}  // namespace fixar::cli
