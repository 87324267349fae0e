#include "sweep/process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace fixar::sweep::proc {
namespace {

namespace fs = std::filesystem;

// argv for posix_spawn: pointers into `storage`, null-terminated.
std::vector<char*> Argv(const std::string& exe, const std::vector<std::string>& args,
                        std::vector<std::string>& storage) {
  storage.clear();
  storage.push_back(exe);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

// Owns posix_spawn's attribute and file-action objects.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

pid_t Spawn(const std::string& exe, const std::vector<std::string>& args, SpawnSetup& setup, short flags) {
  posix_spawnattr_setflags(&setup.attr, static_cast<short>(flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  std::vector<std::string> storage;
  auto argv = Argv(exe, args, storage);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, exe.c_str(), &setup.actions, &setup.attr, argv.data(), environ);
  if (rc != 0) throw std::runtime_error(fmt::format("cannot start '{}': {}", exe, std::strerror(rc)));
  return pid;
}

}  // namespace

pid_t SpawnLogged(const std::string& exe, const std::vector<std::string>& args, int log_fd) {
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, log_fd, 1);
  posix_spawn_file_actions_adddup2(&setup.actions, log_fd, 2);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  return Spawn(exe, args, setup, POSIX_SPAWN_SETPGROUP);
}

Captured RunCaptured(const std::string& exe, const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&setup.actions, fds[1], 2);
  pid_t pid = -1;
  try {
    pid = Spawn(exe, args, setup, 0);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  Captured c;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    c.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return c;
}

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0 && fs::is_regular_file(candidate)) return candidate.string();
  }
  return "";
}

std::string SelfExe() { return fs::read_symlink("/proc/self/exe").string(); }

std::vector<std::string> SelfCommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string a; std::getline(in, a, '\0');) args.push_back(a);
  return args;
}

std::string ShellQuote(const std::string& arg) {
  const bool plain = !arg.empty() && arg.find_first_not_of(
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789_-+=.,:/@%") == std::string::npos;
  if (plain) return arg;
  std::string q;
  q.reserve(arg.size() + 2);
  q.push_back('\'');
  for (char ch : arg) {
    if (ch == '\'')
      q.append("'\\''");  // close the quote, an escaped quote, reopen
    else
      q.push_back(ch);
  }
  q.push_back('\'');
  return q;
}

std::string CommandLine(const std::string& exe, const std::vector<std::string>& args) {
  std::string s = ShellQuote(exe);
  for (const auto& a : args) {
    s.push_back(' ');
    s += ShellQuote(a);
  }
  return s;
}

std::vector<std::string> SplitShellWords(const std::string& text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (char ch : text) {
    if (quote) {
      if (ch == quote)
        quote = 0;
      else
        cur += ch;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(ch))) {
      if (in_word) words.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += ch;
      in_word = true;
    }
  }
  if (quote) throw std::invalid_argument(fmt::format("unbalanced {} quote in '{}'", quote, text));
  if (in_word) words.push_back(cur);
  return words;
}

}  // namespace fixar::sweep::proc
