// Float32 training of a Model with softmax cross-entropy: SGD with momentum or Adam,
// an optional linear warm-up and cosine decay, seeded data order; and evaluation.
//
//   SGD (with momentum μ, L2 λ on weights):  v ← μ·v + g + λ·w;  w ← w − η·v
//   Adam (Kingma & Ba, L2 λ added to g):      m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
//                                             w ← w − η · m̂ / (√v̂ + ε)
//   η(t) = lr · min(1, t / warmup) · (cosine: ½(1 + cos(π·t / T)) over all T steps)
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "cnn/config.h"
#include "cnn/model.h"
#include "data/dataset.h"

namespace fixar::cnn {

// Parameter updates over a model's Params() (the state is matched by position).
class Optimizer {
 public:
  explicit Optimizer(const TrainOptions& o) : options_(o) {}
  void Step(std::vector<ParamRef>& params, double lr);

 private:
  TrainOptions options_;
  std::int64_t t_ = 0;
  std::vector<std::vector<float>> m_, v_;
};

// Learning rate at step t (0-based) of total_steps.
double LearningRate(const TrainOptions& o, std::int64_t t, std::int64_t total_steps);

struct EvalResult {
  double accuracy = 0;  // fraction correct
  double loss = 0;      // mean cross-entropy, nats
  std::size_t samples = 0;
};
// Eval-mode forward over the whole dataset (BN uses running statistics).
EvalResult Evaluate(Model& model, const data::Dataset& data, int batch = 256);

struct TrainProgress {
  int epoch = 0, epochs = 0;                  // 1-based epoch
  std::size_t batch = 0, batches = 0;         // 1-based batch within the epoch
  double loss = 0;                            // running mean over this epoch so far
  double elapsed_s = 0, eta_s = 0;            // wall clock since the start, estimate to the end
};
struct EpochStats {
  int epoch = 0;                              // 1-based
  double seconds = 0;                         // wall clock of this epoch's training (evaluation excluded)
  double train_loss = 0;                      // mean over the epoch's batches, nats
  double train_accuracy = 0;                  // on the training batches as seen (train mode)
  double test_accuracy = -1, test_loss = -1;  // -1 when no test set
  double test_seconds = 0;
};
struct TrainCallbacks {
  std::function<void(const TrainProgress&)> on_batch;  // after every batch
  std::function<void(const EpochStats&)> on_epoch;     // after every epoch (and its evaluation)
};

// Trains for options.epochs; evaluates on `test` after each epoch when given.
std::vector<EpochStats> Train(Model& model, const data::Dataset& train, const data::Dataset* test,
                              const TrainOptions& options, const TrainCallbacks& callbacks = {});

// A batch as a Tensor (images copied).
Tensor ToTensor(const data::Batch& batch);

}  // namespace fixar::cnn
