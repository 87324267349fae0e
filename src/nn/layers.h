// Float building blocks of the networks, templated on the scalar type so that the
// same code runs in float32 (training, through the SIMD kernels) and float64 (the
// finite-difference gradient checks). Row-major matrices; a batch is rows.
//
//   Linear   y = x·Wᵀ + b          W: out×in
//            dW = dyᵀ·x,  db = Σ_rows dy,  dx = dy·W
//   ReLU     y = max(0, x)         dx = dy ⊙ [y > 0]
//   Tanh     y = tanh(x)           dx = dy ⊙ (1 − y²)
//   MSE      L = mean_i (q_i − t_i)²,  dL/dq_i = 2 (q_i − t_i) / n
//   Concat   [a | b] row by row; SplitColumns is its gradient.
#pragma once

#include <cmath>
#include <span>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/matmul.h"

namespace fixar::nn {

enum class Activation : std::uint8_t { kNone, kRelu, kTanh };
const char* to_string(Activation a);

// Which threads split a product: the paper's adaptive parallelism on the CPU.
enum class Parallelism : std::uint8_t {
  kAuto,        // by shape: one sample on the calling thread, small batches intra-layer, batches intra-batch
  kIntraLayer,  // output neurons across threads
  kIntraBatch,  // batch rows across threads (weight gradients: output neurons, see docs)
};
const char* to_string(Parallelism p);
// The kernel split a product with `rows` batch rows uses under `p`.
kern::Split ChooseSplit(Parallelism p, int batch_rows);

// The products of a linear layer, through kern::MatMul (kernels/matmul.h: float32 on the
// SIMD kernels, float64 in the plain loop of the gradient checks).
template <typename T>
void LinearForward(int batch, int in, int out, const T* x, const T* W, const T* b, T* y, kern::Split split) {
  kern::MatMul<T>({.layout = kern::Layout::kNT, .M = batch, .N = out, .K = in, .A = x, .lda = in, .B = W, .ldb = in,
                   .C = y, .ldc = out, .split = split},
                  b);  // y = x·Wᵀ + b
}

// dx = dy·W (the input gradient alone).
template <typename T>
void LinearInputGradient(int batch, int in, int out, const T* W, const T* dy, T* dx, kern::Split split) {
  kern::MatMul<T>({.layout = kern::Layout::kNN, .M = batch, .N = in, .K = out, .A = dy, .lda = out, .B = W, .ldb = in,
                   .C = dx, .ldc = in, .split = split});
}

// Gradients of a linear layer. dx may be null (not needed for the first layer).
template <typename T>
void LinearBackward(int batch, int in, int out, const T* x, const T* W, const T* dy, T* dW, T* db, T* dx,
                    kern::Split split) {
  kern::MatMul<T>({.layout = kern::Layout::kTN, .M = out, .N = in, .K = batch, .A = dy, .lda = out, .B = x, .ldb = in,
                   .C = dW, .ldc = in, .split = kern::Split::kRows});  // dW = dyᵀ·x; rows of dW = output neurons
  for (int j = 0; j < out; ++j) db[j] = 0;
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < out; ++j) db[j] += dy[i * out + j];
  if (dx) LinearInputGradient(batch, in, out, W, dy, dx, split);
}

template <typename T>
void ActivationForward(Activation a, std::span<T> y) {
  if (a == Activation::kRelu)
    for (T& v : y) v = v > T(0) ? v : T(0);
  else if (a == Activation::kTanh)
    for (T& v : y) v = std::tanh(v);
}

// dy is turned into the gradient w.r.t. the pre-activation, in place; y is the output.
template <typename T>
void ActivationBackward(Activation a, std::span<const T> y, std::span<T> dy) {
  if (a == Activation::kRelu)
    for (std::size_t i = 0; i < y.size(); ++i) dy[i] = y[i] > T(0) ? dy[i] : T(0);
  else if (a == Activation::kTanh)
    for (std::size_t i = 0; i < y.size(); ++i) dy[i] *= T(1) - y[i] * y[i];
}

template <typename T>
T MseLoss(std::span<const T> q, std::span<const T> target, std::span<T> dq) {
  const T n = static_cast<T>(q.size());
  T loss = 0;
  for (std::size_t i = 0; i < q.size(); ++i) {
    const T d = q[i] - target[i];
    loss += d * d;
    dq[i] = T(2) * d / n;
  }
  return loss / n;
}

// out[r] = [a[r] | b[r]]  (the critic's input: state ⧺ action)
template <typename T>
void ConcatColumns(int rows, int ca, const T* a, int cb, const T* b, T* out) {
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < ca; ++j) out[r * (ca + cb) + j] = a[r * ca + j];
    for (int j = 0; j < cb; ++j) out[r * (ca + cb) + ca + j] = b[r * cb + j];
  }
}
// The gradient of ConcatColumns: the columns [ca, ca+cb) of g into gb (ga may be null).
template <typename T>
void SplitColumns(int rows, int ca, int cb, const T* g, T* ga, T* gb) {
  for (int r = 0; r < rows; ++r) {
    if (ga)
      for (int j = 0; j < ca; ++j) ga[r * ca + j] = g[r * (ca + cb) + j];
    for (int j = 0; j < cb; ++j) gb[r * cb + j] = g[r * (ca + cb) + ca + j];
  }
}

}  // namespace fixar::nn
