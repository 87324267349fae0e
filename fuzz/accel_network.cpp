// aap::ParseNetworkToml (`fixar sim --network`); documents std::invalid_argument.
#include <stdexcept>
#include <string>

#include "accel/aap/network.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fixar::aap::ParseNetworkToml(std::string(fixar::fuzz::AsText(data, size)), "fuzz.toml");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
