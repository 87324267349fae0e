#include "nn/network.h"

#include <stdexcept>

#include <fmt/format.h>

namespace fixar::nn {

InitScheme parse_init_scheme(const std::string& name) {
  if (name == "fan_in_uniform") return InitScheme::kFanInUniform;
  if (name == "xavier_uniform") return InitScheme::kXavierUniform;
  if (name == "he_uniform") return InitScheme::kHeUniform;
  throw std::invalid_argument(
      fmt::format("unknown init scheme '{}'; valid: fan_in_uniform, xavier_uniform, he_uniform", name));
}

void MlpSpec::validate() const {
  if (sizes.size() < 2)
    throw std::invalid_argument(fmt::format("network '{}': needs at least an input and an output size, got {}", name,
                                            sizes.size()));
  for (std::size_t i = 0; i < sizes.size(); ++i)
    if (sizes[i] < 1 || sizes[i] > (1 << 16))
      throw std::invalid_argument(
          fmt::format("network '{}': layer size #{} = {}; valid: 1..65536", name, i, sizes[i]));
}

std::int64_t Network::num_parameters() const {
  std::int64_t n = 0;
  for (std::size_t l = 0; l + 1 < spec_.sizes.size(); ++l)
    n += static_cast<std::int64_t>(spec_.sizes[l] + 1) * spec_.sizes[l + 1];
  return n;
}

void Network::CheckSize(const char* what, std::size_t got, std::size_t want) const {
  if (got != want)
    throw std::invalid_argument(fmt::format("{}: {} has {} values, expected {}", spec_.name, what, got, want));
}

void Network::CheckInput(const InputColumns& x, int batch) const {
  const auto rows = static_cast<std::size_t>(batch);
  if (x.one_block()) {
    CheckSize("Forward input", x.size(), rows * inputs());
    return;
  }
  const int cl = x.left_cols(), cr = x.right_cols();
  if (cl < 0 || cr < 0 || cl + cr != inputs() || x.left().size() != rows * cl || x.right().size() != rows * cr)
    throw std::invalid_argument(fmt::format("{}: Forward input of {} + {} columns has {} + {} values, expected {} rows "
                                            "of {} columns",
                                            spec_.name, cl, cr, x.left().size(), x.right().size(), batch, inputs()));
}

void Network::Forward(std::span<const double> x, int batch, std::span<double> y) {
  CheckSize("Forward input", x.size(), static_cast<std::size_t>(batch) * inputs());
  CheckSize("Forward output", y.size(), static_cast<std::size_t>(batch) * outputs());
  Forward(InputColumns(TensorView::Real(x)), batch, double_io_);
  double_io_.CopyTo(y);
}

void Network::Backward(std::span<const double> dy, std::span<double> dx, bool param_grads) {
  Backward(TensorView::Real(dy), dx.empty() ? nullptr : &double_io_, param_grads);
  if (dx.empty()) return;
  CheckSize("Backward dx", dx.size(), double_io_.size());
  double_io_.CopyTo(dx);
}

}  // namespace fixar::nn
