// Path names and run-time selection: the best path this CPU supports, unless
// FIXAR_KERNEL_PATH or ForcePath() says otherwise.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include "kernels/detail/simd_kernels.h"
#include "kernels/gemm.h"

namespace fixar::kern {
namespace {

constexpr Path kAllPaths[] = {Path::kReference, Path::kSse4, Path::kAvx2, Path::kAvx512,
                              Path::kAvx512Vnni};

std::string AvailableNames() {
  std::string s;
  for (Path p : AvailablePaths()) s += (s.empty() ? "" : ", ") + std::string(to_string(p));
  return s;
}

void RequireAvailable(Path p, const std::string& where) {
  if (!detail::PathSupported(p)) {
    throw std::invalid_argument(where + ": kernel path '" + to_string(p) +
                                "' is not supported by this CPU (available here: " +
                                AvailableNames() + ")");
  }
}

Path BestPath() {
  for (Path p : {Path::kAvx512Vnni, Path::kAvx512, Path::kAvx2, Path::kSse4}) {
    if (detail::PathSupported(p)) return p;
  }
  return Path::kReference;
}

// The path in force, as an int; -1 until first use (then FIXAR_KERNEL_PATH or the best).
std::atomic<int> g_active_path{-1};
std::once_flag g_init_once;

void InitFromEnvironment() {
  const char* env = std::getenv("FIXAR_KERNEL_PATH");
  Path p = BestPath();
  if (env != nullptr && *env != '\0') {
    const std::string where = std::string("FIXAR_KERNEL_PATH=") + env;
    try {
      p = parse_path(env);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + ": " + e.what());
    }
    RequireAvailable(p, where);
  }
  int expected = -1;  // a ForcePath() before first use wins over the environment
  g_active_path.compare_exchange_strong(expected, static_cast<int>(p));
}

}  // namespace

const char* to_string(Path p) {
  switch (p) {
    case Path::kReference: return "reference";
    case Path::kSse4: return "sse4";
    case Path::kAvx2: return "avx2";
    case Path::kAvx512: return "avx512";
    case Path::kAvx512Vnni: return "avx512_vnni";
  }
  return "unknown";  // a value outside the enum (cast from an int)
}

Path parse_path(const std::string& name) {
  for (Path p : kAllPaths) {
    if (name == to_string(p)) return p;
  }
  throw std::invalid_argument("'" + name +
                              "' is not a kernel path; valid names: reference, sse4, avx2, "
                              "avx512, avx512_vnni");
}

std::vector<Path> AvailablePaths() {
  std::vector<Path> paths;
  for (Path p : kAllPaths) {
    if (detail::PathSupported(p)) paths.push_back(p);
  }
  return paths;
}

Path ActivePath() {
  if (g_active_path.load(std::memory_order_acquire) < 0) {
    std::call_once(g_init_once, InitFromEnvironment);
  }
  return static_cast<Path>(g_active_path.load(std::memory_order_acquire));
}

void ForcePath(Path p) {
  RequireAvailable(p, "kern::ForcePath");
  g_active_path.store(static_cast<int>(p), std::memory_order_release);
}

}  // namespace fixar::kern
