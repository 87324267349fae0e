#include "cnn/conv_fast.h"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "kernels/panel_gemm.h"
#include "kernels/parallel.h"
#include "util/int_math.h"

namespace fixar::cnn {
namespace {

// Per-thread buffers, grown once and reused (the pool's workers persist across calls).
struct PanelScratch {
  std::vector<float> xpad, out, dyt;
  std::vector<std::ptrdiff_t> a_rows, b_rows;
};
PanelScratch& ThreadPanelScratch() {
  thread_local PanelScratch s;
  return s;
}

// A chunk of S samples on the zero-padded grid. Rows are Wp = w + p apart and samples
// Rs = h + p rows apart: the p zero columns that end a row are also the left padding of
// the next row, and the p zero rows after a sample the top padding of the next one
// (a window reaching p past the image's right edge lands in them). Per sample the grid
// has Rs·Wp positions: 64 for 7x7 with padding 1 where separate padding needs 81.
struct Grid {
  int S, Rs, Wp;
  long positions;   // S·Rs·Wp: the output grid of the chunk (outputs and positions dropped)
  long cs;          // floats per channel: (S·Rs + p)·Wp
  int num_panels;   // positions rounded up to whole panels of NR
  long size;        // floats of the buffer, with the slack the last reads need
  Grid(const ConvGeometry& g, int samples, int NR)
      : S(samples), Rs(g.h + g.padding), Wp(g.w + g.padding), positions(static_cast<long>(S) * Rs * Wp),
        cs((static_cast<long>(S) * Rs + g.padding) * Wp), num_panels(static_cast<int>(util::CeilDiv(positions, NR))),
        // Row (c, ky, kx) of the last channel reads up to offset (k−1)(Wp+1) + panels·NR.
        size(std::max(static_cast<long>(g.c_in) * cs, static_cast<long>(g.c_in - 1) * cs +
                                                           static_cast<long>(g.kernel - 1) * (Wp + 1) +
                                                           static_cast<long>(num_panels) * NR)) {}
  // Grid position of output (s, oy, ox), and where image pixel (s, c, iy, ix) lies.
  long Position(int s, int oy, int ox) const { return (static_cast<long>(s) * Rs + oy) * Wp + ox; }
  long Pixel(int p, int s, int c, int iy, int ix) const { return c * cs + Position(s, iy + p, ix + p); }
};

// x (S samples, N x C x H x W) -> the padded grid, zero outside the images.
void PadChunk(const ConvGeometry& g, const Grid& grid, const float* x, float* dst) {
  std::fill(dst, dst + grid.size, 0.0f);
  const long hw = static_cast<long>(g.h) * g.w;
  for (int s = 0; s < grid.S; ++s)
    for (int c = 0; c < g.c_in; ++c) {
      const float* src = x + (static_cast<long>(s) * g.c_in + c) * hw;
      for (int iy = 0; iy < g.h; ++iy) {
        float* d = dst + grid.Pixel(g.padding, s, c, iy, 0);
        for (int ix = 0; ix < g.w; ++ix) d[ix] = src[iy * g.w + ix];
      }
    }
}

// Offset of im2col row r = (c, ky, kx) in the padded buffer.
void TapOffsets(const ConvGeometry& g, const Grid& grid, std::vector<std::ptrdiff_t>& off) {
  const int k = g.kernel;
  off.resize(g.patch());
  for (int c = 0; c < g.c_in; ++c)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) off[(c * k + ky) * k + kx] = c * grid.cs + static_cast<long>(ky) * grid.Wp + kx;
}

// One chunk of the forward pass (the caller's task): y = W · Xpad-shifted + b.
void ForwardChunk(const ConvGeometry& g, int S, const float* x, const float* W, const float* b, float* y) {
  const int NR = kern::PanelWidth(), K = g.patch(), oh = g.out_h(), ow = g.out_w();
  const Grid grid(g, S, NR);
  auto& s = ThreadPanelScratch();
  s.xpad.resize(grid.size);
  PadChunk(g, grid, x, s.xpad.data());
  TapOffsets(g, grid, s.b_rows);
  s.a_rows.resize(g.c_out);
  for (int co = 0; co < g.c_out; ++co) s.a_rows[co] = static_cast<std::ptrdiff_t>(co) * K;
  const int ldc = grid.num_panels * NR;
  s.out.resize(static_cast<std::size_t>(g.c_out) * ldc);
  kern::PanelGemmF32({g.c_out, K, W, s.a_rows.data(), s.xpad.data(), s.b_rows.data(), NR, grid.num_panels,
                      s.out.data(), ldc, false});
  // Keep the grid positions that are outputs, add the bias.
  for (int i = 0; i < S; ++i)
    for (int co = 0; co < g.c_out; ++co) {
      const float* src = s.out.data() + static_cast<long>(co) * ldc;
      float* dst = y + (static_cast<long>(i) * g.c_out + co) * oh * ow;
      const float bias = b ? b[co] : 0.0f;
      for (int oy = 0; oy < oh; ++oy) {
        const float* row = src + grid.Position(i, oy, 0);
        for (int ox = 0; ox < ow; ++ox) dst[oy * ow + ox] = row[ox] + bias;
      }
    }
}

// dY of a chunk on the padded grid as panels of NR output channels: panel q holds, for
// every grid position n (the reduction axis), channels q·NR .. q·NR+NR−1; zero at grid
// positions that are not outputs and for channels past c_out.
void GradPanels(const ConvGeometry& g, const Grid& grid, const float* dy, int NR, float* dst) {
  const int oh = g.out_h(), ow = g.out_w(), P = oh * ow;
  // Position-major: each grid position's NR channels are written as one contiguous run
  // (reading dY with a stride of P). Channel-major writes, NR floats apart, touched a
  // new cache line per value and were the larger part of conv1's backward pass.
  for (int q = 0; q < util::CeilDiv(g.c_out, NR); ++q) {
    const int c0 = q * NR, cn = std::min(NR, g.c_out - c0);
    float* panel = dst + static_cast<long>(q) * grid.positions * NR;
    for (int s = 0; s < grid.S; ++s)
      for (int gy = 0; gy < grid.Rs; ++gy) {
        float* row = panel + grid.Position(s, gy, 0) * NR;
        if (gy >= oh) {
          std::fill(row, row + static_cast<long>(grid.Wp) * NR, 0.0f);
          continue;
        }
        const float* src = dy + (static_cast<long>(s) * g.c_out + c0) * P + gy * ow;
        for (int ox = 0; ox < grid.Wp; ++ox) {
          float* d = row + static_cast<long>(ox) * NR;
          const int valid = ox < ow ? cn : 0;
          for (int j = 0; j < valid; ++j) d[j] = src[static_cast<long>(j) * P + ox];
          for (int j = valid; j < NR; ++j) d[j] = 0.0f;
        }
      }
  }
}

// The geometry of the input gradient as a forward convolution of dY.
ConvGeometry TransposedGeometry(const ConvGeometry& g) {
  return {g.c_out, g.out_h(), g.out_w(), g.c_in, g.kernel, 1, g.kernel - 1 - g.padding};
}

// W'[c_in][c_out][ky][kx] = W[c_out][c_in][k−1−ky][k−1−kx].
std::vector<float> FlippedWeights(const ConvGeometry& g, const float* W) {
  const int kk = g.kernel * g.kernel;
  std::vector<float> w(static_cast<std::size_t>(g.c_in) * g.c_out * kk);
  for (int co = 0; co < g.c_out; ++co)
    for (int ci = 0; ci < g.c_in; ++ci)
      for (int t = 0; t < kk; ++t)
        w[(static_cast<std::size_t>(ci) * g.c_out + co) * kk + (kk - 1 - t)] =
            W[(static_cast<std::size_t>(co) * g.c_in + ci) * kk + t];
  return w;
}

// dWᵀ of one chunk into dwt (K rows of ldw floats).
void WeightGradChunk(const ConvGeometry& g, int S, const float* x, const float* dy, float* dwt, int ldw) {
  const int NR = kern::PanelWidth(), co_panels = util::CeilDiv(g.c_out, NR);
  const Grid grid(g, S, NR);
  auto& s = ThreadPanelScratch();
  s.xpad.resize(grid.size);
  PadChunk(g, grid, x, s.xpad.data());
  s.dyt.resize(static_cast<std::size_t>(co_panels) * grid.positions * NR);
  GradPanels(g, grid, dy, NR, s.dyt.data());
  TapOffsets(g, grid, s.a_rows);
  s.b_rows.resize(grid.positions);
  for (long n = 0; n < grid.positions; ++n) s.b_rows[n] = n * NR;
  kern::PanelGemmF32({g.patch(), static_cast<int>(grid.positions), s.xpad.data(), s.a_rows.data(), s.dyt.data(),
                      s.b_rows.data(), grid.positions * NR, co_panels, dwt, ldw, false});
}

void Require(const ConvGeometry& g, const char* where) {
  if (!PanelConvApplies(g))
    throw std::invalid_argument(std::string(where) + ": needs stride 1 and padding <= kernel - 1");
}

}  // namespace

bool PanelConvApplies(const ConvGeometry& g) { return g.stride == 1 && g.padding <= g.kernel - 1; }

void ConvForwardPanels(const ConvGeometry& g, int n, const float* x, const float* W, const float* b, float* y) {
  Require(g, "ConvForwardPanels");
  const std::size_t in_size = static_cast<std::size_t>(g.c_in) * g.h * g.w;
  const std::size_t out_size = static_cast<std::size_t>(g.c_out) * g.positions();
  kern::ParallelFor(ConvChunks(n), [&](int task) {
    const int s0 = task * kConvChunk, S = std::min(kConvChunk, n - s0);
    ForwardChunk(g, S, x + s0 * in_size, W, b, y + s0 * out_size);
  });
}

void ConvBackwardPanels(const ConvGeometry& g, int n, const float* x, const float* W, const float* dy, float* dW,
                        float* db, float* dx) {
  Require(g, "ConvBackwardPanels");
  const int K = g.patch(), P = g.positions(), NR = kern::PanelWidth();
  const int ldw = util::CeilDiv(g.c_out, NR) * NR;
  const std::size_t in_size = static_cast<std::size_t>(g.c_in) * g.h * g.w;
  const std::size_t out_size = static_cast<std::size_t>(g.c_out) * P;
  const std::size_t wt_size = static_cast<std::size_t>(K) * ldw;
  const int tasks = ConvChunks(n);
  std::vector<float> dwt(static_cast<std::size_t>(tasks) * wt_size);  // dWᵀ per chunk
  const std::vector<float> w_flipped = dx ? FlippedWeights(g, W) : std::vector<float>{};
  const ConvGeometry gt = TransposedGeometry(g);
  kern::ParallelFor(tasks, [&](int task) {
    const int s0 = task * kConvChunk, S = std::min(kConvChunk, n - s0);
    WeightGradChunk(g, S, x + s0 * in_size, dy + s0 * out_size, dwt.data() + task * wt_size, ldw);
    if (dx) ForwardChunk(gt, S, dy + s0 * out_size, w_flipped.data(), nullptr, dx + s0 * in_size);
  });
  // dW[co][k] = Σ_chunks dWᵀ[k][co], in chunk order (the same bits for any thread count).
  for (int co = 0; co < g.c_out; ++co)
    for (int r = 0; r < K; ++r) {
      float acc = dwt[static_cast<std::size_t>(r) * ldw + co];
      for (int t = 1; t < tasks; ++t) acc += dwt[t * wt_size + static_cast<std::size_t>(r) * ldw + co];
      dW[static_cast<std::size_t>(co) * K + r] = acc;
    }
  if (db) {
    for (int co = 0; co < g.c_out; ++co) {
      double acc = 0;  // double: P·N terms of mixed sign
      for (int i = 0; i < n; ++i) {
        const float* d = dy + i * out_size + static_cast<std::size_t>(co) * P;
        for (int p = 0; p < P; ++p) acc += d[p];
      }
      db[co] = static_cast<float>(acc);
    }
  }
}

}  // namespace fixar::cnn
