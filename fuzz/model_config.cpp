// cnn::ParseModelConfig (configs/models/*.toml, `fixar quant --model`); documents
// std::invalid_argument.
#include <stdexcept>

#include "cnn/config.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fixar::cnn::ParseModelConfig(fixar::fuzz::AsText(data, size), "fuzz.toml");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
