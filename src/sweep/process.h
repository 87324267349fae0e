// Child processes for the sweep (internal to src/sweep): spawning with output to a log,
// running a command for its output, and what this process is.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace fixar::sweep::proc {

// Starts `exe args...` with stdin from /dev/null and stdout + stderr to `log_fd`, in its
// own process group (a terminal's Ctrl-C reaches only the sweep, which forwards it), with
// an empty signal mask and default signal actions. Throws std::runtime_error naming the
// program when it cannot be started.
pid_t SpawnLogged(const std::string& exe, const std::vector<std::string>& args, int log_fd);

struct Captured {
  int exit_code = -1;  // -1: ended by a signal
  std::string output;  // stdout and stderr together
};
// Runs `exe args...` to completion and returns its output.
Captured RunCaptured(const std::string& exe, const std::vector<std::string>& args);

// The full path of `name` found on PATH; empty when it is not there.
std::string FindOnPath(const std::string& name);

std::string SelfExe();                           // /proc/self/exe, resolved
std::vector<std::string> SelfCommandLine();      // /proc/self/cmdline
std::string ShellQuote(const std::string& arg);  // for a POSIX shell, only where needed
std::string CommandLine(const std::string& exe, const std::vector<std::string>& args);
// Splits "--partition=x --time 1:00:00 --comment 'two words'" as a shell would
// (whitespace; single and double quotes; no expansions).
std::vector<std::string> SplitShellWords(const std::string& text);

}  // namespace fixar::sweep::proc
