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

}  // namespace fixar::nn
