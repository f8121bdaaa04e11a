/*
 * The live-snapshot test's writer: PAGES data pages after one header page, in one anonymous
 * mapping. Step k writes k into every word of data page 1 + k % PAGES (forward) or PAGES - k % PAGES
 * (backward: ahead of a copier that goes up), then k into the header, as fast as it can, forever. A snapshot taken at any instant is checkable byte for byte: with K in
 * its header, each data page holds the last step <= K that wrote it (0 if none), except the page of
 * step K + 1, which may be written in part (a prefix of K + 1).
 * Prints "ready 0xADDR PAGES" once the first lap is done. Usage: snapshot-writer PAGES [forward|backward]
 * [huge] (huge: MADV_HUGEPAGE on the mapping)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define WORDS (4096 / sizeof(uint64_t))

int main(int argc, char **argv) {
  const uint64_t pages = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
  uint64_t *region = mmap(NULL, (pages + 1) * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) return 1;
  if (argc > 3 && strcmp(argv[3], "huge") == 0) madvise(region, (pages + 1) * 4096, MADV_HUGEPAGE);
  const int backward = argc > 2 && strcmp(argv[2], "backward") == 0;
  volatile uint64_t *header = region;
  for (uint64_t k = 1;; k++) {
    volatile uint64_t *page = region + (backward ? pages - k % pages : 1 + k % pages) * WORDS;
    for (size_t w = 0; w < WORDS; w++) page[w] = k;
    __atomic_store_n(header, k, __ATOMIC_RELEASE);
    if (k == pages) {
      printf("ready %p %llu\n", (void *)region, (unsigned long long)pages);
      fflush(stdout);
    }
  }
}
