// Shared by the export tests: small trained runs, running programs, compiling the C drivers.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../rl/small_run.h"
#include "rl/trainer.h"

namespace fixar::exporting::testing {

namespace fs = std::filesystem;

// A small Pendulum run (tests/rl/small_run.h: 16-16, QAT switch at step 500) of `steps`
// steps with the actor and critic in `precision`; returns its run directory. Its last
// checkpoint is at `steps` when that is a multiple of 200 (an episode boundary).
inline fs::path TrainSmall(const fs::path& out, std::int64_t steps, const std::string& precision = "fixar") {
  rl::TrainOptions o = rl::testing::Small(out.string(), steps);
  o.config.actor_precision = o.config.critic_precision = precision;
  return rl::Train(o).run_dir;
}

// Runs a shell command; returns its exit status (-1 if it could not run) and its stdout.
inline int RunCommand(const std::string& command, std::string* out = nullptr) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::string text;
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
  const int status = pclose(p);
  if (out) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Compiles tests/export/<driver> against the header `dir`/actor.h with the system C
// compiler in strict C99; returns the executable, or an empty path with the compiler's
// messages in *log.
inline fs::path CompileDriver(const fs::path& dir, const std::string& driver, const std::string& extra_flags,
                              std::string* log) {
  const fs::path exe = dir / (fs::path(driver).stem().string() + (extra_flags.empty() ? "" : "_flags"));
  const std::string cmd = std::string(FIXAR_C_COMPILER) + " -std=c99 -O2 -Wall -Wextra -pedantic -Werror " +
                          extra_flags + " -I" + dir.string() + " " + FIXAR_TEST_DIR + "/" + driver + " -o " +
                          exe.string() + " 2>&1";
  return RunCommand(cmd, log) == 0 ? exe : fs::path();
}

}  // namespace fixar::exporting::testing
