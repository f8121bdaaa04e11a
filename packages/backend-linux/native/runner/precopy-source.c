/*
 * `restorelab-runner --precopy-source RUN_DIR`: the live source of pre-copy rounds (plan-format.h,
 * "Pre-copy rounds"), like QEMU's: one thread runs the source phase over and over on the image's
 * memory while the main thread sends it to the destination in rounds. Dirty tracking is userfaultfd
 * write-protect in async mode: the kernel resolves a write fault itself and marks the page written;
 * PAGEMAP_SCAN collects the written pages and protects them again in one call, so a page written
 * while it is being sent shows up in the next round.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/pagemap-scan.h"
#include "../common/uffd-compat.h"
#include "../common/uffd-open.h"
#include "runner.h"

#define SCAN_REGIONS 4096

struct source {
  struct runner_proc *p;
  struct runner_trace trace;
  /* per page: the source phase writes it (a content page of a writable VMA) */
  uint8_t *tracked;
  /* per tracked page: the index of its last write in the source phase */
  uint64_t *last_write;
  size_t ps;
  int uffd;
  int pagemap;
  int listen_fd;
  int conn;
  pid_t dest;
  uint64_t *dest_addr;
  struct page_region *regions;
  /* a shaped link: bytes per second (0: none), one-way latency, and when it is free again (runner_now) */
  double link_bps;
  double link_latency_ns;
  double link_free;
  /* the source thread's progress, and the main thread's order to stop */
  uint64_t done;
  int stop;
  pthread_t thread;
};

static void fail(struct source *s, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void monitor_gone(struct source *s, const char *when) __attribute__((noreturn));
static void fail(struct source *s, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  (void)s;
  fprintf(stderr, "restorelab-precopy-source: %s\n", text);
  _exit(RUNNER_EXIT_SETUP);
}

/* Its stdin closed before the switch-over: the monitor was killed and cannot clean up after itself. */
static void monitor_gone(struct source *s, const char *when) {
  runner_remove_run_dir();
  fail(s, "the monitor went away %s", when);
}

static int vma_of(const struct runner_proc *p, uint64_t page) {
  uint32_t lo = 0, hi = p->pp->nvmas;
  while (lo + 1 < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (p->vmas[mid].first_page <= page) lo = mid;
    else hi = mid;
  }
  return (int)lo;
}

/*
 * The image's memory, word 0 of every page the source phase writes changed until its last write of
 * the first pass (earlier writes store the changed word): a copy taken before that write is stale,
 * so a write the rounds miss is a page that fails verification.
 */
static void map_and_fill(struct source *s) {
  struct runner_proc *p = s->p;
  runner_map_fresh(p);
  for (uint32_t i = 0; i < p->pp->nvmas; i++) {
    /* 4 KiB dirty tracking: a huge page would be written, scanned and sent whole */
    (void)madvise((void *)p->addr[i], p->vmas[i].pages * s->ps, MADV_NOHUGEPAGE);
  }
  const uint64_t n = p->pp->total_pages;
  s->tracked = calloc(n ? n : 1, 1);
  s->last_write = calloc(n ? n : 1, sizeof *s->last_write);
  if (!s->tracked || !s->last_write) fail(s, "out of memory");
  for (uint64_t k = 0; k < s->trace.accesses; k++) {
    const uint32_t pg = s->trace.page[k];
    if (s->trace.write[k] && (p->flags[pg] & RL_PAGE_CONTENT) && p->vmas[vma_of(p, pg)].writable) {
      s->tracked[pg] = 1;
      s->last_write[pg] = k;
    }
  }
  for (uint64_t pg = 0; pg < n; pg++) {
    if (!(p->flags[pg] & RL_PAGE_CONTENT)) continue;
    uint8_t *a = runner_page_addr(p, pg);
    memcpy(a, runner_image_page(p, pg), s->ps);
    if (s->tracked[pg]) *(uint64_t *)a ^= RL_PRECOPY_STALE_MARK;
  }
}

static void write_protect(struct source *s) {
  struct runner_proc *p = s->p;
  struct rl_uffd_attempt at;
  s->uffd = rl_uffd_open(O_CLOEXEC | O_NONBLOCK, &at);
  if (s->uffd < 0) fail(s, "cannot open a userfaultfd: %s", strerror(at.syscall_errno));
  const uint64_t want = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED;
  uint64_t got = 0;
  if (rl_uffd_api(s->uffd, want, &got, NULL) < 0 || (got & want) != want)
    fail(s, "this kernel's userfaultfd has no asynchronous write-protect (UFFD_FEATURE_WP_ASYNC, Linux 6.7+): %s", strerror(errno));
  for (uint32_t i = 0; i < p->pp->nvmas; i++) {
    struct uffdio_register reg;
    memset(&reg, 0, sizeof reg);
    reg.range.start = p->addr[i];
    reg.range.len = p->vmas[i].pages * s->ps;
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    if (ioctl(s->uffd, UFFDIO_REGISTER, &reg) != 0) fail(s, "UFFDIO_REGISTER (write-protect) of VMA %u failed: %s", i, strerror(errno));
    struct uffdio_writeprotect wp;
    memset(&wp, 0, sizeof wp);
    wp.range = reg.range;
    wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
    if (ioctl(s->uffd, UFFDIO_WRITEPROTECT, &wp) != 0) fail(s, "UFFDIO_WRITEPROTECT of VMA %u failed: %s", i, strerror(errno));
  }
  s->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (s->pagemap < 0) fail(s, "cannot open /proc/self/pagemap: %s", strerror(errno));
  s->regions = malloc(SCAN_REGIONS * sizeof *s->regions);
  if (!s->regions) fail(s, "out of memory");
}

/* The source phase, over and over, until told to stop (at an access boundary). */
static void *run_source(void *arg) {
  struct source *s = arg;
  struct runner_proc *p = s->p;
  const uint64_t n = s->trace.accesses;
  if (n == 0) return NULL;
  int first_pass = 1;
  for (uint64_t k = 0;; k = k + 1 == n ? 0 : k + 1) {
    if (k == 0 && s->done) first_pass = 0;
    if (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) return NULL;
    if (s->trace.gap[k]) runner_spin_ns(s->trace.gap[k]);
    const uint32_t pg = s->trace.page[k];
    uint8_t *a = runner_page_addr(p, pg);
    if (s->trace.write[k] && s->tracked[pg]) {
      const uint64_t word = *(const uint64_t *)runner_image_page(p, pg);
      *(volatile uint64_t *)a = first_pass && k != s->last_write[pg] ? word ^ RL_PRECOPY_STALE_MARK : word;
    } else (void)*(volatile uint64_t *)(a + (k & 63) * 64);
    __atomic_store_n(&s->done, s->done + 1, __ATOMIC_RELEASE);
  }
}

static void listen_on_socket(struct source *s) {
  struct sockaddr_un addr;
  if (!runner_socket_addr(&addr, RL_PRECOPY_SOCKET_FILE)) fail(s, "run directory path too long for a unix socket: %s", g_files.dir);
  s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s->listen_fd < 0) fail(s, "socket: %s", strerror(errno));
  unlink(addr.sun_path);
  if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s->listen_fd, 1) != 0)
    fail(s, "cannot listen on %s: %s", addr.sun_path, strerror(errno));
  printf("listening\n");
  fflush(stdout);
}

/* Waits for the destination on the socket; gives up when stdin (the monitor) closes. */
static void accept_destination(struct source *s) {
  struct pollfd fds[2] = {{s->listen_fd, POLLIN, 0}, {0, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail(s, "poll: %s", strerror(errno));
    }
    if (fds[1].revents) monitor_gone(s, "before the destination connected");
    if (fds[0].revents) break;
  }
  s->conn = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (s->conn < 0) fail(s, "accept: %s", strerror(errno));
  struct rl_precopy_msg m;
  if (recv(s->conn, &m, sizeof m, 0) != (ssize_t)sizeof m || m.type != RL_PRECOPY_HELLO) fail(s, "the destination did not say hello");
  s->dest = m.os_pid;
  const uint32_t nv = s->p->pp->nvmas;
  s->dest_addr = calloc(nv ? nv : 1, sizeof *s->dest_addr);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", g_files.dir, RL_DEST_VMAS_FILE);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || !s->dest_addr) fail(s, "cannot read %s: %s", path, strerror(errno));
  ssize_t got = read(fd, s->dest_addr, nv * sizeof *s->dest_addr);
  close(fd);
  if (got != (ssize_t)(nv * sizeof *s->dest_addr)) fail(s, "%s is truncated", path);
}

static void send_to_destination(struct source *s, const struct rl_precopy_msg *m) {
  if (send(s->conn, m, sizeof *m, MSG_NOSIGNAL) != (ssize_t)sizeof *m) fail(s, "the destination went away: %s", strerror(errno));
}

/* Waits until runner_now() reaches t: sleeps, then spins the last stretch (a shaped link's pace). */
static void wait_until(double t) {
  for (double left = t - runner_now(); left > 0; left = t - runner_now()) {
    if (left > 200000) {
      struct timespec ts = {0, (long)(left - 100000)};
      nanosleep(&ts, NULL);
    } else runner_spin_ns((uint64_t)left);
  }
}

/* A batch of `bytes` on the link: it leaves once the one before has crossed it, at the link's bandwidth. */
static void pace(struct source *s, uint64_t bytes) {
  if (s->link_bps <= 0) return;
  const double now = runner_now();
  s->link_free = (s->link_free > now ? s->link_free : now) + (double)bytes * 1e9 / s->link_bps;
  wait_until(s->link_free);
}

/* Writes pages [page, page+count) of one VMA into the destination, RL_PRECOPY_BATCH_PAGES at a time. */
static void send_run(struct source *s, uint64_t page, uint64_t count) {
  struct runner_proc *p = s->p;
  const int v = vma_of(p, page);
  for (uint64_t i = 0; i < count; i += RL_PRECOPY_BATCH_PAGES) {
    const uint64_t n = count - i < RL_PRECOPY_BATCH_PAGES ? count - i : RL_PRECOPY_BATCH_PAGES;
    const uint64_t off = (page + i - p->vmas[v].first_page) * s->ps;
    struct iovec local = {(void *)(p->addr[v] + off), n * s->ps};
    struct iovec remote = {(void *)(s->dest_addr[v] + off), n * s->ps};
    ssize_t w = process_vm_writev(s->dest, &local, 1, &remote, 1, 0);
    if (w != (ssize_t)(n * s->ps)) fail(s, "process_vm_writev into the destination failed: %s", w < 0 ? strerror(errno) : "short write");
    pace(s, n * s->ps);
  }
}

/* Calls fn for each run of consecutive pages of an ascending list that stays in one VMA. */
static void for_each_run(struct source *s, const uint32_t *pages, uint64_t n, void (*fn)(struct source *, uint64_t, uint64_t, void *), void *arg) {
  uint64_t i = 0;
  while (i < n) {
    const int v = vma_of(s->p, pages[i]);
    const uint64_t end = s->p->vmas[v].first_page + s->p->vmas[v].pages;
    uint64_t j = i + 1;
    while (j < n && pages[j] == pages[j - 1] + 1 && pages[j] < end) j++;
    fn(s, pages[i], j - i, arg);
    i = j;
  }
}

static void send_run_cb(struct source *s, uint64_t page, uint64_t count, void *arg) {
  (void)arg;
  send_run(s, page, count);
}

/* Content pages written since the last scan, protected again; ascending in *out. Returns how many. */
static uint64_t scan_dirty(struct source *s, uint32_t *out) {
  struct runner_proc *p = s->p;
  uint64_t n = 0;
  for (uint32_t i = 0; i < p->pp->nvmas; i++) {
    const uint64_t start = p->addr[i], end = start + p->vmas[i].pages * s->ps;
    struct pm_scan_arg arg;
    memset(&arg, 0, sizeof arg);
    arg.size = sizeof arg;
    arg.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
    arg.start = start;
    arg.end = end;
    arg.vec = (uint64_t)s->regions;
    arg.vec_len = SCAN_REGIONS;
    arg.category_mask = PAGE_IS_WRITTEN;
    arg.return_mask = PAGE_IS_WRITTEN;
    for (;;) {
      int got = ioctl(s->pagemap, PAGEMAP_SCAN, &arg);
      if (got < 0) fail(s, "PAGEMAP_SCAN of VMA %u failed: %s", i, strerror(errno));
      for (int r = 0; r < got; r++) {
        for (uint64_t a = s->regions[r].start; a < s->regions[r].end; a += s->ps) {
          const uint64_t pg = p->vmas[i].first_page + (a - start) / s->ps;
          if (p->flags[pg] & RL_PAGE_CONTENT) out[n++] = (uint32_t)pg;
        }
      }
      if (arg.walk_end >= end || got == 0) break;
      arg.start = arg.walk_end;
    }
  }
  return n;
}

static void discard_cb(struct source *s, uint64_t page, uint64_t count, void *arg) {
  struct rl_precopy_msg *m = arg;
  m->runs[2 * m->nruns] = page;
  m->runs[2 * m->nruns + 1] = count;
  if (++m->nruns == RL_PRECOPY_RUNS_PER_MSG) {
    send_to_destination(s, m);
    m->nruns = 0;
  }
}

/* The union of two ascending page lists, ascending, into out; returns its length. */
static uint64_t merge_pages(const uint32_t *a, uint64_t na, const uint32_t *b, uint64_t nb, uint32_t *out) {
  uint64_t i = 0, j = 0, n = 0;
  while (i < na || j < nb) {
    if (j == nb || (i < na && a[i] < b[j])) out[n++] = a[i++];
    else if (i == na || b[j] < a[i]) out[n++] = b[j++];
    else {
      out[n++] = a[i++];
      j++;
    }
  }
  return n;
}

/* "continue" or "switch REASON" from the monitor; its end of stdin closed: give up. */
static int read_decision(struct source *s, uint32_t *reason) {
  char line[64];
  if (!fgets(line, sizeof line, stdin)) monitor_gone(s, "during the pre-copy rounds");
  if (strncmp(line, "continue", 8) == 0) return 0;
  unsigned r = 0;
  if (sscanf(line, "switch %u", &r) == 1) {
    *reason = r;
    return 1;
  }
  fail(s, "unexpected order from the monitor: %.40s", line);
}

int runner_precopy_source_main(double link_bps, double link_latency_ns) {
  struct source src;
  struct source *s = &src;
  memset(s, 0, sizeof *s);
  s->link_bps = link_bps;
  s->link_latency_ns = link_latency_ns;
  /* a monitor killed mid-round: its stdout pipe fails with EPIPE, and its stdin says it is gone */
  signal(SIGPIPE, SIG_IGN);
  if (g_files.hdr->nprocs != 1) fail(s, "pre-copy rounds need a single-process plan");
  s->ps = g_files.hdr->page_size;
  s->p = runner_new_proc(0);
  runner_load_trace_file(s->p, RL_SOURCE_TRACE_FILE, &s->trace);
  map_and_fill(s);
  write_protect(s);
  listen_on_socket(s);
  accept_destination(s);

  const uint64_t total = s->p->pp->total_pages;
  uint32_t *send = malloc((total ? total : 1) * sizeof *send);
  uint32_t *dirty = malloc((total ? total : 1) * sizeof *dirty);
  if (!send || !dirty) fail(s, "out of memory");
  uint64_t nsend = 0, ndirty = 0;
  for (uint64_t pg = 0; pg < total; pg++)
    if (s->p->flags[pg] & RL_PAGE_CONTENT) send[nsend++] = (uint32_t)pg;
  if (pthread_create(&s->thread, NULL, run_source, s) != 0) fail(s, "cannot start the source thread");

  struct rl_precopy_msg m;
  uint32_t round = 0, reason = 0;
  for (;;) {
    const double t0 = runner_now();
    for_each_run(s, send, nsend, send_run_cb, NULL);
    ndirty = scan_dirty(s, dirty);
    const double t1 = runner_now();
    memset(&m, 0, sizeof m);
    m.type = RL_PRECOPY_ROUND;
    m.round = ++round;
    m.sent = nsend;
    m.dirty = ndirty;
    m.t = t1;
    m.ns = t1 - t0;
    send_to_destination(s, &m);
    printf("round %u %llu %llu %.0f %.0f\n", round, (unsigned long long)nsend, (unsigned long long)ndirty, t1, t1 - t0);
    fflush(stdout);
    if (read_decision(s, &reason)) break;
    uint32_t *t = send;
    send = dirty;
    dirty = t;
    nsend = ndirty;
  }

  /* the source runs its source phase once at least: the image is its memory after that */
  const uint64_t n = s->trace.accesses;
  while (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) < n) {
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
  }
  __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
  pthread_join(s->thread, NULL);
  const double stopped = runner_now();
  /* over a link: the destination has the rounds once their last bytes are in */
  if (s->link_bps > 0 || s->link_latency_ns > 0) wait_until((s->link_free > stopped ? s->link_free : stopped) + s->link_latency_ns);
  /* the last round's dirty set was never sent again: it is dropped with what was written since */
  const uint64_t nscan = scan_dirty(s, send);
  uint32_t *last = malloc((total ? total : 1) * sizeof *last);
  if (!last) fail(s, "out of memory");
  const uint64_t nlast = merge_pages(dirty, ndirty, send, nscan, last);
  memset(&m, 0, sizeof m);
  m.type = RL_PRECOPY_SWITCH;
  m.round = round;
  m.dirty = nlast;
  m.reason = reason;
  m.passes = n ? (double)s->done / (double)n : 0;
  m.t = stopped;
  send_to_destination(s, &m);
  memset(&m, 0, sizeof m);
  m.type = RL_PRECOPY_DISCARD;
  for_each_run(s, last, nlast, discard_cb, &m);
  if (m.nruns) send_to_destination(s, &m);
  memset(&m, 0, sizeof m);
  m.type = RL_PRECOPY_END;
  send_to_destination(s, &m);
  if (recv(s->conn, &m, sizeof m, 0) != (ssize_t)sizeof m || m.type != RL_PRECOPY_DONE) fail(s, "the destination went away before it dropped the last dirty pages");
  printf("switched %.0f %llu %.3f\n", stopped, (unsigned long long)nlast, n ? (double)s->done / (double)n : 0.0);
  fflush(stdout);
  return 0;
}
