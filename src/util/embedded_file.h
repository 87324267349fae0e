// A text file of the source tree built into a library at build time
// (src/util/embed_files.cmake, fixar_embed_files() in the top-level CMakeLists.txt), so
// that the program finds it from any directory.
#pragma once

namespace fixar::util {

struct EmbeddedFile {
  const char* path;  // relative to the source tree, e.g. "configs/train/hopper.toml"
  const char* text;
};

}  // namespace fixar::util
