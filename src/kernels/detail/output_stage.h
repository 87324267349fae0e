// Internal: the integer output stage of the fast paths, one row segment at a time.
//
// Same arithmetic as the reference (x = acc + bias; num::Requantize; ReLU), but with the
// quantization and overflow modes as template parameters (chosen once per call) and
// int64 arithmetic whenever it provably equals the int128 definition: 1 <= shift <= 62
// and acc + bias fits int64. Anything else falls back to num::Requantize itself.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/gemm.h"
#include "numerics/rounding.h"

namespace fixar::kern::detail {

struct FinishContext {
  OutputStage stage;
  int N = 0;  // columns of C, for the stochastic-rounding counter i*N + j
  int shift = 0;  // acc_frac_bits - out.frac_bits
  std::int64_t min_raw = 0, max_raw = 0;
};

inline FinishContext MakeFinishContext(const OutputStage& s, int N) {
  FinishContext f;
  f.stage = s;
  f.N = N;
  f.shift = s.acc_frac_bits - s.out.frac_bits;
  f.min_raw = s.out.min_raw();
  f.max_raw = s.out.max_raw();
  return f;
}

template <num::Overflow O>
inline std::int64_t HandleOverflow64(std::int64_t y, const FinishContext& f,
                                     std::uint64_t* overflows) {
  if constexpr (O == num::Overflow::kSaturate) {
    const std::int64_t clamped = std::min(std::max(y, f.min_raw), f.max_raw);
    *overflows += static_cast<std::uint64_t>(clamped != y);
    return clamped;
  } else {
    return num::Wrap(y, f.stage.out, overflows);
  }
}

// C[i][j0 .. j0+count) from accumulators acc[0 .. count).
template <typename Acc, typename TC, num::Quant Q, num::Overflow O>
void FinishRowT(const Acc* acc, int count, int i, int j0, TC* c_row, const FinishContext& f,
                std::uint64_t* saturations) {
  const OutputStage& s = f.stage;
  for (int t = 0; t < count; ++t) {
    const int j = j0 + t;
    std::uint64_t random_bits = 0;
    if constexpr (Q == num::Quant::kStochastic) {
      random_bits = num::CounterRandomBits(s.seed, static_cast<std::uint64_t>(i) * f.N + j);
    }
    std::int64_t v;
    std::int64_t x64;
    const std::int64_t bias = s.bias != nullptr ? s.bias[j] : 0;
    if (sizeof(Acc) <= 8 && f.shift >= 0 && f.shift <= 62 &&
        !__builtin_add_overflow(static_cast<std::int64_t>(acc[t]), bias, &x64)) {
      const std::int64_t y = f.shift == 0 ? x64 : num::RoundingShiftRight64<Q>(x64, f.shift, random_bits);
      v = HandleOverflow64<O>(y, f, saturations);
    } else {
      const num::int128 x = static_cast<num::int128>(acc[t]) + bias;
      v = num::Requantize(x, s.acc_frac_bits, s.out, Q, O, random_bits, saturations);
    }
    v = s.relu ? std::max<std::int64_t>(v, 0) : v;
    c_row[j] = static_cast<TC>(v);
  }
}

template <typename Acc, typename TC>
using FinishRowFn = void (*)(const Acc*, int, int, int, TC*, const FinishContext&, std::uint64_t*);

template <typename Acc, typename TC, num::Quant Q>
FinishRowFn<Acc, TC> SelectFinishRowO(num::Overflow o) {
  return o == num::Overflow::kSaturate ? &FinishRowT<Acc, TC, Q, num::Overflow::kSaturate>
                                       : &FinishRowT<Acc, TC, Q, num::Overflow::kWrap>;
}

template <typename Acc, typename TC>
FinishRowFn<Acc, TC> SelectFinishRow(num::Quant q, num::Overflow o) {
  switch (q) {
    case num::Quant::kFloor: return SelectFinishRowO<Acc, TC, num::Quant::kFloor>(o);
    case num::Quant::kTowardZero: return SelectFinishRowO<Acc, TC, num::Quant::kTowardZero>(o);
    case num::Quant::kHalfUp: return SelectFinishRowO<Acc, TC, num::Quant::kHalfUp>(o);
    case num::Quant::kHalfEven: return SelectFinishRowO<Acc, TC, num::Quant::kHalfEven>(o);
    case num::Quant::kStochastic: return SelectFinishRowO<Acc, TC, num::Quant::kStochastic>(o);
  }
  return SelectFinishRowO<Acc, TC, num::Quant::kHalfEven>(o);
}

}  // namespace fixar::kern::detail
