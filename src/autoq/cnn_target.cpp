#include "autoq/cnn_target.h"

#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "cnn/config.h"
#include "cnn/model.h"
#include "cnn/onnx_import.h"
#include "cnn/train.h"

namespace fixar::autoq {
namespace {

class CnnTarget final : public QuantTarget {
 public:
  explicit CnnTarget(const CnnTargetOptions& o) : options_(o) {
    auto log = [&](const std::string& s) {
      if (options_.log) options_.log(s);
    };
    data::FashionMnist fm = data::load_fashion_mnist(o.data_dir);
    if (o.validation_size < 100 || o.validation_size >= fm.train.size())
      throw std::invalid_argument(fmt::format("cnn target: validation_size = {}; valid: 100 .. {}",
                                              o.validation_size, fm.train.size() - 1));
    data::Split split = data::split(fm.train, fm.train.size() - o.validation_size, o.validation_size, o.split_seed);
    train_ = std::move(split.train);
    val_ = std::move(split.validation);
    if (o.search_validation_images > val_.size())
      throw std::invalid_argument(fmt::format("cnn target: search_validation_images = {}; valid: 0 (all) .. {}",
                                              o.search_validation_images, val_.size()));
    if (o.search_validation_images > 0) {
      std::vector<std::size_t> first(o.search_validation_images);
      std::iota(first.begin(), first.end(), std::size_t{0});
      search_val_ = val_.subset(first, val_.name() + "-search");
    }
    test_ = std::move(fm.test);
    if (o.checkpoint.extension() == ".onnx" && !std::filesystem::exists(o.checkpoint))
      throw std::invalid_argument(fmt::format("cnn target: checkpoint '{}' does not exist (an .onnx model is read, "
                                              "never trained and written)",
                                              o.checkpoint.string()));
    if (!o.checkpoint.empty() && std::filesystem::exists(o.checkpoint)) {
      model_ = std::make_unique<cnn::Model>(cnn::LoadModelFile(o.checkpoint));  // checkpoint or .onnx
      log(fmt::format("loaded trained model {} from {}", model_->config().name, o.checkpoint.string()));
    } else {
      model_ = std::make_unique<cnn::Model>(cnn::LoadModelConfig(o.model_config));
      const cnn::TrainOptions& t = model_->config().train;
      log(fmt::format("training {} from {} ({} epochs on {} images)", model_->config().name,
                      o.model_config.string(), t.epochs, train_.size()));
      cnn::TrainCallbacks cb;
      cb.on_epoch = [&](const cnn::EpochStats& s) {
        log(fmt::format("  epoch {}: train loss {:.4f} nats, {:.1f} s", s.epoch, s.train_loss, s.seconds));
      };
      cnn::Train(*model_, train_, nullptr, t, cb);
      if (!o.checkpoint.empty()) {
        std::filesystem::create_directories(o.checkpoint.parent_path().empty() ? "." : o.checkpoint.parent_path());
        model_->Save(o.checkpoint);
        log(fmt::format("saved the trained model to {}", o.checkpoint.string()));
      }
    }
    layers_ = cnn::DescribeWeightLayers(*model_);
  }

  std::string name() const override { return "cnn:" + model_->config().name; }
  const std::vector<layers::LayerShape>& layers() const override { return layers_; }

  double FloatAccuracy() override {
    cnn::Model copy(*model_);
    return cnn::Evaluate(copy, val_).accuracy;
  }

  double Accuracy(std::span<const layers::LayerBits> bits) override {
    return cnn::EvaluateQuantized(*model_, ToAssignment(bits), train_,
                                  options_.search_validation_images > 0 ? search_val_ : val_,
                                  options_.search_finetune);
  }

  double FinalAccuracy(std::span<const layers::LayerBits> bits) override {
    cnn::TrainCallbacks cb;
    return cnn::QuantizeAndFinetune(*model_, ToAssignment(bits), train_, test_, options_.final_finetune, cb)
        .accuracy_finetuned;
  }

  double TestAccuracyFloat() {
    cnn::Model copy(*model_);
    return cnn::Evaluate(copy, test_).accuracy;
  }

 private:
  cnn::BitAssignment ToAssignment(std::span<const layers::LayerBits> bits) const {
    if (bits.size() != layers_.size())
      throw std::invalid_argument(
          fmt::format("cnn target {}: {} bit pairs given for {} weight layers", name(), bits.size(), layers_.size()));
    cnn::BitAssignment a;
    for (const auto& b : bits) {
      a.weight_bits.push_back(b.weight_bits);
      a.activation_bits.push_back(b.activation_bits);
    }
    a.Validate(layers_.size(), "autoq search assignment");
    return a;
  }

  CnnTargetOptions options_;
  data::Dataset train_, val_, test_, search_val_;
  std::unique_ptr<cnn::Model> model_;
  std::vector<layers::LayerShape> layers_;
};

}  // namespace

std::unique_ptr<QuantTarget> MakeCnnTarget(const CnnTargetOptions& options) {
  return std::make_unique<CnnTarget>(options);
}

}  // namespace fixar::autoq
