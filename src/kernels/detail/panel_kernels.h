// Internal: the panel-product kernels one Highway target provides (panel_gemm_simd.cpp).
#pragma once

#include "kernels/gemm.h"
#include "kernels/panel_gemm.h"

namespace fixar::kern::detail {

struct PanelKernels {
  int width = 0;  // NR: floats per panel row
  void (*gemm)(const PanelGemmArgs& args) = nullptr;
};

// The kernels of a SIMD path (throws for kReference or an unsupported path).
const PanelKernels& PanelKernelsFor(Path p);

}  // namespace fixar::kern::detail
