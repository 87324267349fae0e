#include "cnn/train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include "cnn/ops.h"
#include "kernels/elementwise.h"

namespace fixar::cnn {
namespace {
double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}
}  // namespace

Tensor ToTensor(const data::Batch& batch) {
  Tensor t;
  t.n = static_cast<int>(batch.size());
  t.shape = {batch.shape.channels, batch.shape.height, batch.shape.width};
  t.data = batch.images;
  return t;
}

double LearningRate(const TrainOptions& o, std::int64_t t, std::int64_t total_steps) {
  double lr = o.lr;
  if (o.warmup_steps > 0 && t < o.warmup_steps) lr *= static_cast<double>(t + 1) / o.warmup_steps;
  if (o.schedule == LrSchedule::kCosine && total_steps > 0)
    lr *= 0.5 * (1.0 + std::cos(std::numbers::pi * static_cast<double>(t) / static_cast<double>(total_steps)));
  return lr;
}

void Optimizer::Step(std::vector<ParamRef>& params, double lr) {
  ++t_;
  if (m_.size() != params.size()) {
    m_.assign(params.size(), {});
    v_.assign(params.size(), {});
    for (std::size_t i = 0; i < params.size(); ++i) {
      m_[i].assign(params[i].value.size(), 0.0f);
      if (options_.optimizer == OptimizerKind::kAdam) v_[i].assign(params[i].value.size(), 0.0f);
    }
  }
  const float wd = static_cast<float>(options_.weight_decay);
  if (options_.optimizer == OptimizerKind::kSgd) {
    const float mu = static_cast<float>(options_.momentum), eta = static_cast<float>(lr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      auto& p = params[i];
      const float decay = p.decay ? wd : 0.0f;
      float* m = m_[i].data();
      for (std::size_t j = 0; j < p.value.size(); ++j) {
        m[j] = mu * m[j] + p.grad[j] + decay * p.value[j];
        p.value[j] -= eta * m[j];
      }
    }
    return;
  }
  // Bias corrections folded into the step (kern::AdamBiasCorrection::kFoldedIntoStep):
  // w ← w − η·√c2/c1 · m / (√v + ε·√c2), with c1 = 1 − β1^t, c2 = 1 − β2^t.
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
  kern::FloatAdamConstants c =
      kern::MakeFloatAdamConstants(kern::AdamBiasCorrection::kFoldedIntoStep, lr, kBeta1, kBeta2, kEps, t_);
  c.add_decay = true;  // L2 added to g, also as + 0·w for parameters without decay
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto& p = params[i];
    c.decay = p.decay ? wd : 0.0f;
    kern::FloatAdamUpdate(c, p.value, p.grad, m_[i], v_[i]);
  }
}

EvalResult Evaluate(Model& model, const data::Dataset& data, int batch) {
  data::BatchIterator it(data, {.batch_size = static_cast<std::size_t>(batch), .shuffle = false});
  EvalResult r;
  double loss_sum = 0;
  std::size_t correct = 0;
  for (data::Batch b; it.next(b);) {
    const Tensor& logits = model.Forward(ToTensor(b), Mode::kEval);
    const int classes = logits.shape.c;
    loss_sum += SoftmaxCrossEntropy<float>(logits.n, classes, logits.data.data(), b.labels.data(), nullptr) *
                static_cast<double>(b.size());
    for (int s = 0; s < logits.n; ++s) {
      const float* z = logits.sample(s);
      correct += (std::max_element(z, z + classes) - z) == b.labels[s];
    }
    r.samples += b.size();
  }
  if (r.samples) {
    r.accuracy = static_cast<double>(correct) / r.samples;
    r.loss = loss_sum / r.samples;
  }
  return r;
}

std::vector<EpochStats> Train(Model& model, const data::Dataset& train, const data::Dataset* test,
                              const TrainOptions& options, const TrainCallbacks& callbacks) {
  options.Validate("training options");
  data::BatchIterator it(train, {.batch_size = static_cast<std::size_t>(options.batch),
                                 .shuffle = true,
                                 .seed = options.seed,
                                 .drop_last = true});  // a tiny last batch would upset BN statistics
  const std::int64_t per_epoch = static_cast<std::int64_t>(it.batches_per_epoch());
  const std::int64_t total = per_epoch * options.epochs;
  Optimizer opt(options);
  auto params = model.Params();
  std::vector<EpochStats> stats;
  const auto start = std::chrono::steady_clock::now();
  std::int64_t step = 0;
  Tensor dlogits;
  for (int e = 0; e < options.epochs; ++e) {
    const auto epoch_start = std::chrono::steady_clock::now();
    it.start_epoch(static_cast<std::uint64_t>(e));
    double loss_sum = 0;
    std::size_t seen = 0, correct = 0, batches = 0;
    for (data::Batch b; it.next(b); ++step) {
      const Tensor& logits = model.Forward(ToTensor(b), Mode::kTrain);
      const int classes = logits.shape.c;
      dlogits.Resize(logits.n, logits.shape);
      const float loss =
          SoftmaxCrossEntropy<float>(logits.n, classes, logits.data.data(), b.labels.data(), dlogits.data.data());
      for (int s = 0; s < logits.n; ++s) {
        const float* z = logits.sample(s);
        correct += (std::max_element(z, z + classes) - z) == b.labels[s];
      }
      model.Backward(dlogits);
      opt.Step(params, LearningRate(options, step, total));
      loss_sum += loss;
      seen += b.size();
      ++batches;
      if (callbacks.on_batch) {
        const double elapsed = Seconds(start);
        callbacks.on_batch({e + 1, options.epochs, batches, static_cast<std::size_t>(per_epoch),
                            loss_sum / static_cast<double>(batches), elapsed,
                            elapsed / static_cast<double>(step + 1) * static_cast<double>(total - step - 1)});
      }
    }
    EpochStats s;
    s.epoch = e + 1;
    s.seconds = Seconds(epoch_start);
    s.train_loss = batches ? loss_sum / static_cast<double>(batches) : 0;
    s.train_accuracy = seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0;
    if (test) {
      const auto t0 = std::chrono::steady_clock::now();
      const EvalResult r = Evaluate(model, *test);
      s.test_accuracy = r.accuracy, s.test_loss = r.loss, s.test_seconds = Seconds(t0);
    }
    stats.push_back(s);
    if (callbacks.on_epoch) callbacks.on_epoch(s);
  }
  return stats;
}

}  // namespace fixar::cnn
