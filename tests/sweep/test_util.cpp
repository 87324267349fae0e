#include "test_util.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

namespace fixar::sweep::testing {

namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  path_ = fs::temp_directory_path() / fmt::format("fixar_sweep_test_{}_{}", ::getpid(), counter++);
  fs::remove_all(path_);
  fs::create_directories(path_);
}
ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

InDirectory::InDirectory(const fs::path& dir) : old_(fs::current_path()) { fs::current_path(dir); }
InDirectory::~InDirectory() { fs::current_path(old_); }

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::trunc) << text;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string PendulumGrid(const std::string& more, const std::string& steps) {
  return fmt::format(R"([sweep]
name = "t"
config = "{}/configs/train/pendulum_fixar.toml"
tasks = ["Pendulum"]
precisions = ["float32", "fixar"]
seeds = [0, 1]
steps = {}
{}
)",
                     FIXAR_SOURCE_DIR, steps, more);
}

}  // namespace fixar::sweep::testing
