// A text file of the source tree built into a library at build time
// (src/util/embed_files.cmake, fixar_embed_files() in the top-level CMakeLists.txt), so
// that the program finds it from any directory.
#pragma once

#include <span>
#include <string_view>

namespace fixar::util {

struct EmbeddedFile {
  const char* path;  // relative to the source tree, e.g. "configs/train/hopper.toml"
  const char* text;
};

// The file of `files` whose path is `path`, or nullptr.
inline const EmbeddedFile* FindEmbedded(std::span<const EmbeddedFile> files, std::string_view path) {
  for (const EmbeddedFile& f : files)
    if (path == f.path) return &f;
  return nullptr;
}

}  // namespace fixar::util
