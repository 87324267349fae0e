// Integer helpers shared by the kernels, the CNN layers and the accelerator models.
#pragma once

#include <concepts>
#include <type_traits>

namespace fixar::util {

// ⌈a / b⌉ for a ≥ 0 and b > 0, computed in R: the callers' integer type when given
// (CeilDiv<std::uint64_t>(n, lanes)), else the common type of a and b.
template <typename R = void, std::integral A, std::integral B>
constexpr auto CeilDiv(A a, B b) {
  using T = std::conditional_t<std::is_void_v<R>, std::common_type_t<A, B>, R>;
  return static_cast<T>((static_cast<T>(a) + static_cast<T>(b) - 1) / static_cast<T>(b));
}

}  // namespace fixar::util
