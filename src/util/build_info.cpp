#include "util/build_info.h"

#include <fmt/format.h>

// Written at build time by build_info.cmake: FIXAR_GIT_COMMIT, FIXAR_GIT_DIRTY, FIXAR_BUILD_TYPE.
#include "build_info_generated.h"

namespace fixar::util {
namespace {

std::string CompilerName() {
#if defined(__clang__)
  return fmt::format("Clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown compiler";
#endif
}

}  // namespace

std::string BuildInfo::describe() const {
  return fmt::format("{}{} {} {}", commit.substr(0, 12), dirty ? "-dirty" : "", build_type, compiler);
}

const BuildInfo& GetBuildInfo() {
  static const BuildInfo info{FIXAR_GIT_COMMIT, FIXAR_GIT_DIRTY != 0, FIXAR_BUILD_TYPE, CompilerName()};
  return info;
}

}  // namespace fixar::util
