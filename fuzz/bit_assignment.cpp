// cnn::ParseBitAssignment (`fixar quant --bits FILE.toml|FILE.json`): the first byte picks
// JSON (odd) or TOML (even), the rest is the file; the model has 1 + first byte % 8 weight
// layers. Documents std::invalid_argument.
#include <stdexcept>

#include "cnn/quantize.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool json = data[0] & 1;
  const std::size_t layers = 1 + (data[0] >> 1) % 8;
  try {
    fixar::cnn::ParseBitAssignment(fixar::fuzz::AsText(data + 1, size - 1), json, "fuzz bits", layers);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
