// The contents of a generated image's pages, as core's fillPageContent computes them (word 0 the
// page, word 1 the pid, then xorshift32 seeded by hash32(seed, pid, page)), written natively into
// a pages file: generating a 4 GiB image in JavaScript takes seconds.
#pragma once

#include <cstddef>
#include <cstdint>

namespace restorelab {

// One run of content pages: `count` pages of `pid` from linear page `page`, at byte `offset` of the file.
struct ContentRun {
  uint64_t offset;
  uint32_t pid;
  uint64_t page;
  uint64_t count;
};

// core's hash32(a, b, c, d) (workloads/random.ts).
uint32_t hash32(uint32_t a, uint32_t b, uint32_t c, uint32_t d);
// One page of content into words (1024 words).
void fillPageContent(uint32_t seed, uint32_t pid, uint32_t page, uint32_t* words);
// Writes every run into fd with pwrite; throws std::runtime_error naming the errno.
void writeContentRuns(int fd, uint32_t seed, const ContentRun* runs, size_t n);

}  // namespace restorelab
