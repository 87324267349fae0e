// data::inflate_if_gzip + data::parse_idx: read_idx without the file (Fashion-MNIST's
// .gz IDX files, plain IDX files). Documents std::runtime_error. An array that parses is
// converted to float as the datasets do.
#include <stdexcept>
#include <vector>

#include "data/idx.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto bytes = fixar::data::inflate_if_gzip(std::vector<std::uint8_t>(data, data + size), "fuzz.idx");
    const fixar::data::IdxArray a = fixar::data::parse_idx(bytes, "fuzz.idx");
    if (a.to_float().size() != a.element_count()) fixar::fuzz::Violated();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
