/* Replays the restore phase of the trace on real memory and checks every page against the image. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "runner.h"

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PAGEMAP_CHUNK 8192

struct verify_state {
  uint64_t checked;
  uint64_t mismatched;
  uint64_t unrestored;
  uint64_t first[RL_MAX_REPORTED_MISMATCHES];
  uint32_t nfirst;
};

static void check_page(struct verify_state *vs, const struct runner_proc *p, uint64_t page) {
  vs->checked++;
  if (memcmp(runner_page_addr(p, page), runner_image_page(p, page), g_files.hdr->page_size) == 0) return;
  if (vs->nfirst < RL_MAX_REPORTED_MISMATCHES) vs->first[vs->nfirst++] = page;
  vs->mismatched++;
}

/*
 * Compute gaps are busy waits. On x86 the TSC (constant on every CPU this runs on) is read
 * directly, calibrated against CLOCK_MONOTONIC once: a clock_gettime costs as much as a short gap.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static double g_ticks_per_ns;

static void calibrate_spin(void) {
  const double t0 = runner_now();
  const uint64_t c0 = __rdtsc();
  while (runner_now() - t0 < 2e6) __builtin_ia32_pause();
  g_ticks_per_ns = (double)(__rdtsc() - c0) / (runner_now() - t0);
}

/* no pause instruction in the loop: it alone takes longer than the shortest gaps */
static inline void spin_ns(uint32_t ns) {
  const uint64_t start = __rdtsc(), ticks = (uint64_t)(ns * g_ticks_per_ns);
  while (__rdtsc() - start < ticks) {
  }
}

static inline uint64_t clock_ticks(void) { return __rdtsc(); }
static inline double ticks_to_ns(uint64_t ticks) { return (double)ticks / g_ticks_per_ns; }
#else
static inline uint64_t clock_ticks(void) { return (uint64_t)runner_now(); }
static inline double ticks_to_ns(uint64_t ticks) { return (double)ticks; }

static void calibrate_spin(void) {}

static inline void spin_ns(uint32_t ns) {
  const double until = runner_now() + ns;
  while (runner_now() < until) {
  }
}
#endif

/* Checkers of a large process: the check reads the whole image and the whole restored memory. */
#define CHECK_THREADS_MAX 4
#define CHECK_THREAD_MIN_PAGES 16384

struct check_job {
  struct runner_proc *p;
  const uint8_t *discarded;
  const uint8_t *gone;
  uint64_t chunks;            /* PAGEMAP_CHUNK-page chunks over all VMAs, in page order */
  uint64_t *first_chunk;      /* per VMA, the index of its first chunk */
  volatile uint64_t next;     /* the next chunk to take */
  struct verify_state vs[CHECK_THREADS_MAX];
};

/* The VMA and first page of chunk c < job->chunks (chunks never straddle VMAs): a binary search. */
static void chunk_at(const struct check_job *job, uint64_t c, uint32_t *vma, uint64_t *k) {
  uint32_t lo = 0, hi = job->p->pp->nvmas;
  while (lo + 1 < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (job->first_chunk[mid] <= c) lo = mid;
    else hi = mid;
  }
  /* VMAs of no chunk (0 pages) share their first chunk with the next one: take the last of them */
  *vma = lo;
  *k = (c - job->first_chunk[lo]) * PAGEMAP_CHUNK;
}

/*
 * Compares the present pages of the chunks it takes with the image (presence from pagemap, so
 * looking does not fault) and counts the others as unrestored. Pages the process itself discarded
 * are skipped.
 */
static void check_chunks(struct check_job *job, struct verify_state *vs) {
  struct runner_proc *p = job->p;
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) runner_fail(p, "cannot open /proc/self/pagemap: %s", strerror(errno));
  uint64_t *pm = malloc(PAGEMAP_CHUNK * sizeof *pm);
  if (!pm) runner_fail(p, "out of memory");
  const uint64_t ps = g_files.hdr->page_size;
  for (;;) {
    const uint64_t c = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
    uint32_t i;
    uint64_t k;
    if (c >= job->chunks) break;
    chunk_at(job, c, &i, &k);
    const struct rl_plan_vma *v = &p->vmas[i];
    if (job->gone[i]) continue;
    uint64_t n = v->pages - k < PAGEMAP_CHUNK ? v->pages - k : PAGEMAP_CHUNK;
    off_t off = (off_t)(((p->addr[i] / ps) + k) * sizeof(uint64_t));
    size_t want = n * sizeof(uint64_t), got = 0;
    while (got < want) {
      ssize_t r = pread(fd, (uint8_t *)pm + got, want - got, off + (off_t)got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) runner_fail(p, "reading /proc/self/pagemap failed: %s", r < 0 ? strerror(errno) : "short read");
      got += (size_t)r;
    }
    /* the image's pages of this chunk mapped in one call, and unmapped after: the check reads
       the whole image without holding it */
    uint8_t *image = (uint8_t *)(g_files.blob + p->pp->blob_offset + (v->first_page + k) * ps);
    (void)madvise(image, n * ps, MADV_POPULATE_READ);
    for (uint64_t j = 0; j < n; j++) {
      uint64_t page = v->first_page + k + j;
      if (job->discarded[page]) continue;
      if (pm[j] & (PM_PRESENT | PM_SWAPPED)) check_page(vs, p, page);
      else vs->unrestored++;
    }
    (void)madvise(image, n * ps, MADV_DONTNEED);
  }
  free(pm);
  close(fd);
}

struct check_worker {
  struct check_job *job;
  struct verify_state *vs;
};

static void *check_worker_main(void *arg) {
  struct check_worker *w = arg;
  check_chunks(w->job, w->vs);
  return NULL;
}

static int cmp_u64(const void *a, const void *b) {
  const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/*
 * Every page of p checked, by up to CHECK_THREADS_MAX threads for a large process, the helpers on
 * any CPU (the workload has ended; SCHED_IDLE, which they inherit, keeps the check behind processes
 * of the tree still in theirs). The first mismatches reported are the lowest pages.
 */
static void check_pages(struct verify_state *vs, struct runner_proc *p, const uint8_t *discarded, const uint8_t *gone) {
  struct check_job *job = calloc(1, sizeof *job);
  if (!job) runner_fail(p, "out of memory");
  job->p = p;
  job->discarded = discarded;
  job->gone = gone;
  job->first_chunk = malloc((p->pp->nvmas + 1) * sizeof *job->first_chunk);
  if (!job->first_chunk) runner_fail(p, "out of memory");
  for (uint32_t i = 0; i < p->pp->nvmas; i++) {
    job->first_chunk[i] = job->chunks;
    job->chunks += (p->vmas[i].pages + PAGEMAP_CHUNK - 1) / PAGEMAP_CHUNK;
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  uint32_t threads = p->pp->total_pages >= CHECK_THREAD_MIN_PAGES && cpus > 1 ? (uint32_t)(cpus < CHECK_THREADS_MAX ? cpus : CHECK_THREADS_MAX) : 1;
  /* the helpers may run on any CPU; this thread stays where the placement put the process */
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  cpu_set_t all;
  CPU_ZERO(&all);
  for (long c = 0; c < cpus && c < CPU_SETSIZE; c++) CPU_SET(c, &all);
  (void)pthread_attr_setaffinity_np(&attr, sizeof all, &all);
  pthread_t th[CHECK_THREADS_MAX];
  struct check_worker w[CHECK_THREADS_MAX];
  uint32_t started = 1;
  for (uint32_t t = 1; t < threads; t++) {
    w[t].job = job;
    w[t].vs = &job->vs[t];
    if (pthread_create(&th[t], &attr, check_worker_main, &w[t]) != 0) break;
    started++;
  }
  pthread_attr_destroy(&attr);
  check_chunks(job, &job->vs[0]);
  for (uint32_t t = 1; t < started; t++) pthread_join(th[t], NULL);
  uint64_t first[CHECK_THREADS_MAX * RL_MAX_REPORTED_MISMATCHES];
  uint32_t nfirst = 0;
  for (uint32_t t = 0; t < started; t++) {
    vs->checked += job->vs[t].checked;
    vs->mismatched += job->vs[t].mismatched;
    vs->unrestored += job->vs[t].unrestored;
    for (uint32_t m = 0; m < job->vs[t].nfirst; m++) first[nfirst++] = job->vs[t].first[m];
  }
  qsort(first, nfirst, sizeof first[0], cmp_u64);
  vs->nfirst = nfirst < RL_MAX_REPORTED_MISMATCHES ? nfirst : RL_MAX_REPORTED_MISMATCHES;
  memcpy(vs->first, first, vs->nfirst * sizeof first[0]);
  free(job->first_chunk);
  free(job);
}

/* progress.bin, shared with the monitor; NULL when absent (the run goes on without it). */
static volatile uint64_t *map_progress(struct runner_proc *p) {
  char name[4096];
  snprintf(name, sizeof name, "%s/%s", g_files.dir, RL_PROGRESS_FILE);
  int fd = open(name, O_RDWR | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t len = (g_files.hdr->nprocs * sizeof(uint64_t) + 4095) & ~(size_t)4095;
  struct stat st;
  void *m = MAP_FAILED;
  if (fstat(fd, &st) == 0 && (size_t)st.st_size >= g_files.hdr->nprocs * sizeof(uint64_t))
    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  (void)p;
  return m == MAP_FAILED ? NULL : (volatile uint64_t *)m;
}

/* RL_PLAN_EXERCISE_EVENTS: the non-cooperative events, for tests of the monitor. */
static void exercise_events(struct runner_proc *p, uint8_t *gone, uint8_t *discarded) {
  const uint64_t ps = g_files.hdr->page_size, huge = 2ull << 20;
  if (p->pp->nvmas < 3) return;
  const size_t len0 = p->vmas[0].pages * ps;
  uint8_t *r = mmap(NULL, len0 + huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) runner_fail(p, "mmap: %s", strerror(errno));
  uint64_t to = (((uint64_t)r + huge - 1) & ~(huge - 1)) + (p->addr[0] & (huge - 1));
  if (mremap((void *)p->addr[0], len0, len0, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to) == MAP_FAILED)
    runner_fail(p, "mremap of VMA 0 failed: %s", strerror(errno));
  p->addr[0] = to;
  if (to > (uint64_t)r) munmap(r, to - (uint64_t)r);
  if ((uint64_t)r + len0 + huge > to + len0) munmap((void *)(to + len0), (uint64_t)r + len0 + huge - (to + len0));
  uint8_t *first = (uint8_t *)p->addr[1];
  /* a hugetlb VMA discards whole huge pages (the kernel ignores part of one) */
  const uint64_t dn = p->vmas[1].hugetlb ? RL_HUGETLB_PAGES : 1;
  if (madvise(first, dn * ps, MADV_DONTNEED) != 0) runner_fail(p, "MADV_DONTNEED failed: %s", strerror(errno));
  if (*(volatile uint8_t *)first != 0) runner_fail(p, "a discarded page did not read as zeros");
  memset(discarded + p->vmas[1].first_page, 1, dn);
  if (munmap((void *)p->addr[2], p->vmas[2].pages * ps) != 0) runner_fail(p, "munmap of VMA 2 failed: %s", strerror(errno));
  gone[2] = 1;
}

void runner_spin_ns(uint32_t ns) { spin_ns(ns); }

/* Maps and checks the trace, and times the spin loop: before GO, so none of it is workload time. */
void runner_load_trace(struct runner_proc *p, struct runner_trace *tr) {
  char file[64];
  snprintf(file, sizeof file, "trace-%u.bin", p->idx);
  runner_load_trace_file(p, file, tr);
}

void runner_load_trace_file(struct runner_proc *p, const char *file, struct runner_trace *tr) {
  char name[4096];
  snprintf(name, sizeof name, "%s/%s", g_files.dir, file);
  int fd = open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) runner_fail(p, "cannot open %s: %s", name, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(struct rl_trace_header)) runner_fail(p, "%s is truncated", name);
  const uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (base == MAP_FAILED) runner_fail(p, "cannot map %s: %s", name, strerror(errno));
  const struct rl_trace_header *th = (const struct rl_trace_header *)base;
  if (th->magic != RL_TRACE_MAGIC || th->version != RL_FORMAT_VERSION) runner_fail(p, "%s is not a restorelab trace", name);
  const uint64_t n = th->accesses;
  const uint32_t *page = (const uint32_t *)(base + th->page_off);
  const uint64_t total = p->pp->total_pages;
  for (uint64_t k = 0; k < n; k++)
    if (page[k] >= total) runner_fail(p, "trace access %llu touches page %u of %llu", (unsigned long long)k, page[k], (unsigned long long)total);
  tr->base = base;
  tr->bytes = (size_t)st.st_size;
  tr->accesses = n;
  tr->page = page;
  tr->gap = (const uint32_t *)(base + th->gap_off);
  tr->write = base + th->write_off;
  calibrate_spin();
}

void runner_replay_and_verify(struct runner_proc *p, const struct runner_trace *tr) {
  char name[64];
  const uint64_t n = tr->accesses;
  const uint32_t *page = tr->page;
  const uint32_t *gap = tr->gap;
  const uint8_t *write = tr->write;
  const uint64_t total = p->pp->total_pages;
  const int verify = !(g_files.hdr->flags & RL_PLAN_NO_VERIFY);
  uint8_t *touched = calloc(total ? total : 1, 1);
  if (!touched) runner_fail(p, "out of memory");
  uint8_t *vma_writable = calloc(p->pp->nvmas + 1, 1);
  for (uint32_t i = 0; i < p->pp->nvmas; i++) vma_writable[i] = p->vmas[i].writable;
  struct verify_state vs;
  memset(&vs, 0, sizeof vs);

  /* the first touch of each page is timed: what the process waited when it faulted */
  struct rl_first_touch *first = malloc((total ? total : 1) * sizeof *first);
  if (!first) runner_fail(p, "out of memory");
  uint64_t nfirst = 0;
  volatile uint64_t *progress = map_progress(p);
  for (uint64_t k = 0; k < n; k++) {
    if ((k & (RL_PROGRESS_EVERY - 1)) == 0 && progress) progress[p->idx] = k;
    if (gap[k]) spin_ns(gap[k]);
    const uint64_t pg = page[k];
    uint8_t *a = runner_page_addr(p, pg);
    int w = write[k];
    if (w) {
      /* read-only VMAs are read, never written */
      uint32_t lo = 0, hi = p->pp->nvmas;
      while (lo + 1 < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (p->vmas[mid].first_page <= pg) lo = mid;
        else hi = mid;
      }
      w = vma_writable[lo];
    }
    /*
     * A write is a real store (it faults as a write, dirties the page, breaks COW) that leaves
     * the content as it was, so every present page can be compared with the image after the
     * replay, outside the timed workload: a page that differs then is one the process saw.
     */
    volatile uint64_t *word = (volatile uint64_t *)(a + (k & 63) * 64);
    if (touched[pg]) {
      if (w) __atomic_fetch_add(word, 0, __ATOMIC_RELAXED);
      else (void)*word;
      continue;
    }
    touched[pg] = 1;
    const uint64_t c0 = clock_ticks();
    if (w) __atomic_fetch_add(word, 0, __ATOMIC_RELAXED);
    else (void)*word;
    const double ns = ticks_to_ns(clock_ticks() - c0);
    first[nfirst].page = (uint32_t)pg;
    first[nfirst].ns = ns >= 4294967295.0 ? UINT32_MAX : (uint32_t)ns;
    nfirst++;
  }
  const double t_end = runner_now();
  /* the check below must not slow the processes of the tree still in their workload (best effort) */
  struct sched_param idle = {0};
  (void)sched_setscheduler(0, SCHED_IDLE, &idle);
  if (progress) {
    progress[p->idx] = n;
    munmap((void *)progress, (g_files.hdr->nprocs * sizeof(uint64_t) + 4095) & ~(size_t)4095);
  }
  uint8_t *gone = calloc(p->pp->nvmas + 1, 1);
  if (!gone) runner_fail(p, "out of memory");
  uint8_t *discarded = calloc(total ? total : 1, 1);
  if (!discarded) runner_fail(p, "out of memory");
  if (g_files.hdr->flags & RL_PLAN_EXERCISE_EVENTS) exercise_events(p, gone, discarded);
  if (verify) check_pages(&vs, p, discarded, gone);
  const double t_verified = runner_now();

  uint64_t nruns = 0;
  for (uint64_t pg = 0; pg < total; pg++)
    if (touched[pg] && (pg == 0 || !touched[pg - 1])) nruns++;
  uint64_t *runs = malloc((nruns ? nruns : 1) * 2 * sizeof *runs);
  if (!runs) runner_fail(p, "out of memory");
  uint64_t r = 0;
  for (uint64_t pg = 0; pg < total; pg++) {
    if (!touched[pg]) continue;
    if (pg == 0 || !touched[pg - 1]) {
      runs[2 * r] = pg;
      runs[2 * r + 1] = 0;
      r++;
    }
    runs[2 * (r - 1) + 1]++;
  }

  struct rl_done_header h;
  memset(&h, 0, sizeof h);
  h.magic = RL_DONE_MAGIC;
  h.version = RL_FORMAT_VERSION;
  h.proc = p->idx;
  h.accesses = n;
  h.t_end = t_end;
  h.t_verified = t_verified;
  h.checked = vs.checked;
  h.mismatched = vs.mismatched;
  h.unrestored = vs.unrestored;
  h.n_touched_runs = nruns;
  h.n_mismatch = vs.nfirst;
  h.n_first_touches = nfirst;
  snprintf(name, sizeof name, "done-%u.bin", p->idx);
  const struct iovec parts[] = {
      {&h, sizeof h},
      {runs, nruns * 2 * sizeof *runs},
      {vs.first, vs.nfirst * sizeof vs.first[0]},
      {first, nfirst * sizeof *first},
  };
  runner_write_file(p, name, parts, 4);
  free(first);
  free(runs);
  free(gone);
  free(discarded);
  free(touched);
  free(vma_writable);
  /* what the monitor samples next is the restored memory, not the runner's view of the image */
  munmap((void *)tr->base, tr->bytes);
  munmap((void *)g_files.blob, g_files.blob_bytes);
}
