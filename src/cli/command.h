// Subcommands of the `fixar` program register themselves here.
//
// Each subcommand lives in its own file in src/cli/ and defines one static
// CommandRegistrar; main.cpp builds the CLI11 app from the registry, so adding a
// command never touches another command's file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace fixar::cli {

// `setup` adds the subcommand's options to `sub` and returns the function to run
// after parsing (its return value is the process exit code).
using CommandSetup = std::function<std::function<int()>(CLI::App& sub)>;

struct Command {
  std::string name, description;
  CommandSetup setup;
};

std::vector<Command>& command_registry();

// The whole command line of this process, words separated by spaces (set by main), for
// the provenance records of runs.
std::string& invocation();
// argv[0] as given (e.g. "build/release/fixar"), for the commands a subcommand suggests.
std::string& program();

struct CommandRegistrar {
  CommandRegistrar(std::string name, std::string description, CommandSetup setup) {
    command_registry().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

}  // namespace fixar::cli
