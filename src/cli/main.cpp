// fixar: the command-line front end. Subcommands register themselves (command.h).
#include <algorithm>
#include <exception>
#include <iostream>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/checks.h"
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
std::string& program() {
  static std::string path = "fixar";
  return path;
}
}  // namespace fixar::cli

namespace {

// Edit distance with adjacent transpositions (optimal string alignment): "trian" is one
// edit from "train".
std::size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// The message for a word where a subcommand of `app` belongs and none is named so: the
// nearest name (a prefix of exactly one, else at most a third of the word's letters, at
// least 2, away) and all of them.
std::string UnknownCommand(const CLI::App& app, const std::string& word) {
  std::vector<std::string> names, prefixed;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
    if (sub->get_name().rfind(word, 0) == 0) prefixed.push_back(sub->get_name());
  }
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& n : names)
    if (const std::size_t d = EditDistance(word, n); d < best_d) best = n, best_d = d;
  if (prefixed.size() == 1) best = prefixed.front();
  std::vector<std::string> chain;  // the subcommands from the root down to `app`
  for (const CLI::App* p = &app; p->get_parent(); p = p->get_parent()) chain.insert(chain.begin(), p->get_name());
  const std::string path = chain.empty() ? "fixar" : fmt::format("fixar {}", fmt::join(chain, " "));
  std::string msg = fmt::format("{}: '{}' is not a command", path, word);
  if (!best.empty()) msg += fmt::format("; did you mean '{}'?", best);
  return msg + fmt::format("\ncommands: {} (`{} --help` describes them)", fmt::join(names, ", "), path);
}

// Follows the words of the command line through the subcommands; the message for the first
// word that should name a subcommand and does not (options end the walk: their values are
// CLI11's to read). Empty when there is none.
std::string CheckSubcommandWords(const CLI::App& app, int argc, char** argv) {
  const CLI::App* cur = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') break;
    if (cur->get_subcommands([](const CLI::App*) { return true; }).empty()) break;
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : cur->get_subcommands([](const CLI::App*) { return true; }))
      if (sub->check_name(word)) next = sub;
    if (next) {
      cur = next;
      continue;
    }
    if (!cur->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) break;
    return UnknownCommand(*cur, word);
  }
  return "";
}

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

// "fixar" and the subcommands the command line selected: "fixar bench ddpg".
std::string SelectedCommand(const CLI::App& app) {
  std::string path = "fixar";
  for (const CLI::App* cur = &app;;) {
    const std::vector<CLI::App*> subs = cur->get_subcommands();
    if (subs.empty()) break;
    cur = subs.front();
    path += " " + cur->get_name();
  }
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fixar::cli;
  for (int i = 0; i < argc; ++i) invocation() += (i ? " " : "") + std::string(argv[i]);
  if (argc > 0) program() = argv[0];
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
  StrictNumbers(app);
  // One line per error, naming the command: "fixar train: error: --steps: '-5' is out of range; ...".
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    const CLI::App* root = a;
    while (root->get_parent()) root = root->get_parent();
    return fmt::format("{}: error: {} (`{} --help` lists the options)\n", SelectedCommand(*root), e.what(),
                       SelectedCommand(*root));
  });
  if (const std::string unknown = CheckSubcommandWords(app, argc, argv); !unknown.empty()) {
    std::cerr << unknown << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    CheckEnvironment();  // a bad FIXAR_* variable fails before any command writes anything
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const std::bad_alloc&) {
    std::cerr << SelectedCommand(app) << ": error: out of memory (a size in the input or the options is too large "
              << "for this machine)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << SelectedCommand(app) << ": error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
