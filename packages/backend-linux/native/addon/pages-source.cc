#include "pages-source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include <algorithm>

#include "run-dir-io.h"

namespace restorelab {

void PagesSource::open(const std::string& path) {
  close();
  base_ = mapFile(path, &bytes_);
}

void PagesSource::openRuns(const std::vector<std::string>& files, const std::vector<Run>& runs, uint64_t bytes) {
  close();
  if (bytes == 0) return;
  void* base = mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) throw std::runtime_error(errnoText("cannot reserve the pages blob", errno));
  base_ = static_cast<const uint8_t*>(base);
  bytes_ = bytes;
  std::vector<int> fds(files.size(), -1);
  auto closeFds = [&] {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  };
  try {
    for (const Run& r : runs) {
      if (r.file >= files.size() || r.bytes == 0 || r.blobOffset > bytes || r.bytes > bytes - r.blobOffset || (r.fileOffset | r.blobOffset | r.bytes) % 4096)
        throw std::runtime_error("a pages run outside the blob or not page aligned");
      int& fd = fds[r.file];
      if (fd < 0 && (fd = ::open(files[r.file].c_str(), O_RDONLY | O_CLOEXEC)) < 0) throw std::runtime_error(errnoText("cannot open " + files[r.file], errno));
      struct stat st;
      if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) < r.fileOffset + r.bytes) throw std::runtime_error(files[r.file] + " is shorter than its pages");
      if (mmap(const_cast<uint8_t*>(base_) + r.blobOffset, r.bytes, PROT_READ, MAP_SHARED | MAP_FIXED, fd, static_cast<off_t>(r.fileOffset)) == MAP_FAILED)
        throw std::runtime_error(errnoText("cannot map " + files[r.file], errno));
    }
  } catch (...) {
    closeFds();
    close();
    throw;
  }
  closeFds();
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
