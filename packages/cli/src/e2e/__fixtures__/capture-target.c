/* A process to capture (capture.test.ts): known pages, untouched pages, a page written with zeros, a MADV_HUGEPAGE region. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void) {
  size_t pages = 64;
  unsigned char *buf = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned char *huge = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(huge, 4 << 20, MADV_HUGEPAGE);
  for (size_t i = 0; i < pages; i += 2) memset(buf + i * 4096, (int)(i + 1), 4096); /* even pages: i + 1; odd pages untouched */
  memset(buf + 10 * 4096, 0, 4096); /* page 10 written with zeros: present, zero */
  huge[0] = 7;
  printf("%lx %lx\n", (unsigned long)buf, (unsigned long)huge);
  fflush(stdout);
  for (;;) pause();
}
