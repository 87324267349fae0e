// Helpers shared by the sweep tests: scratch directories, files, the working directory.
#pragma once

#include <filesystem>
#include <string>

namespace fixar::sweep::testing {

// A fresh directory under the system's temp directory, removed at the end of its scope.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs in `dir` until the end of its scope (grids name their base config relative to the cwd).
class InDirectory {
 public:
  explicit InDirectory(const std::filesystem::path& dir);
  ~InDirectory();
  InDirectory(const InDirectory&) = delete;
  InDirectory& operator=(const InDirectory&) = delete;

 private:
  std::filesystem::path old_;
};

void WriteFile(const std::filesystem::path& path, const std::string& text);
std::string ReadFile(const std::filesystem::path& path);

// A grid for Pendulum with the repository's Pendulum config (absolute path), followed by `more`.
std::string PendulumGrid(const std::string& more = "", const std::string& steps = "2000");

}  // namespace fixar::sweep::testing
