// report::ParseProgressCsv (`fixar report` reading a run's progress.csv); documents
// std::invalid_argument.
#include <stdexcept>
#include <string>

#include "fuzz_input.h"
#include "report/run_data.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fixar::report::ParseProgressCsv(std::string(fixar::fuzz::AsText(data, size)), "progress.csv");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
