// Files that nothing can leave half-written, and directories one process owns at a time.
#pragma once

#include <string>

namespace fixar::util {

// Writes `text` to path.tmp, fsyncs it and renames it over `path`: a reader (or a crash)
// sees the old file or the new one, never a mix. Throws std::runtime_error naming the
// path and the system's reason when the file cannot be written.
void WriteTextAtomically(const std::string& path, const std::string& text);

// An exclusive advisory lock (flock) on DIR/.lock, held for the object's lifetime; the file
// holds the owner's pid. A second process is refused with std::runtime_error naming the
// directory and the holder's pid. The kernel drops the lock when the process dies, so a
// crashed or killed owner never leaves the directory locked.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace fixar::util
