// The local backend: a pool of `fixar train` child processes over a sweep's unfinished runs.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "sweep/process.h"
#include "sweep/runner.h"
#include "util/build_info.h"

namespace fixar::sweep {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string Hms(double s) {
  const auto t = static_cast<long>(s);
  return fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60);
}

// SIGINT, SIGTERM and SIGCHLD are blocked while the pool runs and taken with sigwaitinfo,
// so none is lost between starting a run and waiting. The mask is the calling thread's: any
// other thread of the process must block them too, or the kernel may hand it a SIGCHLD,
// whose default action discards it, and the pool would wait for that run forever. (fixar
// sweep starts no other thread.)
class BlockedSignals {
 public:
  BlockedSignals() {
    ::signal(SIGCHLD, SIG_DFL);  // an inherited SIG_IGN would reap the runs before waitpid sees them
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGCHLD}) sigaddset(&set_, s);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  int Wait() const {
    siginfo_t info;
    return sigwaitinfo(&set_, &info);
  }

 private:
  sigset_t set_, old_;
};

struct Active {
  const RunSpec* run;
  pid_t pid;
  int log_fd;  // holds the run's flock; the child's stdout/stderr share it
  Clock::time_point t0;
  std::string started;
  int number;  // k of [k/n]
};

void Append(int fd, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

class Pool {
 public:
  Pool(const Grid& g, const SweepDir& d, const PoolOptions& o, std::ostream& out)
      : grid_(g), dir_(d), opt_(o), out_(out), exe_(o.exe.empty() ? proc::SelfExe() : o.exe) {}
  int Run();

 private:
  void Plan();
  void Start(const RunSpec& r);
  int OpenLockedLog(const RunSpec& r);
  void StartFailed(const RunSpec& r, int fd, const std::string& why);
  void Reap();
  void Finish(const Active& a, int wstatus);
  void Forward(int sig);
  int Report();

  const Grid& grid_;
  const SweepDir& dir_;
  const PoolOptions& opt_;
  std::ostream& out_;
  std::string exe_;
  std::vector<const RunSpec*> queue_;
  std::vector<Active> active_;
  std::vector<std::pair<const RunSpec*, std::string>> failed_;
  std::size_t next_ = 0;  // queue_[next_] starts next
  int stop_signal_ = 0, done_before_ = 0, busy_ = 0, started_ = 0, ok_ = 0, stopped_ = 0;
};

void Pool::Plan() {
  for (const RunSpec& r : grid_.runs) {
    if (!opt_.only.empty() && std::find(opt_.only.begin(), opt_.only.end(), r.index) == opt_.only.end()) continue;
    if (InspectRun(dir_, r.name, grid_.steps).state == RunState::kDone)
      ++done_before_;
    else
      queue_.push_back(&r);
  }
  const int jobs = std::max(1, opt_.jobs);
  const std::size_t total = queue_.size() + static_cast<std::size_t>(done_before_);
  out_ << fmt::format("sweep {}: {} run{}: {} done, {} to run, {} at a time ({} thread{} each); logs in {}\n",
                      grid_.name, total, total == 1 ? "" : "s", done_before_, queue_.size(), jobs, grid_.threads,
                      grid_.threads == 1 ? "" : "s", dir_.logs().string());
  const unsigned cores = std::thread::hardware_concurrency();
  if (!queue_.empty() && cores > 0 && static_cast<unsigned>(jobs * grid_.threads) > cores)
    out_ << fmt::format("note: {} runs × {} threads exceed this machine's {} cores\n", jobs, grid_.threads, cores);
  out_.flush();
}

// The run's log, opened for appending and locked, or -1 when another process holds it.
int Pool::OpenLockedLog(const RunSpec& r) {
  const fs::path log = dir_.log(r.name);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot open {}: {}", log.string(), std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    ::close(fd);
    ++busy_;
    out_ << fmt::format("skip   {}: running elsewhere ({} is locked)\n", r.name, log.string());
    return -1;
  }
  return fd;
}

void Pool::Start(const RunSpec& r) {
  fs::create_directories(dir_.logs());
  fs::create_directories(dir_.runs());
  const int fd = OpenLockedLog(r);
  if (fd < 0) return;
  const RunStatus st = InspectRun(dir_, r.name, grid_.steps);  // again, under the lock
  if (st.state == RunState::kDone) {
    ::close(fd);
    ++done_before_;
    return;
  }
  const fs::path run = dir_.run(r.name);
  const bool resume = st.has_checkpoint;
  if (!resume && fs::exists(run / "config.toml")) {  // started, but stopped before its first checkpoint
    Append(fd, fmt::format("\n=== {} no checkpoint in {}: starting it afresh\n", NowIso(), run.string()));
    fs::remove(run / "config.toml");
    fs::remove(run / "progress.csv");
  }
  const auto args = RunArgs(grid_, r, dir_.base_config().string(), run.string(), resume);
  Append(fd, fmt::format("\n=== {} fixar sweep ({}): {}\n", NowIso(), util::GetBuildInfo().describe(),
                         proc::CommandLine(exe_, args)));
  Active a{&r, -1, fd, Clock::now(), NowIso(), ++started_};
  try {
    a.pid = proc::SpawnLogged(exe_, args, fd);
  } catch (const std::runtime_error& e) {
    StartFailed(r, fd, e.what());
    return;
  }
  active_.push_back(a);
  out_ << fmt::format("start  [{}/{}] {} ({})\n", a.number, queue_.size(), r.name,
                      resume ? fmt::format("resuming from its checkpoint; progress.csv at step {}", st.steps_done)
                             : std::string("new"));
  out_.flush();
}

void Pool::StartFailed(const RunSpec& r, int fd, const std::string& why) {
  Append(fd, fmt::format("=== {} {}\n", NowIso(), why));
  Attempt at;
  at.exit_code = 127;
  at.started = at.finished = NowIso();
  WriteAttempt(dir_, r.name, at);
  ::close(fd);
  failed_.emplace_back(&r, why);
  out_ << fmt::format("FAILED {}: {}; log: {}\n", r.name, why, dir_.log(r.name).string());
}

void Pool::Finish(const Active& a, int wstatus) {
  Attempt at;
  at.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  at.signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
  at.interrupted = stop_signal_ != 0 && (at.exit_code != 0 || at.signal != 0);
  at.elapsed_s = std::chrono::duration<double>(Clock::now() - a.t0).count();
  at.started = a.started;
  at.finished = NowIso();
  Append(a.log_fd, fmt::format("=== {} {} after {}\n", at.finished, at.describe(), Hms(at.elapsed_s)));
  WriteAttempt(dir_, a.run->name, at);
  ::close(a.log_fd);  // releases the lock after the attempt is on record
  const std::string head =
      fmt::format("[{}/{}] {} {} after {}", a.number, queue_.size(), a.run->name, at.describe(), Hms(at.elapsed_s));
  if (at.interrupted) {
    ++stopped_;
    out_ << "stop   " << head << "\n";
  } else if (at.failed()) {
    failed_.emplace_back(a.run, at.describe());
    out_ << "FAILED " << head << "; log: " << dir_.log(a.run->name).string() << "\n";
  } else {
    ++ok_;
    out_ << "done   " << head << "\n";
  }
  out_.flush();
}

void Pool::Reap() {
  for (std::size_t i = 0; i < active_.size();) {
    int wstatus = 0;
    const pid_t pid = ::waitpid(active_[i].pid, &wstatus, WNOHANG);
    if (pid < 0 && errno == ECHILD) wstatus = 0xff00;  // reaped elsewhere: on record as exit 255
    if (pid == active_[i].pid || (pid < 0 && errno == ECHILD)) {
      Finish(active_[i], wstatus);
      active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

void Pool::Forward(int sig) {
  if (!stop_signal_)
    out_ << fmt::format(
        "{}: stopping {} run{} (they resume from their last checkpoints on the next `fixar sweep "
        "run`)\n",
        strsignal(sig), active_.size(), active_.size() == 1 ? "" : "s");
  out_.flush();
  stop_signal_ = sig;
  for (const Active& a : active_) ::kill(-a.pid, sig);
}

int Pool::Report() {
  out_ << fmt::format("sweep {}: {} finished, {} failed, {} already done", grid_.name, ok_, failed_.size(),
                      done_before_);
  if (busy_) out_ << fmt::format(", {} running elsewhere", busy_);
  if (stopped_) out_ << fmt::format(", {} stopped", stopped_);
  if (next_ < queue_.size()) out_ << fmt::format(", {} not started", queue_.size() - next_);
  out_ << "\n";
  for (const auto& [r, why] : failed_)
    out_ << fmt::format("failed: {} ({}); log: {}\n", r->name, why, dir_.log(r->name).string());
  out_.flush();
  if (stop_signal_) return 128 + stop_signal_;
  return failed_.empty() ? 0 : 1;
}

int Pool::Run() {
  Plan();
  const BlockedSignals signals;
  const std::size_t jobs = static_cast<std::size_t>(std::max(1, opt_.jobs));
  for (;;) {
    while (!stop_signal_ && active_.size() < jobs && next_ < queue_.size()) {
      const RunSpec& r = *queue_[next_++];
      try {
        Start(r);
      } catch (const std::exception& e) {  // e.g. the log cannot be opened: the other runs go on
        failed_.emplace_back(&r, e.what());
        out_ << fmt::format("FAILED {}: {}\n", r.name, e.what());
      }
    }
    if (active_.empty()) break;
    const int sig = signals.Wait();
    if (sig == SIGCHLD)
      Reap();
    else if (sig == SIGINT || sig == SIGTERM)
      Forward(sig);
  }
  return Report();
}

}  // namespace

int RunPool(const Grid& grid, const SweepDir& dir, const PoolOptions& options, std::ostream& out) {
  return Pool(grid, dir, options, out).Run();
}

}  // namespace fixar::sweep
