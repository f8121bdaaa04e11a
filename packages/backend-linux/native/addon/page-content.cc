#include "page-content.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "run-dir-io.h"

namespace restorelab {

namespace {

constexpr size_t kWords = 1024;
constexpr size_t kLanes = 8;
// pages generated per write
constexpr size_t kBatchPages = 64;

inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

inline uint32_t seedOf(uint32_t seed, uint32_t pid, uint32_t page) {
  const uint32_t h = hash32(seed, pid, page, 0);
  return h ? h : 0x9e3779b9u;
}

typedef uint32_t Lanes __attribute__((vector_size(kLanes * 4)));

// kLanes consecutive pages of one pid at once: one xorshift stream per lane.
__attribute__((target_clones("avx2", "default"))) void fillLanes(uint32_t seed, uint32_t pid, uint32_t page, uint32_t* out) {
  Lanes x;
  for (size_t l = 0; l < kLanes; l++) {
    x[l] = seedOf(seed, pid, page + static_cast<uint32_t>(l));
    out[l * kWords] = page + static_cast<uint32_t>(l);
    out[l * kWords + 1] = pid;
  }
  for (size_t i = 2; i < kWords; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    for (size_t l = 0; l < kLanes; l++) out[l * kWords + i] = x[l];
  }
}

void writeFully(int fd, const uint8_t* buf, size_t len, uint64_t offset) {
  size_t done = 0;
  while (done < len) {
    const ssize_t w = ::pwrite(fd, buf + done, len - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw std::runtime_error(errnoText("writing the pages file", w < 0 ? errno : ENOSPC));
    done += static_cast<size_t>(w);
  }
}

}  // namespace

uint32_t hash32(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  uint32_t h = mix32(a ^ 0x9e3779b9u);
  h = mix32(h ^ (b * 0xcc9e2d51u) ^ 0x7f4a7c15u);
  h = mix32(h ^ (c * 0x1b873593u) ^ 0x94d049bbu);
  h = mix32(h ^ (d * 0xe6546b64u) ^ 0x632be5abu);
  return h;
}

void fillPageContent(uint32_t seed, uint32_t pid, uint32_t page, uint32_t* words) {
  words[0] = page;
  words[1] = pid;
  uint32_t x = seedOf(seed, pid, page);
  for (size_t i = 2; i < kWords; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    words[i] = x;
  }
}

void writeContentRuns(int fd, uint32_t seed, const ContentRun* runs, size_t n) {
  std::vector<uint32_t> buf(kBatchPages * kWords);
  for (size_t r = 0; r < n; r++) {
    const ContentRun& run = runs[r];
    for (uint64_t k = 0; k < run.count; k += kBatchPages) {
      const uint64_t pages = std::min<uint64_t>(kBatchPages, run.count - k);
      const uint32_t first = static_cast<uint32_t>(run.page + k);
      uint64_t j = 0;
      for (; j + kLanes <= pages; j += kLanes) fillLanes(seed, run.pid, first + static_cast<uint32_t>(j), &buf[j * kWords]);
      for (; j < pages; j++) fillPageContent(seed, run.pid, first + static_cast<uint32_t>(j), &buf[j * kWords]);
      writeFully(fd, reinterpret_cast<const uint8_t*>(buf.data()), pages * kWords * 4, run.offset + k * kWords * 4);
    }
  }
}

}  // namespace restorelab
