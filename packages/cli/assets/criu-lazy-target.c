/*
 * A program that checks its own memory, for the criu-lazy-pages tests: MIB MiB of private anonymous
 * memory, every 8-byte word a function of its page and place, scanned again and again by THREADS
 * threads. A scan that finds a wrong word prints "mismatch" and exits 3 (a zero page mapped where a
 * dumped page belonged is one). A gap of over 100 ms in the wall clock, seen by a watch thread, is a
 * checkpoint and restore; once every page was read again since then (each thread from the page it
 * was at round to it again) it prints "restored-scan NS", the time that took. With "fork", a child
 * forked at start checks its own copy too (two tasks for criu). With "fork-after", the watch thread
 * forks a child as soon as it sees the restore, which checks the memory it inherited, pages not yet
 * in coming through its own uffd (UFFD_EVENT_FORK), and exits ("fork-after child ok"). With
 * "slow", it prints "resumed" when it sees the restore and scans at 4 pages per ms from then. With
 * "sum", each page's words are checksummed in a chain (FNV-1a over 8-byte words) and checked against
 * the page's sum taken at start, instead of each word against its value: a scan bound by the CPU,
 * not by memory bandwidth. "sum32" chains over 4-byte words instead: twice the steps, a scan about
 * three times slower than a check of every word. On SIGUSR1 it prints "ok SCANS" and exits 0 (each task, after its
 * current scan).
 *
 *   criu-lazy-target MIB THREADS [fork|fork-after|slow|sum|sum32]
 *
 * Lines: "ready PID" once the memory is filled, "scan NS" after each full scan before a restore.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define WORDS (PAGE / 8)
#define GAP_NS 100000000LL

static uint64_t* mem;
static size_t pages;
static int nthreads;
static volatile sig_atomic_t stop;
static int forkAfter;
static int slowAfter;
static uint64_t* sums; /* with sum or sum32: each page's sum at start */
static int sumHalves;  /* sum32: the chain steps over 4-byte words */

static int64_t now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* the wall clock: criu restores CLOCK_MONOTONIC in a time namespace that hides the pause */
static int64_t wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t word(size_t page, size_t w) { return ((uint64_t)page << 20 | w) * 0x9e3779b97f4a7c15ull; }

static uint64_t pageSum(const uint64_t* q) {
  uint64_t h = 0xcbf29ce484222325ull;
  if (sumHalves) {
    const uint32_t* d = (const uint32_t*)q;
    for (size_t w = 0; w < WORDS * 2; w++) h = (h ^ d[w]) * 0x100000001b3ull;
  } else {
    for (size_t w = 0; w < WORDS; w++) h = (h ^ q[w]) * 0x100000001b3ull;
  }
  return h;
}

static int64_t fullScan(void);

/* with fork-after, as soon as the restore is seen: a child checks the memory it inherited, whose
   pages not yet in come through its own uffd (UFFD_EVENT_FORK) */
static void forkChecker(void) {
  pid_t c = fork();
  if (c == 0) _exit(fullScan() < 0 ? 3 : 0);
  int status = 0;
  waitpid(c, &status, 0);
  const int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  printf("fork-after child %s\n", ok ? "ok" : "mismatch");
  fflush(stdout);
}

/* the watch thread: the first gap of over GAP_NS in the wall clock (a checkpoint and restore)
   sets resumed, and resumedAt (monotonic) when it was seen */
static volatile int resumed;
static int64_t resumedAt;

static void* watch(void* arg) {
  (void)arg;
  int64_t last = wall();
  for (;;) {
    usleep(1000);
    const int64_t t = wall();
    if (t - last > GAP_NS && !resumed) {
      resumedAt = now();
      __atomic_store_n(&resumed, 1, __ATOMIC_RELEASE);
      if (slowAfter) {
        printf("resumed\n");
        fflush(stdout);
      }
      if (forkAfter) forkChecker();
    }
    last = t;
  }
  return NULL;
}

/* Each scanner's pass over its slice after the restore: from the page it was at when it first saw
   `resumed`, round to that page again in a later scan (state 0: not begun, 1: on it, 2: done) */
static size_t passFrom[64];
static int passState[64], passWrapped[64];
static int64_t passDoneAt[64];

/* slice i: 0, or -1 on a mismatch; with slow, a pause of 1 ms every 4 pages once resumed */
static int scan(int i, size_t from, size_t to) {
  if (passState[i] == 1) passWrapped[i] = 1;
  for (size_t p = from; p < to; p++) {
    if (passState[i] == 0 && __atomic_load_n(&resumed, __ATOMIC_ACQUIRE)) {
      passFrom[i] = p;
      passState[i] = 1;
    } else if (passState[i] == 1 && passWrapped[i] && p == passFrom[i]) {
      passDoneAt[i] = now();
      passState[i] = 2;
    }
    const uint64_t* q = mem + p * WORDS;
    if (sums) {
      const uint64_t h = pageSum(q);
      if (h != sums[p]) {
        printf("mismatch page %zu sum %016llx\n", p, (unsigned long long)h);
        fflush(stdout);
        return -1;
      }
      continue;
    }
    for (size_t w = 0; w < WORDS; w++)
      if (q[w] != word(p, w)) {
        printf("mismatch page %zu word %zu: %016llx\n", p, w, (unsigned long long)q[w]);
        fflush(stdout);
        return -1;
      }
    if (slowAfter && resumed && p % 4 == 0) usleep(1000);
  }
  return 0;
}

struct slice {
  int index;
  size_t from, to;
  int bad;
};

static void* scanner(void* arg) {
  struct slice* s = arg;
  s->bad = scan(s->index, s->from, s->to) != 0;
  return NULL;
}

static void onUsr1(int sig) {
  (void)sig;
  stop = 1;
}

/* one scan of all the memory, each thread its slice; its ns, or -1 on a mismatch */
static int64_t fullScan(void) {
  pthread_t th[64];
  struct slice sl[64];
  const int64_t t0 = now();
  for (int i = 0; i < nthreads; i++) {
    sl[i].index = i;
    sl[i].from = pages * i / nthreads;
    sl[i].to = pages * (i + 1) / nthreads;
    pthread_create(&th[i], NULL, scanner, &sl[i]);
  }
  int bad = 0;
  for (int i = 0; i < nthreads; i++) {
    pthread_join(th[i], NULL);
    bad |= sl[i].bad;
  }
  return bad ? -1 : now() - t0;
}


static int checkLoop(const char* who) {
  pthread_t w;
  pthread_create(&w, NULL, watch, NULL);
  long scans = 0;
  int reported = 0;
  while (!stop) {
    const int after = __atomic_load_n(&resumed, __ATOMIC_ACQUIRE);
    const int64_t ns = fullScan();
    if (ns < 0) return 3;
    scans++;
    if (!after) {
      printf("%s scan %lld\n", who, (long long)ns);
      fflush(stdout);
    }
    int done = !reported;
    int64_t last = 0;
    for (int i = 0; i < nthreads && done; i++) {
      done = passState[i] == 2;
      if (passDoneAt[i] > last) last = passDoneAt[i];
    }
    if (done) {
      /* every page read once since the restore was seen */
      reported = 1;
      printf("%s restored-scan %lld\n", who, (long long)(last - resumedAt));
      fflush(stdout);
    }
  }
  printf("%s ok %ld\n", who, scans);
  fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MIB THREADS [fork|fork-after|slow|sum|sum32]\n", argv[0]);
    return 2;
  }
  pages = (size_t)atol(argv[1]) * 256;
  nthreads = atoi(argv[2]);
  if (nthreads < 1 || nthreads > 64 || pages == 0) return 2;
  const int forkAtStart = argc > 3 && strcmp(argv[3], "fork") == 0;
  forkAfter = argc > 3 && strcmp(argv[3], "fork-after") == 0;
  slowAfter = argc > 3 && strcmp(argv[3], "slow") == 0;
  mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 2;
  /* ordinary 4 KiB pages: what the lazy restore serves */
  madvise(mem, pages * PAGE, MADV_NOHUGEPAGE);
  for (size_t p = 0; p < pages; p++)
    for (size_t w = 0; w < WORDS; w++) mem[p * WORDS + w] = word(p, w);
  sumHalves = argc > 3 && strcmp(argv[3], "sum32") == 0;
  if (argc > 3 && (strcmp(argv[3], "sum") == 0 || sumHalves)) {
    sums = malloc(pages * sizeof *sums);
    if (!sums) return 2;
    for (size_t p = 0; p < pages; p++) sums[p] = pageSum(mem + p * WORDS);
  }
  signal(SIGUSR1, onUsr1);
  if (forkAtStart) {
    pid_t c = fork();
    if (c == 0) return checkLoop("child");
    printf("ready %d child %d\n", getpid(), c);
    fflush(stdout);
    const int rc = checkLoop("parent");
    int status = 0;
    waitpid(c, &status, 0);
    return rc != 0 ? rc : WIFEXITED(status) ? WEXITSTATUS(status) : 4;
  }
  printf("ready %d\n", getpid());
  fflush(stdout);
  return checkLoop("main");
}
