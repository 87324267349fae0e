// autoq::RunConfig::Parse (`fixar autoq --config`, configs/autoq/*.toml); documents
// std::invalid_argument.
#include <stdexcept>

#include "autoq/run.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fixar::autoq::RunConfig::Parse(fixar::fuzz::AsText(data, size), "fuzz.toml");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
