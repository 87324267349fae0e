// Image-classification datasets: float images N x C x H x W and int32 labels, with
// seeded shuffling, a seeded train/validation split and batch iteration.
//
// Every random order here is a seeded Fisher-Yates shuffle over counter-based random
// bits (num::CounterRandomBits), so the same seed gives the same order on every
// platform and standard library (std::shuffle's order is implementation-defined).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace fixar::data {

struct ImageShape {
  int channels = 1, height = 0, width = 0;
  std::size_t pixels() const { return static_cast<std::size_t>(channels) * height * width; }
  friend bool operator==(const ImageShape&, const ImageShape&) = default;
};

// x -> (x - mean) / stddev, applied to pixels already scaled to [0, 1].
struct Normalization {
  float mean = 0.0f;
  float stddev = 1.0f;
};

class Dataset {
 public:
  Dataset() = default;
  // images.size() must be labels.size() * shape.pixels(); labels in [0, num_classes).
  // Throws std::invalid_argument naming `name`, the bad value and what is valid.
  Dataset(std::string name, ImageShape shape, std::vector<float> images, std::vector<std::int32_t> labels,
          int num_classes);

  const std::string& name() const { return name_; }
  std::size_t size() const { return labels_.size(); }
  const ImageShape& shape() const { return shape_; }
  int num_classes() const { return num_classes_; }
  std::span<const float> image(std::size_t i) const;  // C*H*W floats, row-major
  std::int32_t label(std::size_t i) const { return labels_.at(i); }
  std::span<const float> images() const { return images_; }
  std::span<const std::int32_t> labels() const { return labels_; }

  // The examples at `indices` (in that order), copied. Throws std::out_of_range on a bad index.
  Dataset subset(std::span<const std::size_t> indices, std::string name) const;
  // Reorders the examples in place by seeded_permutation(size(), seed).
  void shuffle(std::uint64_t seed);
  // Applies (x - mean) / stddev to every pixel (stddev must be > 0).
  void normalize(Normalization n);

 private:
  std::string name_;
  ImageShape shape_;
  std::vector<float> images_;
  std::vector<std::int32_t> labels_;
  int num_classes_ = 0;
};

// A permutation of 0..n-1, a function of (n, seed) only.
std::vector<std::size_t> seeded_permutation(std::size_t n, std::uint64_t seed);

// Mean and standard deviation (population, over every pixel of every image and channel).
Normalization pixel_statistics(const Dataset& data);

struct Split {
  Dataset train;
  Dataset validation;
};
// Shuffles indices with `seed`; the first train_size go to train, the next
// validation_size to validation. train_size + validation_size must be <= data.size().
Split split(const Dataset& data, std::size_t train_size, std::size_t validation_size, std::uint64_t seed);

struct Batch {
  ImageShape shape;
  std::vector<float> images;          // size() * shape.pixels() floats, N x C x H x W
  std::vector<std::int32_t> labels;
  std::vector<std::size_t> indices;   // positions in the dataset
  std::size_t size() const { return labels.size(); }
};

// Walks a dataset in batches. Holds a reference: the dataset must outlive it.
//   BatchIterator it(train, {.batch_size = 128, .seed = 7});
//   for (std::uint64_t epoch = 0; epoch < E; ++epoch) {
//     it.start_epoch(epoch);
//     for (Batch b; it.next(b);) { ... }
//   }
class BatchIterator {
 public:
  struct Options {
    std::size_t batch_size = 64;
    bool shuffle = true;         // a fresh seeded order each epoch (seed and epoch mixed)
    std::uint64_t seed = 0;
    bool drop_last = false;      // skip a final batch smaller than batch_size
  };
  BatchIterator(const Dataset& data, Options options);
  void start_epoch(std::uint64_t epoch);  // called by the constructor with epoch 0
  bool next(Batch& batch);                // false when the epoch is over
  std::size_t batches_per_epoch() const;

 private:
  const Dataset& data_;
  Options options_;
  std::vector<std::size_t> order_;
  std::size_t cursor_ = 0;
};

// Reads an IDX image file (N x H x W, or N x C x H x W) and an IDX label file (N), any
// element type, scales images by 1/255 to [0, 1] (no mean/std normalisation yet).
// Errors (count mismatch, labels outside [0, num_classes), wrong rank) name both files.
Dataset load_idx_classification(const std::filesystem::path& images, const std::filesystem::path& labels,
                                int num_classes, std::string name);

}  // namespace fixar::data
