// The search target for a real network: a trained src/cnn model on Fashion-MNIST.
//
//   Accuracy(bits)       cnn::EvaluateQuantized: quantize (BN folded, calibrated), fine-tune
//                        `search_finetune.steps` on a subset of the training split, accuracy
//                        on the validation split (held out of the 60000 training images), or
//                        on its first `search_validation_images`
//   FinalAccuracy(bits)  cnn::QuantizeAndFinetune with `final_finetune`, accuracy on the
//                        10000 test images (never seen by the search)
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "autoq/target.h"
#include "cnn/quantize.h"
#include "data/fashion_mnist.h"

namespace fixar::autoq {

struct CnnTargetOptions {
  std::filesystem::path model_config = "configs/models/vgg_small.toml";
  // A trained checkpoint (cnn::Model::Save). When the file does not exist, the model is
  // trained with the config's [train] options on the training split and saved there.
  std::filesystem::path checkpoint;
  std::filesystem::path data_dir = data::kDefaultFashionMnistDir;
  std::size_t validation_size = 5000;  // held out of the training images for the search
  std::size_t search_validation_images = 0;  // Accuracy uses the first K of them (0: all; the proxy study)
  std::uint64_t split_seed = 1;
  cnn::FinetuneOptions search_finetune = Finetune(50, 64, 4096);  // short: the search's inner loop
  cnn::FinetuneOptions final_finetune = Finetune(1000, 128, 0);   // long: the chosen assignment
  static cnn::FinetuneOptions Finetune(int steps, int batch, std::size_t train_subset, double lr = 1e-4) {
    cnn::FinetuneOptions f;
    f.steps = steps;
    f.batch = batch;
    f.lr = lr;
    f.seed = 1;
    f.train_subset = train_subset;
    return f;
  }
  std::function<void(const std::string&)> log;  // progress lines (training, final fine-tune)
};

std::unique_ptr<QuantTarget> MakeCnnTarget(const CnnTargetOptions& options);

}  // namespace fixar::autoq
