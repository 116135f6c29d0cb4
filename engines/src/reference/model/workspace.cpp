#include "model/workspace.h"

#include <omp.h>

namespace infermeter::engines::reference {

void ThreadScratch::Reserve(std::size_t floats) {
  const auto threads = static_cast<std::size_t>(omp_get_max_threads());
  if (buffers_.size() < threads) buffers_.resize(threads);
  for (auto& b : buffers_) {
    if (b.size() < floats) b.resize(floats);
  }
}

}  // namespace infermeter::engines::reference
