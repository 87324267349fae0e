// Dataset: seeded permutation and split, batches, normalisation; the real Fashion-MNIST
// files when the Debian package is installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <set>

#include "data/dataset.h"
#include "data/fashion_mnist.h"

namespace fixar::data {
namespace {

// n images of 1 x 1 x 2 pixels: image i = (i, -i), label i % classes.
Dataset Counting(std::size_t n, int classes = 3) {
  std::vector<float> x;
  std::vector<std::int32_t> y;
  for (std::size_t i = 0; i < n; ++i) {
    x.push_back(static_cast<float>(i));
    x.push_back(-static_cast<float>(i));
    y.push_back(static_cast<std::int32_t>(i % classes));
  }
  return Dataset("counting", ImageShape{1, 1, 2}, std::move(x), std::move(y), classes);
}

TEST(SeededPermutation, IsAPermutationAndReproducible) {
  const auto p = seeded_permutation(1000, 42);
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_EQ(p, seeded_permutation(1000, 42));
  EXPECT_NE(p, seeded_permutation(1000, 43));
  std::vector<std::size_t> identity(1000);
  std::iota(identity.begin(), identity.end(), std::size_t{0});
  EXPECT_NE(p, identity);
  EXPECT_TRUE(seeded_permutation(0, 1).empty());
  EXPECT_EQ(seeded_permutation(1, 1), std::vector<std::size_t>{0});
}

TEST(Dataset, ShuffleKeepsImagesWithTheirLabels) {
  Dataset d = Counting(50);
  d.shuffle(7);
  std::set<int> seen;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const int original = static_cast<int>(d.image(i)[0]);
    EXPECT_EQ(d.image(i)[1], -static_cast<float>(original));
    EXPECT_EQ(d.label(i), original % 3);
    seen.insert(original);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(Dataset, SplitIsSeededDisjointAndSized) {
  const Dataset d = Counting(100);
  const Split s = split(d, 70, 20, 3);
  EXPECT_EQ(s.train.size(), 70u);
  EXPECT_EQ(s.validation.size(), 20u);
  std::set<float> train_ids, val_ids;
  for (std::size_t i = 0; i < s.train.size(); ++i) train_ids.insert(s.train.image(i)[0]);
  for (std::size_t i = 0; i < s.validation.size(); ++i) val_ids.insert(s.validation.image(i)[0]);
  for (float v : val_ids) EXPECT_EQ(train_ids.count(v), 0u);
  const Split again = split(d, 70, 20, 3);
  EXPECT_TRUE(std::equal(s.validation.images().begin(), s.validation.images().end(), again.validation.images().begin()));
  EXPECT_THROW(split(d, 90, 20, 3), std::invalid_argument);
}

TEST(Dataset, BatchesCoverEveryExampleOncePerEpoch) {
  const Dataset d = Counting(10);
  BatchIterator it(d, {.batch_size = 4, .shuffle = true, .seed = 5, .drop_last = false});
  EXPECT_EQ(it.batches_per_epoch(), 3u);
  std::vector<std::size_t> sizes, epoch0;
  for (Batch b; it.next(b);) {
    sizes.push_back(b.size());
    ASSERT_EQ(b.images.size(), b.size() * 2);
    for (std::size_t k = 0; k < b.size(); ++k) {
      EXPECT_EQ(b.images[2 * k], static_cast<float>(b.indices[k]));
      EXPECT_EQ(b.labels[k], static_cast<int>(b.indices[k] % 3));
      epoch0.push_back(b.indices[k]);
    }
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{4, 4, 2}));
  auto sorted = epoch0;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(sorted[i], i);

  it.start_epoch(1);
  std::vector<std::size_t> epoch1;
  for (Batch b; it.next(b);) epoch1.insert(epoch1.end(), b.indices.begin(), b.indices.end());
  EXPECT_NE(epoch0, epoch1);  // a new order per epoch
  it.start_epoch(0);
  std::vector<std::size_t> replay;
  for (Batch b; it.next(b);) replay.insert(replay.end(), b.indices.begin(), b.indices.end());
  EXPECT_EQ(epoch0, replay);  // and the same order for the same (seed, epoch)

  BatchIterator dropping(d, {.batch_size = 4, .shuffle = false, .seed = 0, .drop_last = true});
  EXPECT_EQ(dropping.batches_per_epoch(), 2u);
  Batch b;
  ASSERT_TRUE(dropping.next(b));
  EXPECT_EQ(b.indices, (std::vector<std::size_t>{0, 1, 2, 3}));
  ASSERT_TRUE(dropping.next(b));
  EXPECT_FALSE(dropping.next(b));
}

TEST(Dataset, NormalisationAndStatistics) {
  Dataset d("n", ImageShape{1, 1, 2}, {0.0f, 1.0f, 0.0f, 1.0f}, {0, 0}, 1);
  const Normalization n = pixel_statistics(d);
  EXPECT_FLOAT_EQ(n.mean, 0.5f);
  EXPECT_FLOAT_EQ(n.stddev, 0.5f);
  d.normalize(n);
  EXPECT_FLOAT_EQ(d.image(0)[0], -1.0f);
  EXPECT_FLOAT_EQ(d.image(0)[1], 1.0f);
  EXPECT_THROW(d.normalize({0.0f, 0.0f}), std::invalid_argument);
}

TEST(Dataset, ConstructorRejectsInconsistentData) {
  EXPECT_THROW(Dataset("x", ImageShape{1, 1, 2}, {0.0f}, {0}, 1), std::invalid_argument);
  EXPECT_THROW(Dataset("x", ImageShape{1, 1, 1}, {0.0f}, {3}, 3), std::invalid_argument);
  EXPECT_THROW(Dataset("x", ImageShape{0, 1, 1}, {}, {}, 3), std::invalid_argument);
}

TEST(FashionMnist, DebianFilesLoad) {
  if (!std::filesystem::exists(std::filesystem::path(kDefaultFashionMnistDir) / "train-images-idx3-ubyte.gz") &&
      !std::filesystem::exists(std::filesystem::path(kDefaultFashionMnistDir) / "train-images-idx3-ubyte")) {
    GTEST_SKIP() << "Fashion-MNIST not installed in " << kDefaultFashionMnistDir << " (package dataset-fashion-mnist)";
  }
  const FashionMnist fm = load_fashion_mnist();
  EXPECT_EQ(fm.train.size(), 60000u);
  EXPECT_EQ(fm.test.size(), 10000u);
  EXPECT_EQ(fm.train.shape(), (ImageShape{1, 28, 28}));
  EXPECT_EQ(fm.test.shape(), (ImageShape{1, 28, 28}));
  for (const Dataset* d : {&fm.train, &fm.test}) {
    const auto [lo, hi] = std::minmax_element(d->labels().begin(), d->labels().end());
    EXPECT_EQ(*lo, 0);
    EXPECT_EQ(*hi, 9);
  }
  // Published Fashion-MNIST training statistics: mean 0.2860, std 0.3530.
  EXPECT_NEAR(fm.normalization.mean, 0.2860, 0.001);
  EXPECT_NEAR(fm.normalization.stddev, 0.3530, 0.001);
  const Normalization after = pixel_statistics(fm.train);
  EXPECT_NEAR(after.mean, 0.0, 1e-3);
  EXPECT_NEAR(after.stddev, 1.0, 1e-3);
}

}  // namespace
}  // namespace fixar::data
