#include "data/fashion_mnist.h"

#include <fmt/format.h>

#include <stdexcept>

namespace fixar::data {

namespace {

// `dir/stem`, or `dir/stem.gz` when only the compressed file exists.
std::filesystem::path Locate(const std::filesystem::path& dir, const std::string& stem) {
  const auto plain = dir / stem;
  if (std::filesystem::exists(plain)) return plain;
  const auto gz = dir / (stem + ".gz");
  if (std::filesystem::exists(gz)) return gz;
  throw std::runtime_error(fmt::format("Fashion-MNIST: neither {} nor {} exists (the Debian package "
                                       "dataset-fashion-mnist installs them in {})",
                                       plain.string(), gz.string(), kDefaultFashionMnistDir));
}

}  // namespace

FashionMnist load_fashion_mnist(const std::filesystem::path& dir) {
  FashionMnist fm;
  fm.train = load_idx_classification(Locate(dir, "train-images-idx3-ubyte"), Locate(dir, "train-labels-idx1-ubyte"),
                                     10, "fashion-mnist/train");
  fm.test = load_idx_classification(Locate(dir, "t10k-images-idx3-ubyte"), Locate(dir, "t10k-labels-idx1-ubyte"), 10,
                                    "fashion-mnist/test");
  // One statistic, from the training pixels only, so that test data never informs it.
  fm.normalization = pixel_statistics(fm.train);
  fm.train.normalize(fm.normalization);
  fm.test.normalize(fm.normalization);
  return fm;
}

}  // namespace fixar::data
