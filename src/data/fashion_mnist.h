// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 60000 training and 10000 test images of
// 28 x 28 grey pixels, 10 classes, as IDX files (Debian package dataset-fashion-mnist).
#pragma once

#include <filesystem>

#include "data/dataset.h"

namespace fixar::data {

inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct FashionMnist {
  Dataset train;                // 60000 x 1 x 28 x 28, normalised
  Dataset test;                 // 10000 x 1 x 28 x 28, normalised with the TRAIN statistics
  Normalization normalization;  // mean/std of the [0,1]-scaled training pixels (~0.286 / 0.353)
};

// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte from `dir`, plain or with .gz
// (the plain file wins when both exist). Pixels are scaled to [0, 1], then normalised
// with one mean and standard deviation computed over every pixel of the 60000
// training images (a validation split taken later from `train` shares them).
// Throws std::runtime_error naming the file when one is missing or malformed.
FashionMnist load_fashion_mnist(const std::filesystem::path& dir = kDefaultFashionMnistDir);

}  // namespace fixar::data
