// SIMD packing of the integer products' panels (detail/pack_kernels.h), written once with
// Google Highway and compiled per x86 target like gemm_simd.cpp. The kNT panel of int16
// pairs is a transposition of 32-bit words: blocks of 4 rows × 4 pairs are loaded as four
// 128-bit vectors and transposed by interleaving (32-bit, then 64-bit), the rest word by
// word. Every word is copied, so the result is the scalar loop's whatever the path.

#include "kernels/detail/hwy_targets.h"  // first: the targets every dispatch table shares

#include <cstdint>
#include <cstring>

#include "kernels/detail/pack_kernels.h"
#include "kernels/detail/path_table.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/pack_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace fixar::kern::detail {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
PackKernels GetPackKernels() { return PackKernels{}; }
#else

namespace hn = hwy::HWY_NAMESPACE;

using D32 = hn::Full128<std::int32_t>;
using D64 = hn::Full128<std::int64_t>;

// One 32-bit word (an int16 pair) from unaligned int16 storage.
HWY_INLINE void CopyWord(const std::int16_t* from, std::int16_t* to) { std::memcpy(to, from, 2 * sizeof(std::int16_t)); }

void PairsNT(const std::int16_t* B, int ldb, int j0, int cols, int K, int NR, std::int16_t* dst) {
  const D32 d32;
  const D64 d64;
  const int full_pairs = K / 2, block_cols = cols / 4 * 4, block_pairs = full_pairs / 4 * 4;
  for (int c = 0; c < block_cols; c += 4) {
    const std::int16_t* r0 = B + static_cast<long>(j0 + c) * ldb;
    const std::int16_t* r1 = r0 + ldb;
    const std::int16_t* r2 = r1 + ldb;
    const std::int16_t* r3 = r2 + ldb;
    for (int p = 0; p < block_pairs; p += 4) {
      // Row i's pairs p..p+3 as 4 words: w_i = [i0 i1 i2 i3].
      const auto w0 = hn::LoadU(d32, reinterpret_cast<const std::int32_t*>(r0 + 2 * p));
      const auto w1 = hn::LoadU(d32, reinterpret_cast<const std::int32_t*>(r1 + 2 * p));
      const auto w2 = hn::LoadU(d32, reinterpret_cast<const std::int32_t*>(r2 + 2 * p));
      const auto w3 = hn::LoadU(d32, reinterpret_cast<const std::int32_t*>(r3 + 2 * p));
      const auto lo01 = hn::BitCast(d64, hn::InterleaveLower(d32, w0, w1));  // [00 10] [01 11]
      const auto lo23 = hn::BitCast(d64, hn::InterleaveLower(d32, w2, w3));  // [20 30] [21 31]
      const auto hi01 = hn::BitCast(d64, hn::InterleaveUpper(d32, w0, w1));  // [02 12] [03 13]
      const auto hi23 = hn::BitCast(d64, hn::InterleaveUpper(d32, w2, w3));  // [22 32] [23 33]
      auto* out = reinterpret_cast<std::int32_t*>(dst) + static_cast<long>(p) * NR + c;
      hn::StoreU(hn::BitCast(d32, hn::InterleaveLower(d64, lo01, lo23)), d32, out);
      hn::StoreU(hn::BitCast(d32, hn::InterleaveUpper(d64, lo01, lo23)), d32, out + NR);
      hn::StoreU(hn::BitCast(d32, hn::InterleaveLower(d64, hi01, hi23)), d32, out + 2 * NR);
      hn::StoreU(hn::BitCast(d32, hn::InterleaveUpper(d64, hi01, hi23)), d32, out + 3 * NR);
    }
  }
  // The rest word by word: pairs past the last block of 4 for the block columns, and every
  // pair of the columns past the last block of 4.
  for (int c = 0; c < cols; ++c) {
    const std::int16_t* row = B + static_cast<long>(j0 + c) * ldb;
    for (int p = c < block_cols ? block_pairs : 0; p < full_pairs; ++p)
      CopyWord(row + 2 * p, dst + (static_cast<long>(p) * NR + c) * 2);
  }
}

PackKernels GetPackKernels() {
  PackKernels k;
  k.pairs_nt = &PairsNT;
  return k;
}
#endif  // HWY_TARGET == HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace fixar::kern::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace fixar::kern::detail {

HWY_EXPORT(GetPackKernels);

const PackKernels& PackKernelsFor(Path p) {
  static const PathTable<PackKernels> table(HWY_DISPATCH_TABLE(GetPackKernels), "PackKernelsFor");
  return table.For(p);
}

}  // namespace fixar::kern::detail
#endif  // HWY_ONCE
