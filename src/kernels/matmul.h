// The one float matrix-product front end of training: nn's MLP layers and cnn's linear
// and convolution layers call it, in float32 for training and float64 for the
// finite-difference gradient checks.
//
//   C = op(A)·op(B) (+ bias[j] on column j), in a layout of kernels/gemm.h (kNT, kNN, kTN)
//   float   kern::GemmF32: SIMD paths, threads split as args.split says;
//   double  the plain loop below (matmul.cpp): C(i, j) = bias[j] (or 0) + Σ_k A'(i,k)·B'(j,k),
//           summed over k in order.
#pragma once

#include "kernels/gemm.h"

namespace fixar::kern {

// Instantiated for float and double. Throws std::invalid_argument for bad arguments.
template <typename T>
void MatMul(const GemmArgs<T, T, T>& args, const T* bias = nullptr);

}  // namespace fixar::kern
