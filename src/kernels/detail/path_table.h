// The kernels of each SIMD path, read once from a Highway dispatch table (internal).
// Each dynamic-dispatch unit exports a getter (HWY_EXPORT(GetXKernels)) that returns its
// kernel struct for the target it was compiled for; PathTable calls the getter of every
// path this CPU and build support, at the table index HWY_DYNAMIC_DISPATCH would use, and
// hands out the struct by path. Highway's global target choice is never changed.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "kernels/detail/elementwise_kernels.h"  // HighwayDispatchIndex
#include "kernels/detail/simd_kernels.h"         // PathSupported

namespace fixar::kern::detail {

template <class Kernels>
class PathTable {
 public:
  // `dispatch_table`: HWY_DISPATCH_TABLE(getter); `name` names the lookup in errors.
  PathTable(Kernels (*const* dispatch_table)(), const char* name) : name_(name) {
    for (Path p : {Path::kSse4, Path::kAvx2, Path::kAvx512, Path::kAvx512Vnni})
      if (PathSupported(p)) by_path_[static_cast<int>(p)] = dispatch_table[HighwayDispatchIndex(p)]();
  }

  // Throws std::invalid_argument for the reference path and paths this CPU or build lacks.
  const Kernels& For(Path p) const {
    if (p == Path::kReference || !PathSupported(p))
      throw std::invalid_argument(std::string("kern::detail::") + name_ + ": path '" + to_string(p) +
                                  "' has no SIMD kernels on this CPU or build");
    return by_path_[static_cast<int>(p)];
  }

 private:
  Kernels by_path_[5]{};
  const char* name_;
};

}  // namespace fixar::kern::detail
