#include "autoq/candidate_evaluator.h"

#include <chrono>
#include <cstdlib>
#include <string>

namespace fixar::autoq {

std::vector<Measurement> SerialCandidateEvaluator::Measure(std::span<const Bits> candidates) {
  std::vector<Measurement> out;
  out.reserve(candidates.size());
  for (const Bits& bits : candidates) {
    const auto t0 = std::chrono::steady_clock::now();
    const double accuracy = target_.Accuracy(bits);
    out.push_back({accuracy, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
  }
  return out;
}

namespace mpi {

bool LaunchedByMpi(int* size) {
  *size = 1;
  auto number = [](const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : -1;
  };
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})  // Open MPI; MPICH/Hydra and PMI-1/2 (srun)
    if (const int n = number(name); n >= 1) {
      *size = n;
      return true;
    }
  if (std::getenv("PMIX_RANK")) {  // PMIx (srun --mpi=pmix, prrte): the size is not in the environment
    if (const int n = number("SLURM_NTASKS"); n >= 1) *size = n;
    return true;
  }
  return false;
}

}  // namespace mpi

}  // namespace fixar::autoq
