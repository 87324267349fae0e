// sweep::ParseGrid (`fixar sweep run GRID.toml`); documents std::invalid_argument.
#include <stdexcept>

#include "fuzz_input.h"
#include "sweep/grid.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fixar::sweep::ParseGrid(fixar::fuzz::AsText(data, size), "fuzz.toml");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
