/*
 * restorelab-snapshot PID BLOB BUFFER_PAGES RESUME START:PAGES...
 *
 * PID must be stopped (SIGSTOP) by the caller, which read its private anonymous VMAs (START:PAGES,
 * in hex and decimal) at that instant. Every page of them is write-protected; then the process is
 * resumed (RESUME=1) and its pages are written to BLOB (page i of the VMAs, in order, at i * 4096;
 * pages never touched stay holes) by a background copier, while a write fault copies its page into
 * a buffer of BUFFER_PAGES pages before unprotecting it (full: the fault waits for the writer).
 * Prints one JSON line of metrics on stdout; a failure is one line on stderr and exit 1, and the
 * process is resumed on every path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/uffd-compat.h"
#include "snapshot.h"

#define PAGE 4096UL
/* Pages the copier reads and unprotects per step (the fault path waits at most one step for the lock). */
#define COPY_RUN 64
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define POLL_MS 50

struct vma {
  uint64_t start, pages, first;
};

static struct {
  pid_t pid;
  int uffd, blob;
  struct vma *vmas;
  size_t nvmas;
  uint64_t total;
  /* 0: protected, still to copy; 1: copied (or never touched: a hole) */
  uint8_t *done;
  pthread_mutex_t mu;
  pthread_cond_t notFull, notEmpty;
  /* the buffer: a ring of slots, each one page and the page's index */
  uint8_t *slots;
  uint64_t *slotPage;
  uint64_t cap, head, count;
  int faultsStop, writerStop;
  char failure[512];
  /* metrics */
  uint64_t copiedBackground, copiedOnWrite, untouched, writeFaults, peakBuffer, fullWaits;
  double stallNs, stallMaxNs;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .notFull = PTHREAD_COND_INITIALIZER, .notEmpty = PTHREAD_COND_INITIALIZER};

static double nowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The first failure wins; every thread stops at its next step. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
  pthread_mutex_lock(&S.mu);
  if (S.failure[0] == '\0') {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(S.failure, sizeof S.failure, fmt, ap);
    va_end(ap);
  }
  S.faultsStop = S.writerStop = 1;
  pthread_cond_broadcast(&S.notFull);
  pthread_cond_broadcast(&S.notEmpty);
  pthread_mutex_unlock(&S.mu);
}

static int failed(void) { return S.failure[0] != '\0'; }

static const struct vma *vmaOf(uint64_t addr) {
  for (size_t i = 0; i < S.nvmas; i++)
    if (addr >= S.vmas[i].start && addr < S.vmas[i].start + S.vmas[i].pages * PAGE) return &S.vmas[i];
  return NULL;
}

/* Reads `pages` pages of the process at `addr`; 0, or the errno. */
static int readPages(uint64_t addr, void *dst, uint64_t pages) {
  struct iovec local = {dst, pages * PAGE}, remote = {(void *)addr, pages * PAGE};
  const ssize_t n = process_vm_readv(S.pid, &local, 1, &remote, 1, 0);
  if (n == (ssize_t)(pages * PAGE)) return 0;
  return n < 0 ? errno : EIO;
}

static void readFailed(int e, uint64_t addr) {
  if (e == ESRCH) fail("process %d exited during the snapshot", S.pid);
  else fail("cannot read process %d's memory at 0x%" PRIx64 ": %s (it unmapped memory during the snapshot?)", S.pid, addr, strerror(e));
}

static int unprotect(uint64_t addr, uint64_t pages) {
  struct uffdio_writeprotect wp = {.range = {.start = addr, .len = pages * PAGE}, .mode = 0};
  if (ioctl(S.uffd, UFFDIO_WRITEPROTECT, &wp) == 0 || errno == ENOENT) return 0;
  fail("UFFDIO_WRITEPROTECT (unprotect) at 0x%" PRIx64 ": %s", addr, strerror(errno));
  return -1;
}

static int writeBlob(const void *src, uint64_t page, uint64_t pages) {
  const uint8_t *p = src;
  uint64_t left = pages * PAGE, off = page * PAGE;
  while (left > 0) {
    const ssize_t n = pwrite(S.blob, p, left, (off_t)off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fail("cannot write the snapshot's pages: %s", n < 0 ? strerror(errno) : "short write");
      return -1;
    }
    p += n;
    off += (uint64_t)n;
    left -= (uint64_t)n;
  }
  return 0;
}

/* A write fault on `addr`: the page goes into the buffer (waiting for room) unless it was copied. */
static void onWriteFault(uint64_t addr) {
  const double t0 = nowNs();
  const uint64_t pageAddr = addr & ~(PAGE - 1);
  const struct vma *v = vmaOf(pageAddr);
  if (!v) {
    fail("a write fault outside the snapshot's memory at 0x%" PRIx64, addr);
    return;
  }
  const uint64_t page = v->first + (pageAddr - v->start) / PAGE;
  pthread_mutex_lock(&S.mu);
  S.writeFaults++;
  int waited = 0;
  while (!S.done[page] && S.count == S.cap && !failed()) {
    waited = 1;
    pthread_cond_wait(&S.notFull, &S.mu);
  }
  if (waited) S.fullWaits++;
  if (!S.done[page] && !failed()) {
    const uint64_t slot = (S.head + S.count) % S.cap;
    const int e = readPages(pageAddr, S.slots + slot * PAGE, 1);
    if (e != 0) {
      pthread_mutex_unlock(&S.mu);
      readFailed(e, pageAddr);
      return;
    }
    S.slotPage[slot] = page;
    S.count++;
    if (S.count > S.peakBuffer) S.peakBuffer = S.count;
    S.done[page] = 1;
    S.copiedOnWrite++;
    pthread_cond_signal(&S.notEmpty);
  }
  pthread_mutex_unlock(&S.mu);
  if (unprotect(pageAddr, 1) != 0) return;
  const double d = nowNs() - t0;
  pthread_mutex_lock(&S.mu);
  S.stallNs += d;
  if (d > S.stallMaxNs) S.stallMaxNs = d;
  pthread_mutex_unlock(&S.mu);
}

static void *faultThread(void *arg) {
  (void)arg;
  struct uffd_msg msgs[64];
  for (;;) {
    pthread_mutex_lock(&S.mu);
    const int stop = S.faultsStop;
    pthread_mutex_unlock(&S.mu);
    if (stop) return NULL;
    struct pollfd p = {.fd = S.uffd, .events = POLLIN};
    const int r = poll(&p, 1, POLL_MS);
    if (r < 0 && errno != EINTR) {
      fail("poll on the userfaultfd: %s", strerror(errno));
      return NULL;
    }
    if (r <= 0) continue;
    const ssize_t n = read(S.uffd, msgs, sizeof msgs);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      fail("reading the userfaultfd: %s", strerror(errno));
      return NULL;
    }
    for (size_t i = 0; i < (size_t)n / sizeof msgs[0]; i++) {
      const struct uffd_msg *m = &msgs[i];
      if (m->event == UFFD_EVENT_PAGEFAULT && (m->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP)) {
        onWriteFault(m->arg.pagefault.address);
      } else if (m->event == UFFD_EVENT_REMOVE || m->event == UFFD_EVENT_UNMAP || m->event == UFFD_EVENT_REMAP) {
        const uint64_t start = m->event == UFFD_EVENT_REMAP ? m->arg.remap.from : m->arg.remove.start;
        const uint64_t end = m->event == UFFD_EVENT_REMAP ? m->arg.remap.from + m->arg.remap.len : m->arg.remove.end;
        /* what it drops is lost to the snapshot unless it was copied already */
        pthread_mutex_lock(&S.mu);
        uint64_t lost = 0;
        for (uint64_t a = start & ~(PAGE - 1); a < end; a += PAGE) {
          const struct vma *v = vmaOf(a);
          if (v && !S.done[v->first + (a - v->start) / PAGE]) lost++;
        }
        pthread_mutex_unlock(&S.mu);
        if (lost > 0) {
          fail("process %d %s %" PRIu64 " pages at 0x%" PRIx64 " before they were copied: the snapshot cannot be consistent", S.pid,
               m->event == UFFD_EVENT_REMOVE ? "discarded (madvise)" : m->event == UFFD_EVENT_UNMAP ? "unmapped" : "moved (mremap)", lost, start);
          return NULL;
        }
      }
    }
  }
}

static void *writerThread(void *arg) {
  (void)arg;
  pthread_mutex_lock(&S.mu);
  for (;;) {
    while (S.count == 0 && !S.writerStop) pthread_cond_wait(&S.notEmpty, &S.mu);
    if (S.count == 0 || failed()) break;
    const uint64_t slot = S.head;
    const uint64_t page = S.slotPage[slot];
    pthread_mutex_unlock(&S.mu);
    const int r = writeBlob(S.slots + slot * PAGE, page, 1);
    pthread_mutex_lock(&S.mu);
    if (r != 0) break;
    S.head = (S.head + 1) % S.cap;
    S.count--;
    pthread_cond_signal(&S.notFull);
  }
  pthread_mutex_unlock(&S.mu);
  return NULL;
}

/* The background copy: runs of pages still protected, read, written out, then unprotected. */
static void copyAll(void) {
  static uint8_t buf[COPY_RUN * PAGE];
  for (size_t vi = 0; vi < S.nvmas && !failed(); vi++) {
    const struct vma *v = &S.vmas[vi];
    uint64_t i = 0;
    while (i < v->pages && !failed()) {
      pthread_mutex_lock(&S.mu);
      while (i < v->pages && S.done[v->first + i]) i++;
      uint64_t j = i;
      while (j < v->pages && j - i < COPY_RUN && !S.done[v->first + j]) j++;
      int e = 0;
      if (j > i) {
        e = readPages(v->start + i * PAGE, buf, j - i);
        if (e == 0) {
          memset(S.done + v->first + i, 1, j - i);
          S.copiedBackground += j - i;
        }
      }
      pthread_mutex_unlock(&S.mu);
      if (j == i) break;
      if (e != 0) {
        readFailed(e, v->start + i * PAGE);
        return;
      }
      if (writeBlob(buf, v->first + i, j - i) != 0 || unprotect(v->start + i * PAGE, j - i) != 0) return;
      i = j;
    }
  }
}

/* Pages neither present nor swapped at the instant are zero in the snapshot: nothing to copy. */
static int markUntouched(void) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/pagemap", S.pid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail("cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  uint64_t entries[512];
  for (size_t vi = 0; vi < S.nvmas; vi++) {
    const struct vma *v = &S.vmas[vi];
    for (uint64_t at = 0; at < v->pages; at += 512) {
      const uint64_t n = v->pages - at < 512 ? v->pages - at : 512;
      if (pread(fd, entries, n * 8, (off_t)((v->start / PAGE + at) * 8)) != (ssize_t)(n * 8)) {
        fail("cannot read %s: %s", path, strerror(errno));
        close(fd);
        return -1;
      }
      for (uint64_t k = 0; k < n; k++)
        if (!(entries[k] & (PM_PRESENT | PM_SWAPPED))) {
          S.done[v->first + at + k] = 1;
          S.untouched++;
        }
    }
  }
  close(fd);
  return 0;
}

static int parseArgs(int argc, char **argv, uint64_t *bufferPages, int *resume) {
  if (argc < 6) return -1;
  char *end;
  S.pid = (pid_t)strtol(argv[1], &end, 10);
  if (*end || S.pid <= 0) return -1;
  S.blob = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (S.blob < 0) {
    fprintf(stderr, "restorelab-snapshot: cannot create %s: %s\n", argv[2], strerror(errno));
    exit(1);
  }
  *bufferPages = strtoull(argv[3], &end, 10);
  if (*end || *bufferPages == 0) return -1;
  *resume = strcmp(argv[4], "1") == 0;
  S.nvmas = (size_t)(argc - 5);
  S.vmas = calloc(S.nvmas, sizeof *S.vmas);
  if (!S.vmas) return -1;
  for (size_t i = 0; i < S.nvmas; i++) {
    char *colon = strchr(argv[5 + i], ':');
    if (!colon) return -1;
    S.vmas[i].start = strtoull(argv[5 + i], &end, 16);
    if (end != colon || S.vmas[i].start % PAGE) return -1;
    S.vmas[i].pages = strtoull(colon + 1, &end, 10);
    if (*end || S.vmas[i].pages == 0) return -1;
    S.vmas[i].first = S.total;
    S.total += S.vmas[i].pages;
  }
  return 0;
}

/* Waits for the tracee's next stop; the ptrace event of it (0 for a plain signal stop), or -1. */
static int waitStop(int *sig) {
  int status;
  if (waitpid(S.pid, &status, __WALL) != S.pid || !WIFSTOPPED(status)) return -1;
  *sig = WSTOPSIG(status);
  return status >> 16;
}

/*
 * The snapshot instant: with the process stopped, a userfaultfd made inside it, its memory
 * registered and write-protected; only then is the tracee let go.
 */
static int attach(void) {
  if (ptrace(PTRACE_SEIZE, S.pid, 0, 0) != 0) {
    fail("cannot attach to process %d: %s (snapshots need root or ptrace rights over it)", S.pid, strerror(errno));
    return -1;
  }
  int sig = 0, ev = -1;
  if (ptrace(PTRACE_INTERRUPT, S.pid, 0, 0) == 0)
    for (int i = 0; i < 8 && ev != PTRACE_EVENT_STOP; i++)
      if ((ev = waitStop(&sig)) < 0) break;
  char err[256] = "";
  if (ev != PTRACE_EVENT_STOP) snprintf(err, sizeof err, "cannot stop process %d under ptrace: %s", S.pid, strerror(errno));
  else S.uffd = snapshot_take_uffd(S.pid, O_CLOEXEC | O_NONBLOCK, err, sizeof err);
  int ok = S.uffd >= 0;
  if (!ok) fail("%s", err);
  struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMAP};
  if (ok && ioctl(S.uffd, UFFDIO_API, &api) != 0) {
    fail("UFFDIO_API: %s", strerror(errno));
    ok = 0;
  }
  for (size_t i = 0; ok && i < S.nvmas; i++) {
    struct uffdio_register reg = {.range = {.start = S.vmas[i].start, .len = S.vmas[i].pages * PAGE}, .mode = UFFDIO_REGISTER_MODE_WP};
    if (ioctl(S.uffd, UFFDIO_REGISTER, &reg) != 0) {
      fail("UFFDIO_REGISTER (write-protect) of 0x%" PRIx64 "+%" PRIu64 " pages: %s", S.vmas[i].start, S.vmas[i].pages, strerror(errno));
      ok = 0;
      break;
    }
    struct uffdio_writeprotect wp = {.range = reg.range, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    if (ioctl(S.uffd, UFFDIO_WRITEPROTECT, &wp) != 0) {
      fail("UFFDIO_WRITEPROTECT of 0x%" PRIx64 ": %s", S.vmas[i].start, strerror(errno));
      ok = 0;
    }
  }
  (void)ptrace(PTRACE_DETACH, S.pid, 0, 0);
  return ok ? 0 : -1;
}

int main(int argc, char **argv) {
  uint64_t bufferPages = 0;
  int resume = 0;
  if (parseArgs(argc, argv, &bufferPages, &resume) != 0) {
    fprintf(stderr, "usage: restorelab-snapshot PID BLOB BUFFER_PAGES RESUME START:PAGES...\n");
    return 2;
  }
  S.cap = bufferPages;
  S.done = calloc(S.total, 1);
  S.slots = malloc(S.cap * PAGE);
  S.slotPage = calloc(S.cap, sizeof *S.slotPage);
  if (!S.done || !S.slots || !S.slotPage) {
    fprintf(stderr, "restorelab-snapshot: out of memory for %" PRIu64 " pages and a buffer of %" PRIu64 "\n", S.total, S.cap);
    if (resume) kill(S.pid, SIGCONT);
    return 1;
  }
  const double t0 = nowNs();
  pthread_t faults, writer;
  int threads = 0;
  if (ftruncate(S.blob, (off_t)(S.total * PAGE)) != 0) fail("cannot size the snapshot's pages file: %s", strerror(errno));
  else if (markUntouched() == 0 && attach() == 0) {
    if (pthread_create(&faults, NULL, faultThread, NULL) != 0 || pthread_create(&writer, NULL, writerThread, NULL) != 0) fail("cannot start the snapshot's threads");
    else threads = 1;
  }
  const double tResume = nowNs();
  if (resume) kill(S.pid, SIGCONT);
  if (threads) {
    copyAll();
    pthread_mutex_lock(&S.mu);
    S.writerStop = 1;
    pthread_cond_broadcast(&S.notEmpty);
    pthread_mutex_unlock(&S.mu);
    pthread_join(writer, NULL);
    pthread_mutex_lock(&S.mu);
    S.faultsStop = 1;
    pthread_mutex_unlock(&S.mu);
    pthread_join(faults, NULL);
  }
  if (S.uffd > 0) {
    for (size_t i = 0; i < S.nvmas; i++) {
      struct uffdio_range r = {.start = S.vmas[i].start, .len = S.vmas[i].pages * PAGE};
      (void)ioctl(S.uffd, UFFDIO_UNREGISTER, &r);
    }
    close(S.uffd);
  }
  if (failed()) {
    fprintf(stderr, "restorelab-snapshot: %s\n", S.failure);
    return 1;
  }
  /* a temporary file the image is written from: no fsync, but a write error close reports counts */
  if (close(S.blob) != 0) {
    fprintf(stderr, "restorelab-snapshot: cannot write the snapshot's pages: %s\n", strerror(errno));
    return 1;
  }
  printf("{\"pages\":%" PRIu64 ",\"copiedBackground\":%" PRIu64 ",\"copiedOnWrite\":%" PRIu64 ",\"untouched\":%" PRIu64 ",\"writeFaults\":%" PRIu64
         ",\"stallNs\":%.0f,\"stallMaxNs\":%.0f,\"peakBufferPages\":%" PRIu64 ",\"bufferPages\":%" PRIu64 ",\"bufferFullWaits\":%" PRIu64
         ",\"setupNs\":%.0f}\n",
         S.total, S.copiedBackground, S.copiedOnWrite, S.untouched, S.writeFaults, S.stallNs, S.stallMaxNs, S.peakBuffer, S.cap, S.fullWaits, tResume - t0);
  return 0;
}
