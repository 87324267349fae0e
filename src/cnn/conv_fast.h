// Float32 convolution (stride 1) as an implicit GEMM through kern::PanelGemmF32
// (kernels/panel_gemm.h): the fast path behind ConvForward<float> / ConvBackward<float>
// (ops.h). A chunk of kConvChunk samples is copied once into a zero-padded grid per
// channel: rows Wp = w+p apart, samples Rs = h+p rows apart (the p zero columns ending a
// row are the next row's left padding, the p zero rows after a sample the next sample's
// top padding). Output position n = (s·Rs + oy)·Wp + ox sees input tap (c, ky, kx) at
// channel offset n + ky·Wp + kx, so row (c, ky, kx) of the im2col matrix is the padded
// buffer itself, shifted: no im2col matrix is written.
//
//   forward      Y[c_out][n] = Σ_r W[c_out][r] · Xpad[off_r + n]     (B rows shifted)
//                computed for every grid position; the Rs−oh rows and Wp−ow columns
//                that are not outputs are dropped when Y is scattered to N x C x H x W.
//   weight grad  dWᵀ[r][c_out] = Σ_n Xpad[off_r + n] · dYgrid[n][c_out]   (A rows shifted,
//                dY on the same grid as panels of NR channels, zero off the outputs);
//                per-chunk sums added in chunk order.
//   input grad   the forward pass of dY through the flipped, transposed kernel
//                W'[c_in][c_out][ky][kx] = W[c_out][c_in][k−1−ky][k−1−kx] with padding
//                k−1−p (the transposed convolution as a convolution): no col2im, no
//                zeroing of dx.
//
// Measured against im2col (docs/cnn.md): writing the im2col matrix into panels cost
// more CPU time than the products themselves (perf: Im2ColPanels 26 %, the kernel 18 %),
// and GemmF32 on a plain im2col matrix copies it once more per call (its packing took
// as long as its arithmetic). The grid positions that are not outputs cost extra
// products instead: 7 % more at 28x28 (pad 1), 15 % at 14x14, 31 % at 7x7 (with a
// separate padding per row and sample: 15 %, 31 %, 65 %).
// Results are the same bits for any thread count (fixed chunks, sums in chunk order).
#pragma once

#include "cnn/ops.h"

namespace fixar::cnn {

// Whether the implicit GEMM applies: stride 1 and padding <= kernel − 1 (the input
// gradient's transposed padding k−1−p must be >= 0). Others use the im2col path.
bool PanelConvApplies(const ConvGeometry& g);

// As ConvForward / ConvBackward; require PanelConvApplies(g).
void ConvForwardPanels(const ConvGeometry& g, int n, const float* x, const float* W, const float* b, float* y);
void ConvBackwardPanels(const ConvGeometry& g, int n, const float* x, const float* W, const float* dy, float* dW,
                        float* db, float* dx);

}  // namespace fixar::cnn
