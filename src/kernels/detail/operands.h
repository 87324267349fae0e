// Internal: the layout-independent views A'(i, k) (M×K) and B'(j, k) (N×K) of a GemmArgs,
// so that every layout is "C = A' · B'ᵀ", plus argument checks shared by all paths.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/gemm.h"
#include "kernels/weight_pieces.h"

namespace fixar::kern::detail {

// A'(i, k): kNT, kNN read A[i][k]; kTN reads A[k][i].
template <typename TA, typename TB, typename TC>
inline TA OperandA(const GemmArgs<TA, TB, TC>& g, int i, int k) {
  return g.layout == Layout::kTN ? g.A[static_cast<long>(k) * g.lda + i]
                                 : g.A[static_cast<long>(i) * g.lda + k];
}

// B'(j, k): kNT reads B[j][k]; kNN, kTN read B[k][j].
template <typename TA, typename TB, typename TC>
inline TB OperandB(const GemmArgs<TA, TB, TC>& g, int j, int k) {
  return g.layout == Layout::kNT ? g.B[static_cast<long>(j) * g.ldb + k]
                                 : g.B[static_cast<long>(k) * g.ldb + j];
}

inline const char* LayoutName(Layout l) {
  switch (l) {
    case Layout::kNT: return "kNT";
    case Layout::kNN: return "kNN";
    case Layout::kTN: return "kTN";
  }
  return "unknown";
}

// Throws std::invalid_argument naming the bad field, its value and what is valid.
template <typename TA, typename TB, typename TC>
void ValidateArgs(const GemmArgs<TA, TB, TC>& g, const char* where) {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument(std::string(where) + " (layout " + LayoutName(g.layout) +
                                ", M=" + std::to_string(g.M) + " N=" + std::to_string(g.N) +
                                " K=" + std::to_string(g.K) + "): " + what);
  };
  if (g.layout != Layout::kNT && g.layout != Layout::kNN && g.layout != Layout::kTN) {
    fail("unknown layout " + std::to_string(static_cast<int>(g.layout)));
  }
  if (g.M < 0 || g.N < 0 || g.K < 0) fail("M, N and K must be >= 0");
  // Rows of each operand, the elements each row needs, and the stride given.
  const bool a_t = g.layout == Layout::kTN, b_t = g.layout == Layout::kNT;
  const int a_rows = a_t ? g.K : g.M, a_cols = a_t ? g.M : g.K;
  const int b_rows = b_t ? g.N : g.K, b_cols = b_t ? g.K : g.N;
  auto check = [&](const char* name, const void* p, int rows, int cols, int ld,
                   const char* need) {
    if (rows == 0 || cols == 0) return;
    if (p == nullptr) fail(std::string(name) + " is null but holds " + std::to_string(rows) +
                           "x" + std::to_string(cols) + " elements");
    if (ld < cols) {
      fail(std::string("ld") + name + " = " + std::to_string(ld) + " is smaller than the row length " +
           std::to_string(cols) + " (this layout needs ld" + name + " >= " + need + ")");
    }
  };
  check("a", g.A, a_rows, a_cols, g.lda, a_t ? "M" : "K");
  check("b", g.B, b_rows, b_cols, g.ldb, b_t ? "K" : "N");
  check("c", g.C, g.M, g.N, g.ldc, "N");
  if (g.b_pieces != nullptr && (g.b_pieces->rows() != b_rows || g.b_pieces->cols() != b_cols)) {
    fail("b_pieces holds " + std::to_string(g.b_pieces->rows()) + "x" + std::to_string(g.b_pieces->cols()) +
         " values but b is " + std::to_string(b_rows) + "x" + std::to_string(b_cols) + " (need the pieces of b itself)");
  }
}

inline void ValidateStage(const OutputStage& s, int c_bits, const char* where) {
  s.out.validate(std::string(where) + " output stage format");
  if (s.out.word_bits > c_bits) {
    throw std::invalid_argument(std::string(where) + ": output format " + s.out.to_string() +
                                " has " + std::to_string(s.out.word_bits) +
                                " word bits but the C type holds " + std::to_string(c_bits) +
                                " (need out.word_bits <= bits of TC)");
  }
}

}  // namespace fixar::kern::detail
