#include "pages-source.h"

#include <sys/mman.h>

#include <algorithm>

#include "run-dir-io.h"

namespace restorelab {

void PagesSource::open(const std::string& path) {
  close();
  base_ = mapFile(path, &bytes_);
}

void PagesSource::close() {
  if (base_) munmap(const_cast<uint8_t*>(base_), bytes_);
  base_ = nullptr;
  bytes_ = 0;
  sinceDrop_.store(0, std::memory_order_relaxed);
}

void PagesSource::consumed(uint64_t bytes) {
  const uint64_t add = std::max(bytes, kMinReadBytes);
  const uint64_t was = sinceDrop_.fetch_add(add, std::memory_order_relaxed);
  if (was + add < kResidentBudget || was >= kResidentBudget) return;
  // this thread crossed the budget: it drops, the others go on reading (a dropped page they read
  // is mapped again from the page cache)
  if (base_) (void)madvise(const_cast<uint8_t*>(base_), bytes_, MADV_DONTNEED);
  drops_.fetch_add(1, std::memory_order_relaxed);
  sinceDrop_.store(0, std::memory_order_relaxed);
}

}  // namespace restorelab
