#include "data/dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "data/idx.h"
#include "numerics/rounding.h"

namespace fixar::data {

Dataset::Dataset(std::string name, ImageShape shape, std::vector<float> images, std::vector<std::int32_t> labels,
                 int num_classes)
    : name_(std::move(name)), shape_(shape), images_(std::move(images)), labels_(std::move(labels)),
      num_classes_(num_classes) {
  if (shape_.channels < 1 || shape_.height < 1 || shape_.width < 1) {
    throw std::invalid_argument(fmt::format("dataset {}: image shape {}x{}x{} is invalid: every size must be >= 1",
                                            name_, shape_.channels, shape_.height, shape_.width));
  }
  if (num_classes_ < 1) {
    throw std::invalid_argument(fmt::format("dataset {}: num_classes = {} is invalid: must be >= 1", name_, num_classes_));
  }
  if (images_.size() != labels_.size() * shape_.pixels()) {
    throw std::invalid_argument(fmt::format(
        "dataset {}: {} image floats for {} labels of {}x{}x{} images: expected {} floats", name_, images_.size(),
        labels_.size(), shape_.channels, shape_.height, shape_.width, labels_.size() * shape_.pixels()));
  }
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    if (labels_[i] < 0 || labels_[i] >= num_classes_) {
      throw std::invalid_argument(fmt::format("dataset {}: label[{}] = {} is outside the valid range [0, {}]", name_, i,
                                              labels_[i], num_classes_ - 1));
    }
  }
}

std::span<const float> Dataset::image(std::size_t i) const {
  if (i >= size()) throw std::out_of_range(fmt::format("dataset {}: image {} of {}", name_, i, size()));
  return std::span<const float>(images_).subspan(i * shape_.pixels(), shape_.pixels());
}

Dataset Dataset::subset(std::span<const std::size_t> indices, std::string name) const {
  const std::size_t px = shape_.pixels();
  std::vector<float> images(indices.size() * px);
  std::vector<std::int32_t> labels(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const auto src = image(indices[k]);  // checks the index
    std::copy(src.begin(), src.end(), images.begin() + static_cast<std::ptrdiff_t>(k * px));
    labels[k] = labels_[indices[k]];
  }
  Dataset out;
  out.name_ = std::move(name);
  out.shape_ = shape_;
  out.images_ = std::move(images);
  out.labels_ = std::move(labels);
  out.num_classes_ = num_classes_;
  return out;
}

void Dataset::shuffle(std::uint64_t seed) {
  const auto order = seeded_permutation(size(), seed);
  *this = subset(order, name_);
}

void Dataset::normalize(Normalization n) {
  if (!(n.stddev > 0.0f) || !std::isfinite(n.mean)) {
    throw std::invalid_argument(fmt::format("dataset {}: normalisation mean = {}, stddev = {} is invalid: stddev must be "
                                            "> 0 and both finite", name_, n.mean, n.stddev));
  }
  for (float& x : images_) x = (x - n.mean) / n.stddev;
}

std::vector<std::size_t> seeded_permutation(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> p(n);
  std::iota(p.begin(), p.end(), std::size_t{0});
  std::uint64_t counter = 0;
  // Fisher-Yates from the back: swap p[i] with p[j], j uniform in [0, i].
  for (std::size_t i = n; i > 1; --i) {
    const std::uint64_t range = i;
    // Rejection makes j exactly uniform: drop draws below 2^64 mod range.
    const std::uint64_t threshold = (0 - range) % range;
    std::uint64_t r;
    do {
      r = num::CounterRandomBits(seed, counter++);
    } while (r < threshold);
    std::swap(p[i - 1], p[static_cast<std::size_t>(r % range)]);
  }
  return p;
}

Normalization pixel_statistics(const Dataset& data) {
  const auto x = data.images();
  if (x.empty()) throw std::invalid_argument(fmt::format("dataset {}: no pixels to compute statistics over", data.name()));
  // Two passes in double: the mean first, then the squared deviations (stable for 47M pixels).
  double sum = 0.0;
  for (float v : x) sum += v;
  const double mean = sum / static_cast<double>(x.size());
  double sq = 0.0;
  for (float v : x) sq += (v - mean) * (v - mean);
  const double stddev = std::sqrt(sq / static_cast<double>(x.size()));
  return Normalization{static_cast<float>(mean), static_cast<float>(stddev > 0.0 ? stddev : 1.0)};
}

Split split(const Dataset& data, std::size_t train_size, std::size_t validation_size, std::uint64_t seed) {
  if (train_size + validation_size > data.size()) {
    throw std::invalid_argument(fmt::format(
        "dataset {}: split of {} train + {} validation examples is invalid: the dataset holds {}", data.name(),
        train_size, validation_size, data.size()));
  }
  const auto order = seeded_permutation(data.size(), seed);
  const std::span<const std::size_t> all(order);
  return Split{data.subset(all.first(train_size), data.name() + "/train"),
               data.subset(all.subspan(train_size, validation_size), data.name() + "/validation")};
}

BatchIterator::BatchIterator(const Dataset& data, Options options) : data_(data), options_(options) {
  if (options_.batch_size == 0) {
    throw std::invalid_argument(fmt::format("batches of dataset {}: batch_size = 0 is invalid: must be >= 1", data.name()));
  }
  start_epoch(0);
}

void BatchIterator::start_epoch(std::uint64_t epoch) {
  if (options_.shuffle) {
    // A different, reproducible order per (seed, epoch).
    order_ = seeded_permutation(data_.size(), num::CounterRandomBits(options_.seed, epoch));
  } else {
    order_.resize(data_.size());
    std::iota(order_.begin(), order_.end(), std::size_t{0});
  }
  cursor_ = 0;
}

std::size_t BatchIterator::batches_per_epoch() const {
  const std::size_t n = data_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

bool BatchIterator::next(Batch& batch) {
  const std::size_t remaining = order_.size() - cursor_;
  if (remaining == 0 || (options_.drop_last && remaining < options_.batch_size)) return false;
  const std::size_t count = std::min(remaining, options_.batch_size);
  const std::size_t px = data_.shape().pixels();
  batch.shape = data_.shape();
  batch.images.resize(count * px);
  batch.labels.resize(count);
  batch.indices.assign(order_.begin() + static_cast<std::ptrdiff_t>(cursor_),
                       order_.begin() + static_cast<std::ptrdiff_t>(cursor_ + count));
  for (std::size_t k = 0; k < count; ++k) {
    const auto src = data_.image(batch.indices[k]);
    std::copy(src.begin(), src.end(), batch.images.begin() + static_cast<std::ptrdiff_t>(k * px));
    batch.labels[k] = data_.label(batch.indices[k]);
  }
  cursor_ += count;
  return true;
}

Dataset load_idx_classification(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                                int num_classes, std::string name) {
  const IdxArray images = read_idx(images_path);
  const IdxArray labels = read_idx(labels_path);
  ImageShape shape;
  if (images.dims.size() == 3) {
    shape = {1, static_cast<int>(images.dims[1]), static_cast<int>(images.dims[2])};
  } else if (images.dims.size() == 4) {
    shape = {static_cast<int>(images.dims[1]), static_cast<int>(images.dims[2]), static_cast<int>(images.dims[3])};
  } else {
    throw std::runtime_error(fmt::format("IDX {}: images have {} dimensions: expected 3 (N x H x W) or 4 (N x C x H x W)",
                                         images_path.string(), images.dims.size()));
  }
  if (labels.dims.size() != 1) {
    throw std::runtime_error(fmt::format("IDX {}: labels have {} dimensions: expected 1 (N)", labels_path.string(),
                                         labels.dims.size()));
  }
  if (images.dims[0] != labels.dims[0]) {
    throw std::runtime_error(fmt::format("IDX {} holds {} images but {} holds {} labels: expected the same count",
                                         images_path.string(), images.dims[0], labels_path.string(), labels.dims[0]));
  }
  // Scale to [0, 1]: 8-bit pixels are divided by 255 (other element types are taken as is).
  std::vector<float> pixels = images.to_float();
  if (images.type == IdxType::kUint8) {
    for (float& v : pixels) v *= 1.0f / 255.0f;
  }
  const std::vector<float> label_values = labels.to_float();
  std::vector<std::int32_t> y(label_values.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const float v = label_values[i];
    if (!(v >= 0.0f) || v >= static_cast<float>(num_classes) || v != std::floor(v)) {
      throw std::runtime_error(fmt::format("IDX {}: label[{}] = {} is invalid: expected an integer in [0, {}]",
                                           labels_path.string(), i, v, num_classes - 1));
    }
    y[i] = static_cast<std::int32_t>(v);
  }
  return Dataset(std::move(name), shape, std::move(pixels), std::move(y), num_classes);
}

}  // namespace fixar::data
