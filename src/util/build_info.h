// Where this binary came from: the git commit it was built from, whether the work tree
// had uncommitted changes then, the build type and the compiler. Runs record it
// (e.g. a sweep's provenance.json) so a result can be traced to its code.
#pragma once

#include <string>

namespace fixar::util {

struct BuildInfo {
  std::string commit;      // full git SHA of HEAD at build time; "unknown" outside git
  bool dirty = false;      // tracked files had uncommitted changes at build time
  std::string build_type;  // CMAKE_BUILD_TYPE (the build configuration)
  std::string compiler;    // e.g. "GCC 12.2.0"
  // One line: "<first 12 characters of the commit>[-dirty] <build_type> <compiler>".
  std::string describe() const;
};

// Read at build time (not configure time): every build refreshes the commit.
const BuildInfo& GetBuildInfo();

}  // namespace fixar::util
