#include "cnn/ops.h"

#include "cnn/conv_fast.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/parallel.h"

namespace fixar::cnn {
namespace {


// Scratch buffers reused across calls, one set per thread (the pool's workers persist).
template <typename T>
struct ConvScratch {
  std::vector<T> col, out;
};
template <typename T>
ConvScratch<T>& Scratch() {
  thread_local ConvScratch<T> s;
  return s;
}

}  // namespace

template <typename T>
void Im2Col(const ConvGeometry& g, const T* x, T* col, int ld) {
  const int oh = g.out_h(), ow = g.out_w(), k = g.kernel;
  for (int c = 0; c < g.c_in; ++c)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        T* row = col + static_cast<std::size_t>((c * k + ky) * k + kx) * ld;
        for (int oy = 0; oy < oh; ++oy) {
          const int iy = oy * g.stride + ky - g.padding;
          T* out = row + oy * ow;
          if (iy < 0 || iy >= g.h) {
            std::fill(out, out + ow, T(0));
            continue;
          }
          const T* in = x + (static_cast<std::size_t>(c) * g.h + iy) * g.w;
          if (g.stride == 1) {  // contiguous run: the common case, kept branch-free inside
            const int lo = std::max(0, g.padding - kx), hi = std::min(ow, g.w + g.padding - kx);
            for (int ox = 0; ox < lo; ++ox) out[ox] = 0;
            for (int ox = lo; ox < hi; ++ox) out[ox] = in[ox + kx - g.padding];
            for (int ox = std::max(hi, lo); ox < ow; ++ox) out[ox] = 0;
          } else {
            for (int ox = 0; ox < ow; ++ox) {
              const int ix = ox * g.stride + kx - g.padding;
              out[ox] = (ix >= 0 && ix < g.w) ? in[ix] : T(0);
            }
          }
        }
      }
}

template <typename T>
void Col2ImAdd(const ConvGeometry& g, const T* col, int ld, T* dx) {
  const int oh = g.out_h(), ow = g.out_w(), k = g.kernel;
  for (int c = 0; c < g.c_in; ++c)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        const T* row = col + static_cast<std::size_t>((c * k + ky) * k + kx) * ld;
        for (int oy = 0; oy < oh; ++oy) {
          const int iy = oy * g.stride + ky - g.padding;
          if (iy < 0 || iy >= g.h) continue;
          T* in = dx + (static_cast<std::size_t>(c) * g.h + iy) * g.w;
          const T* src = row + oy * ow;
          for (int ox = 0; ox < ow; ++ox) {
            const int ix = ox * g.stride + kx - g.padding;
            if (ix >= 0 && ix < g.w) in[ix] += src[ox];
          }
        }
      }
}

template <typename T>
void ConvForwardIm2col(const ConvGeometry& g, int n, const T* x, const T* W, const T* b, T* y) {
  const int K = g.patch(), P = g.positions();
  const std::size_t in_size = static_cast<std::size_t>(g.c_in) * g.h * g.w;
  const std::size_t out_size = static_cast<std::size_t>(g.c_out) * P;
  kern::ParallelFor(ConvChunks(n), [&](int task) {
    const int s0 = task * kConvChunk, S = std::min(kConvChunk, n - s0);
    const int ld = S * P;
    auto& scratch = Scratch<T>();
    scratch.col.resize(static_cast<std::size_t>(K) * ld);
    scratch.out.resize(static_cast<std::size_t>(g.c_out) * ld);
    for (int s = 0; s < S; ++s) Im2Col(g, x + (s0 + s) * in_size, scratch.col.data() + s * P, ld);
    kern::MatMul<T>({kern::Layout::kNN, g.c_out, ld, K, W, K, scratch.col.data(), ld, scratch.out.data(), ld});
    // [c_out][S*P] -> S x [c_out][P], adding the bias.
    for (int s = 0; s < S; ++s)
      for (int co = 0; co < g.c_out; ++co) {
        const T* src = scratch.out.data() + static_cast<std::size_t>(co) * ld + s * P;
        T* dst = y + (s0 + s) * out_size + static_cast<std::size_t>(co) * P;
        const T bias = b ? b[co] : T(0);
        for (int p = 0; p < P; ++p) dst[p] = src[p] + bias;
      }
  });
}

template <typename T>
void ConvBackwardIm2col(const ConvGeometry& g, int n, const T* x, const T* W, const T* dy, T* dW, T* db, T* dx) {
  const int K = g.patch(), P = g.positions();
  const std::size_t in_size = static_cast<std::size_t>(g.c_in) * g.h * g.w;
  const std::size_t out_size = static_cast<std::size_t>(g.c_out) * P;
  const std::size_t w_size = static_cast<std::size_t>(g.c_out) * K;
  const int tasks = ConvChunks(n);
  std::vector<T> dW_task(static_cast<std::size_t>(tasks) * w_size);
  kern::ParallelFor(tasks, [&](int task) {
    const int s0 = task * kConvChunk, S = std::min(kConvChunk, n - s0);
    const int ld = S * P;
    auto& scratch = Scratch<T>();
    scratch.col.resize(static_cast<std::size_t>(K) * ld);
    scratch.out.resize(static_cast<std::size_t>(g.c_out) * ld);
    // Gather dY of the chunk as [c_out][S*P].
    for (int s = 0; s < S; ++s)
      for (int co = 0; co < g.c_out; ++co)
        std::copy_n(dy + (s0 + s) * out_size + static_cast<std::size_t>(co) * P, P,
                    scratch.out.data() + static_cast<std::size_t>(co) * ld + s * P);
    for (int s = 0; s < S; ++s) Im2Col(g, x + (s0 + s) * in_size, scratch.col.data() + s * P, ld);
    kern::MatMul<T>({kern::Layout::kNT, g.c_out, K, ld, scratch.out.data(), ld, scratch.col.data(), ld,
                                   dW_task.data() + task * w_size, K});
    if (dx) {
      // dcol reuses col (its patches are no longer needed).
      kern::MatMul<T>({kern::Layout::kTN, K, ld, g.c_out, W, K, scratch.out.data(), ld, scratch.col.data(), ld});
      for (int s = 0; s < S; ++s) {
        T* dxs = dx + (s0 + s) * in_size;
        std::fill(dxs, dxs + in_size, T(0));
        Col2ImAdd(g, scratch.col.data() + s * P, ld, dxs);
      }
    }
  });
  // Sum the chunks' weight gradients in chunk order (the same bits for any thread count).
  std::copy_n(dW_task.data(), w_size, dW);
  for (int t = 1; t < tasks; ++t) {
    const T* src = dW_task.data() + t * w_size;
    for (std::size_t i = 0; i < w_size; ++i) dW[i] += src[i];
  }
  if (db) {
    for (int co = 0; co < g.c_out; ++co) {
      double acc = 0;  // double: P·N terms of mixed sign
      for (int s = 0; s < n; ++s) {
        const T* d = dy + s * out_size + static_cast<std::size_t>(co) * P;
        for (int p = 0; p < P; ++p) acc += d[p];
      }
      db[co] = static_cast<T>(acc);
    }
  }
}

template <typename T>
void ConvForward(const ConvGeometry& g, int n, const T* x, const T* W, const T* b, T* y) {
  if constexpr (std::is_same_v<T, float>) {
    if (PanelConvApplies(g)) return ConvForwardPanels(g, n, x, W, b, y);
  }
  ConvForwardIm2col(g, n, x, W, b, y);
}

template <typename T>
void ConvBackward(const ConvGeometry& g, int n, const T* x, const T* W, const T* dy, T* dW, T* db, T* dx) {
  if constexpr (std::is_same_v<T, float>) {
    if (PanelConvApplies(g)) return ConvBackwardPanels(g, n, x, W, dy, dW, db, dx);
  }
  ConvBackwardIm2col(g, n, x, W, dy, dW, db, dx);
}

template <typename T>
void ConvForwardDirect(const ConvGeometry& g, int n, const T* x, const T* W, const T* b, T* y) {
  const int oh = g.out_h(), ow = g.out_w(), k = g.kernel;
  for (int s = 0; s < n; ++s)
    for (int co = 0; co < g.c_out; ++co)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          T acc = b ? b[co] : T(0);
          for (int ci = 0; ci < g.c_in; ++ci)
            for (int ky = 0; ky < k; ++ky)
              for (int kx = 0; kx < k; ++kx) {
                const int iy = oy * g.stride + ky - g.padding, ix = ox * g.stride + kx - g.padding;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                acc += W[((co * g.c_in + ci) * k + ky) * k + kx] * x[((s * g.c_in + ci) * g.h + iy) * g.w + ix];
              }
          y[((s * g.c_out + co) * oh + oy) * ow + ox] = acc;
        }
}

template <typename T>
void MaxPoolForward(const PoolGeometry& g, int n, const T* x, T* y, std::int32_t* argmax) {
  const int oh = g.out_h(), ow = g.out_w();
  const std::size_t plane_in = static_cast<std::size_t>(g.h) * g.w, plane_out = static_cast<std::size_t>(oh) * ow;
  // One task per sample (a plane per task made thousands of tiny tasks), and the running
  // maximum as a select rather than a branch: which input wins is data-dependent, and the
  // mispredicted branches made this pass cost more than conv1's forward pass (profile:
  // 2.8 vs 2.1 CPU ms per batch of 128).
  kern::ParallelFor(n, [&](int s) {
    for (int c = 0; c < g.c; ++c) {
      const T* in = x + (static_cast<std::size_t>(s) * g.c + c) * plane_in;
      const std::size_t out0 = (static_cast<std::size_t>(s) * g.c + c) * plane_out;
      const int in_offset = c * g.h * g.w;  // offsets are within the sample
      if (g.kernel == 2 && g.stride == 2) {  // both models' pool: fixed 2x2 window, no loops over it
        // Locals and restrict pointers: the int32 argmax stores could alias g's int fields,
        // which made the compiler reload the geometry after every store.
        const int w = g.w;
        T* __restrict yo = y + out0;
        std::int32_t* __restrict am = argmax + out0;
        for (int oy = 0; oy < oh; ++oy)
          for (int ox = 0; ox < ow; ++ox) {
            const int i0 = 2 * oy * w + 2 * ox, i2 = i0 + w;
            const T a = in[i0], b = in[i0 + 1], c2 = in[i2], d = in[i2 + 1];
            // Selects on values already loaded (compiled to cmov / max, no branches).
            int best = b > a ? i0 + 1 : i0;
            T v = b > a ? b : a;
            best = c2 > v ? i2 : best;
            v = c2 > v ? c2 : v;
            best = d > v ? i2 + 1 : best;
            v = d > v ? d : v;
            yo[oy * ow + ox] = v;
            am[oy * ow + ox] = in_offset + best;
          }
        continue;
      }
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          int best = (oy * g.stride) * g.w + ox * g.stride;
          for (int ky = 0; ky < g.kernel; ++ky)
            for (int kx = 0; kx < g.kernel; ++kx) {
              const int i = (oy * g.stride + ky) * g.w + ox * g.stride + kx;
              best = in[i] > in[best] ? i : best;  // the first maximum on ties
            }
          y[out0 + oy * ow + ox] = in[best];
          argmax[out0 + oy * ow + ox] = in_offset + best;
        }
    }
  });
}

template <typename T>
void MaxPoolBackward(const PoolGeometry& g, int n, const T* dy, const std::int32_t* argmax, T* dx) {
  const std::size_t in_size = static_cast<std::size_t>(g.c) * g.h * g.w;
  const std::size_t out_size = static_cast<std::size_t>(g.c) * g.out_h() * g.out_w();
  kern::ParallelFor(n, [&](int s) {
    T* d = dx + s * in_size;
    std::fill(d, d + in_size, T(0));
    for (std::size_t i = 0; i < out_size; ++i) d[argmax[s * out_size + i]] += dy[s * out_size + i];
  });
}

template <typename T>
void AvgPoolForward(const PoolGeometry& g, int n, const T* x, T* y) {
  const int oh = g.out_h(), ow = g.out_w();
  const T inv = T(1) / static_cast<T>(g.kernel * g.kernel);
  kern::ParallelFor(n * g.c, [&](int plane) {
    const T* in = x + static_cast<std::size_t>(plane) * g.h * g.w;
    T* out = y + static_cast<std::size_t>(plane) * oh * ow;
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        T acc = 0;
        for (int ky = 0; ky < g.kernel; ++ky)
          for (int kx = 0; kx < g.kernel; ++kx) acc += in[(oy * g.stride + ky) * g.w + ox * g.stride + kx];
        out[oy * ow + ox] = acc * inv;
      }
  });
}

template <typename T>
void AvgPoolBackward(const PoolGeometry& g, int n, const T* dy, T* dx) {
  const int oh = g.out_h(), ow = g.out_w();
  const T inv = T(1) / static_cast<T>(g.kernel * g.kernel);
  kern::ParallelFor(n * g.c, [&](int plane) {
    T* d = dx + static_cast<std::size_t>(plane) * g.h * g.w;
    const T* up = dy + static_cast<std::size_t>(plane) * oh * ow;
    std::fill(d, d + static_cast<std::size_t>(g.h) * g.w, T(0));
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int ky = 0; ky < g.kernel; ++ky)
          for (int kx = 0; kx < g.kernel; ++kx) d[(oy * g.stride + ky) * g.w + ox * g.stride + kx] += up[oy * ow + ox] * inv;
  });
}

// Sums over one plane (hw values) in T with kLanes independent partial sums, added in a
// fixed order at the end. Why: a single running sum (the earlier double accumulator) is
// a chain of dependent adds the compiler may not reorder, ~4 cycles per value; separate
// partials vectorise. Planes are at most a few thousand values, so float partials lose
// nothing that matters; the planes' sums are then added in double.
constexpr int kLanes = 16;
template <typename T, typename F>
double PlaneSum(int n, const F& term) {
  T part[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) part[j] += term(i + j);
  for (; i < n; ++i) part[i % kLanes] += term(i);
  double sum = 0;
  for (int j = 0; j < kLanes; ++j) sum += part[j];
  return sum;
}

template <typename T>
void BatchNormForwardTrain(int n, int c, int hw, const T* x, const T* gamma, const T* beta, T eps, T* y, T* mean_out,
                           T* invstd_out, T* var_out) {
  const double m = static_cast<double>(n) * hw;
  kern::ParallelFor(c, [&](int ch) {
    double sum = 0, sq = 0;
    for (int s = 0; s < n; ++s) {
      const T* p = x + (static_cast<std::size_t>(s) * c + ch) * hw;
      sum += PlaneSum<T>(hw, [p](int i) { return p[i]; });
    }
    const double mean = sum / m;
    const T mean_t = static_cast<T>(mean);
    for (int s = 0; s < n; ++s) {  // two passes: E[(x−μ)²], not E[x²]−μ² (cancellation)
      const T* p = x + (static_cast<std::size_t>(s) * c + ch) * hw;
      sq += PlaneSum<T>(hw, [p, mean_t](int i) { return (p[i] - mean_t) * (p[i] - mean_t); });
    }
    const double var = sq / m;
    const T invstd = static_cast<T>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    mean_out[ch] = mean_t, invstd_out[ch] = invstd, var_out[ch] = static_cast<T>(var);
    const T scale = gamma[ch] * invstd, shift = beta[ch] - mean_t * scale;
    for (int s = 0; s < n; ++s) {
      const std::size_t o = (static_cast<std::size_t>(s) * c + ch) * hw;
      const T* __restrict src = x + o;
      T* __restrict dst = y + o;
      for (int i = 0; i < hw; ++i) dst[i] = src[i] * scale + shift;
    }
  });
}

template <typename T>
void BatchNormForwardEval(int n, int c, int hw, const T* x, const T* gamma, const T* beta, const T* mean,
                          const T* var, T eps, T* y) {
  kern::ParallelFor(c, [&](int ch) {
    const T scale = gamma[ch] / std::sqrt(var[ch] + eps), shift = beta[ch] - mean[ch] * scale;
    for (int s = 0; s < n; ++s) {
      const std::size_t o = (static_cast<std::size_t>(s) * c + ch) * hw;
      const T* __restrict src = x + o;
      T* __restrict dst = y + o;
      for (int i = 0; i < hw; ++i) dst[i] = src[i] * scale + shift;
    }
  });
}

template <typename T>
void BatchNormBackward(int n, int c, int hw, const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy,
                       T* dx, T* dgamma, T* dbeta) {
  const double m = static_cast<double>(n) * hw;
  kern::ParallelFor(c, [&](int ch) {
    double sdy = 0, sdyx = 0;
    const T mu = mean[ch];
    for (int s = 0; s < n; ++s) {
      const std::size_t o = (static_cast<std::size_t>(s) * c + ch) * hw;
      const T* px = x + o;
      const T* pd = dy + o;
      sdy += PlaneSum<T>(hw, [pd](int i) { return pd[i]; });
      sdyx += PlaneSum<T>(hw, [px, pd, mu](int i) { return pd[i] * (px[i] - mu); });
    }
    sdyx *= static_cast<double>(invstd[ch]);  // Σ dy·x̂
    dgamma[ch] = static_cast<T>(sdyx), dbeta[ch] = static_cast<T>(sdy);
    if (!dx) return;
    const T k = gamma[ch] * invstd[ch], is = invstd[ch];
    const T mean_dy = static_cast<T>(sdy / m), mean_dyx = static_cast<T>(sdyx / m);
    for (int s = 0; s < n; ++s) {
      const std::size_t o = (static_cast<std::size_t>(s) * c + ch) * hw;
      const T* __restrict px = x + o;
      const T* __restrict pd = dy + o;
      T* __restrict out = dx + o;
      for (int i = 0; i < hw; ++i) out[i] = k * (pd[i] - mean_dy - (px[i] - mu) * is * mean_dyx);
    }
  });
}

template <typename T>
T SoftmaxCrossEntropy(int n, int classes, const T* logits, const std::int32_t* labels, T* dlogits) {
  double loss = 0;
  for (int s = 0; s < n; ++s) {
    const int label = labels[s];
    if (label < 0 || label >= classes)
      throw std::out_of_range("SoftmaxCrossEntropy: label " + std::to_string(label) + " of sample " +
                              std::to_string(s) + " is outside [0, " + std::to_string(classes) + ")");
    const T* z = logits + static_cast<std::size_t>(s) * classes;
    const T zmax = *std::max_element(z, z + classes);  // shift: exp never overflows
    double sum = 0;
    for (int j = 0; j < classes; ++j) sum += std::exp(static_cast<double>(z[j] - zmax));
    loss += std::log(sum) - static_cast<double>(z[label] - zmax);
    if (dlogits)
      for (int j = 0; j < classes; ++j)
        dlogits[s * classes + j] =
            static_cast<T>((std::exp(static_cast<double>(z[j] - zmax)) / sum - (j == label ? 1.0 : 0.0)) / n);
  }
  return static_cast<T>(loss / n);
}

#define FIXAR_CNN_INSTANTIATE(T)                                                                                    \
  template void Im2Col<T>(const ConvGeometry&, const T*, T*, int);                                                 \
  template void Col2ImAdd<T>(const ConvGeometry&, const T*, int, T*);                                              \
  template void ConvForward<T>(const ConvGeometry&, int, const T*, const T*, const T*, T*);                        \
  template void ConvForwardIm2col<T>(const ConvGeometry&, int, const T*, const T*, const T*, T*);                  \
  template void ConvBackwardIm2col<T>(const ConvGeometry&, int, const T*, const T*, const T*, T*, T*, T*);         \
  template void ConvBackward<T>(const ConvGeometry&, int, const T*, const T*, const T*, T*, T*, T*);               \
  template void ConvForwardDirect<T>(const ConvGeometry&, int, const T*, const T*, const T*, T*);                  \
  template void MaxPoolForward<T>(const PoolGeometry&, int, const T*, T*, std::int32_t*);                          \
  template void MaxPoolBackward<T>(const PoolGeometry&, int, const T*, const std::int32_t*, T*);                   \
  template void AvgPoolForward<T>(const PoolGeometry&, int, const T*, T*);                                         \
  template void AvgPoolBackward<T>(const PoolGeometry&, int, const T*, T*);                                        \
  template void BatchNormForwardTrain<T>(int, int, int, const T*, const T*, const T*, T, T*, T*, T*, T*);           \
  template void BatchNormForwardEval<T>(int, int, int, const T*, const T*, const T*, const T*, const T*, T, T*);    \
  template void BatchNormBackward<T>(int, int, int, const T*, const T*, const T*, const T*, const T*, T*, T*, T*); \
  template T SoftmaxCrossEntropy<T>(int, int, const T*, const std::int32_t*, T*);

FIXAR_CNN_INSTANTIATE(float)
FIXAR_CNN_INSTANTIATE(double)
#undef FIXAR_CNN_INSTANTIATE

}  // namespace fixar::cnn
