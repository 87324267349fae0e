#include "nn/layers.h"

#include "kernels/parallel.h"

namespace fixar::nn {

const char* to_string(Activation a) {
  switch (a) {
    case Activation::kNone: return "none";
    case Activation::kRelu: return "relu";
    case Activation::kTanh: return "tanh";
  }
  return "?";
}

const char* to_string(Parallelism p) {
  switch (p) {
    case Parallelism::kAuto: return "auto";
    case Parallelism::kIntraLayer: return "intra-layer";
    case Parallelism::kIntraBatch: return "intra-batch";
  }
  return "?";
}

kern::Split ChooseSplit(Parallelism p, int batch_rows) {
  switch (p) {
    case Parallelism::kIntraLayer: return kern::Split::kCols;
    case Parallelism::kIntraBatch: return kern::Split::kRows;
    case Parallelism::kAuto: break;
  }
  // FIXAR: a single vector splits the layer's columns over cores; a batch splits vectors.
  // With fewer rows than 4 per thread the row split would leave threads idle.
  // Exception, measured (bench_nn parallelism/*/batch:1, docs/throughput.md): one sample's
  // layers are at most ~0.1 M MACs (a few microseconds on one core), less than a thread
  // handoff costs on the shared 2-core machine, so a single row runs on the calling thread
  // (kRows with one row is one task).
  if (batch_rows <= 1) return kern::Split::kRows;
  return batch_rows >= 4 * kern::NumThreads() ? kern::Split::kRows : kern::Split::kCols;
}

namespace {
template <typename T>
kern::GemmArgs<T, T, T> Args(kern::Layout l, int M, int N, int K, const T* A, int lda, const T* B, int ldb, T* C,
                             kern::Split split) {
  return {.layout = l, .M = M, .N = N, .K = K, .A = A, .lda = lda, .B = B, .ldb = ldb, .C = C, .ldc = N, .split = split};
}
}  // namespace

template <>
void MatMulNT<float>(int M, int N, int K, const float* A, const float* B, float* C, const float* bias,
                     kern::Split split) {
  kern::FloatStage stage;
  stage.bias = bias;
  kern::GemmF32(Args(kern::Layout::kNT, M, N, K, A, K, B, K, C, split), stage);
}
template <>
void MatMulNN<float>(int M, int N, int K, const float* A, const float* B, float* C, kern::Split split) {
  kern::GemmF32(Args(kern::Layout::kNN, M, N, K, A, K, B, N, C, split));
}
template <>
void MatMulTN<float>(int M, int N, int K, const float* A, const float* B, float* C, kern::Split split) {
  kern::GemmF32(Args(kern::Layout::kTN, M, N, K, A, M, B, N, C, split));
}

// float64: plain loops, used by the gradient checks only.
template <>
void MatMulNT<double>(int M, int N, int K, const double* A, const double* B, double* C, const double* bias,
                      kern::Split) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double s = bias ? bias[j] : 0.0;
      for (int k = 0; k < K; ++k) s += A[i * K + k] * B[j * K + k];
      C[i * N + j] = s;
    }
}
template <>
void MatMulNN<double>(int M, int N, int K, const double* A, const double* B, double* C, kern::Split) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double s = 0;
      for (int k = 0; k < K; ++k) s += A[i * K + k] * B[k * N + j];
      C[i * N + j] = s;
    }
}
template <>
void MatMulTN<double>(int M, int N, int K, const double* A, const double* B, double* C, kern::Split) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double s = 0;
      for (int k = 0; k < K; ++k) s += A[k * M + i] * B[k * N + j];
      C[i * N + j] = s;
    }
}

}  // namespace fixar::nn
