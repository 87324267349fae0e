// The numerical kernels of the CNN layers, templated on the scalar so that the same
// code runs in float32 (training: kern::MatMul → GemmF32, SIMD and threads) and float64
// (the finite-difference gradient checks: kern::MatMul's plain loop). Layout is N x C x H x W throughout.
//
// Convolution is lowered to matrix products (im2col). For a chunk of S samples the
// patches are laid side by side: col[K][S*P] with K = c_in*k*k rows and P = out_h*out_w
// positions per sample, so one product serves the whole chunk:
//   forward       Y[c_out][S*P]  = W[c_out][K] · col[K][S*P]            (kNN) + bias
//   weight grad   dW[c_out][K]   = dY[c_out][S*P] · col[K][S*P]ᵀ        (kNT)
//   input grad    dcol[K][S*P]   = W[c_out][K]ᵀ · dY[c_out][S*P]        (kTN), then col2im
// Chunks of kConvChunk samples are the parallel tasks (kern::ParallelFor); a chunk's
// work and the order in which per-chunk weight gradients are summed do not depend on
// the thread count, so results are the same bits for any number of threads.
// bench_cnn_train --compare-direct measures this against ConvForwardDirect.
#pragma once

#include <cstdint>

namespace fixar::cnn {

inline constexpr int kConvChunk = 8;  // samples per parallel task (fixed: determinism)
// The number of chunks (parallel tasks) for n samples.
inline constexpr int ConvChunks(int n) { return (n + kConvChunk - 1) / kConvChunk; }

struct ConvGeometry {
  int c_in = 1, h = 1, w = 1;  // input map
  int c_out = 1, kernel = 1, stride = 1, padding = 0;
  int out_h() const { return (h + 2 * padding - kernel) / stride + 1; }
  int out_w() const { return (w + 2 * padding - kernel) / stride + 1; }
  int patch() const { return c_in * kernel * kernel; }  // K: rows of the lowered matrix
  int positions() const { return out_h() * out_w(); }  // P
};

// col[r][j] for r < K, j < P, rows `ld` apart: the input patches of one sample (zeros
// where the window hangs over the padding).
template <typename T>
void Im2Col(const ConvGeometry& g, const T* x, T* col, int ld);
// The adjoint of Im2Col: dx += scatter(col).
template <typename T>
void Col2ImAdd(const ConvGeometry& g, const T* col, int ld, T* dx);

// y[n][c_out][oh][ow] = b[c_out] + Σ W[c_out][c_in][ky][kx] · x[n][c_in][oh*s+ky−p][ow*s+kx−p].
// b may be null (no bias).
template <typename T>
void ConvForward(const ConvGeometry& g, int n, const T* x, const T* W, const T* b, T* y);
// Overwrites dW (c_out*K) and db (c_out; may be null) with the batch sums; dx (may be
// null) is overwritten with the input gradient.
template <typename T>
void ConvBackward(const ConvGeometry& g, int n, const T* x, const T* W, const T* dy, T* dW, T* db, T* dx);
// float with stride 1 runs the implicit GEMM of conv_fast.h; double (the gradient
// checks) and other strides run the im2col lowering below.
// The im2col lowering through kern::MatMul (kern::GemmF32 for float): the earlier float path,
// kept as a reference for the panel path and for what the panels do not cover.
template <typename T>
void ConvForwardIm2col(const ConvGeometry& g, int n, const T* x, const T* W, const T* b, T* y);
template <typename T>
void ConvBackwardIm2col(const ConvGeometry& g, int n, const T* x, const T* W, const T* dy, T* dW, T* db, T* dx);
// The definition, seven plain loops: the reference the im2col path is tested against.
template <typename T>
void ConvForwardDirect(const ConvGeometry& g, int n, const T* x, const T* W, const T* b, T* y);

// Pooling windows without padding; out = floor((in − kernel) / stride) + 1.
struct PoolGeometry {
  int c = 1, h = 1, w = 1, kernel = 2, stride = 2;
  int out_h() const { return (h - kernel) / stride + 1; }
  int out_w() const { return (w - kernel) / stride + 1; }
};
// argmax[i] = the input offset (within the sample) of output i's maximum (first on ties).
template <typename T>
void MaxPoolForward(const PoolGeometry& g, int n, const T* x, T* y, std::int32_t* argmax);
template <typename T>
void MaxPoolBackward(const PoolGeometry& g, int n, const T* dy, const std::int32_t* argmax, T* dx);
template <typename T>
void AvgPoolForward(const PoolGeometry& g, int n, const T* x, T* y);
template <typename T>
void AvgPoolBackward(const PoolGeometry& g, int n, const T* dy, T* dx);

// Batch normalisation over (N, H, W) per channel (Ioffe & Szegedy 2015):
//   x̂ = (x − μ_B) / √(σ²_B + ε),  y = γ x̂ + β   (σ²_B: biased batch variance).
// Training: writes the batch mean and 1/√(σ²_B + ε) per channel (for the backward pass)
// and the biased batch variance to var_out.
template <typename T>
void BatchNormForwardTrain(int n, int c, int hw, const T* x, const T* gamma, const T* beta, T eps, T* y, T* mean_out,
                           T* invstd_out, T* var_out);
// Inference: the running statistics instead of the batch's.
template <typename T>
void BatchNormForwardEval(int n, int c, int hw, const T* x, const T* gamma, const T* beta, const T* mean,
                          const T* var, T eps, T* y);
//   dγ = Σ dy·x̂,  dβ = Σ dy,  dx = γ·invstd/M · (M·dy − dβ − x̂·dγ)   (M = N·H·W)
template <typename T>
void BatchNormBackward(int n, int c, int hw, const T* x, const T* gamma, const T* mean, const T* invstd, const T* dy,
                       T* dx, T* dgamma, T* dbeta);

// Mean over the batch of −log softmax(logits)[label]; dlogits = (softmax − onehot) / n.
// dlogits may be null. Throws std::out_of_range for a label outside [0, classes).
template <typename T>
T SoftmaxCrossEntropy(int n, int classes, const T* logits, const std::int32_t* labels, T* dlogits);

}  // namespace fixar::cnn
