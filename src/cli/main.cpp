// fixar: the command-line front end. Subcommands register themselves (command.h).
#include <algorithm>
#include <exception>
#include <iostream>
#include <map>

#include "cli/command.h"

namespace fixar::cli {
std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}
}  // namespace fixar::cli

int main(int argc, char** argv) {
  using namespace fixar::cli;
  CLI::App app{"FIXAR: fixed-point deep RL training, accelerator models and quantization search"};
  app.require_subcommand(1);
  auto& registry = command_registry();
  std::sort(registry.begin(), registry.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  std::map<CLI::App*, std::function<int()>> runners;
  for (auto& cmd : registry) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.description);
    runners[sub] = cmd.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const std::exception& e) {
    std::cerr << "fixar: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
