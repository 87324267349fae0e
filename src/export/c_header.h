// `fixar export --c`: a trained fixed-point network as a dependency-free C99 header whose
// inference function computes exactly what FixedMlp::Forward computes for one sample.
//
// The header holds the integer weights and biases (int32), every format, the layer-input
// formats after the QAT switch, the FixedTanh table, and static inline functions (prefix
// `symbol`, default fixar_actor):
//   void SYMBOL(const double* obs, double* action);                 // double in, double out
//   void SYMBOL_int(const int32_t* obs_raw, int32_t* action_raw);   // raw in the activation format
//   void SYMBOL_quantize_obs(const double* obs, int32_t* obs_raw);  // the input quantization alone
// Integer semantics, accumulator widths and what is refused: docs/export.md.
#pragma once

#include <string>
#include <vector>

#include "nn/export.h"

namespace fixar::exporting {

struct CHeaderOptions {
  std::string symbol = "fixar_actor";   // C identifier prefix (macros get it in upper case)
  std::vector<std::string> provenance;  // lines for the header's first comment (run, step, build)
};

// Throws std::invalid_argument naming the setting when the network computes something the
// integer C code cannot reproduce bit for bit (CheckIntegerExportable), or the symbol is
// not a C identifier.
std::string CHeader(const nn::FixedExport& net, const CHeaderOptions& options);

// Throws std::invalid_argument unless `net` is integer arithmetic an export can reproduce:
// rounding floor, toward_zero, half_up or half_even (not stochastic), overflow saturate,
// power-of-two QAT input formats (not the affine quantizer), no pending QAT switch.
// `what` names the export in the message (e.g. "--c").
void CheckIntegerExportable(const nn::FixedExport& net, const std::string& what);

// Whether layer l's exact sum Σ x·w + bias, for any input in its input format, fits int64:
// K·2^(n−1)·max|w| + |bias aligned to the accumulator| < 2^63. log2_bound receives log2 of
// that bound. (Also the ONNX writer's exactness rule in double, with 2^53.)
bool AccumulatorFitsBits(const nn::FixedLayerExport& layer, int bits, double* log2_bound = nullptr);

}  // namespace fixar::exporting
