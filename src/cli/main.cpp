// fixar: the command-line front end. Subcommands register themselves (command.h).
#include <algorithm>
#include <exception>
#include <iostream>
#include <functional>
#include <map>
#include <string>

#include "cli/command.h"
#include "util/build_info.h"
#ifdef FIXAR_HAVE_KERNELS
#include "kernels/gemm.h"
#endif

namespace fixar::cli {
std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}
std::string& invocation() {
  static std::string line;
  return line;
}
}  // namespace fixar::cli

namespace {

// `fixar --version`: the build's provenance and the SIMD kernel path this machine gets.
std::string VersionText() {
  std::string text = fixar::util::GetBuildInfo().describe();
#ifdef FIXAR_HAVE_KERNELS
  try {
    text += std::string("\nkernel path: ") + fixar::kern::to_string(fixar::kern::ActivePath());
  } catch (const std::exception& e) {  // e.g. a bad FIXAR_KERNEL_PATH
    text += std::string("\nkernel path: none (") + e.what() + ")";
  }
#else
  text += "\nkernel path: none (this build has no kernels library)";
#endif
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fixar::cli;
  for (int i = 0; i < argc; ++i) invocation() += (i ? " " : "") + std::string(argv[i]);
  CLI::App app{"FIXAR: fixed-point deep RL training, accelerator models and quantization search"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::function<std::string()>(VersionText),
                       "Print the commit, build type, compiler and SIMD kernel path, then exit");
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
