/*
 * restorelab-runner RUN_DIR
 * The restored process: maps the image's VMAs, applies the plan, forks the tree, hands each
 * process's userfaultfd to the monitor and replays the trace on real memory, checking every page
 * against the image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/cpu-mask.h"
#include "runner.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

struct runner_files g_files;

double runner_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

void runner_fail(struct runner_proc *p, const char *fmt, ...) {
  struct rl_msg m;
  memset(&m, 0, sizeof m);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m.text, sizeof m.text, fmt, ap);
  va_end(ap);
  fprintf(stderr, "restorelab-runner: %s\n", m.text);
  if (p && p->sock >= 0) {
    m.type = RL_MSG_FAIL;
    m.proc = p->idx;
    m.os_pid = getpid();
    m.t = runner_now();
    send(p->sock, &m, sizeof m, MSG_NOSIGNAL);
  }
  _exit(RUNNER_EXIT_SETUP);
}

void runner_fact(struct runner_proc *p, int phase, int order, int kind, int pid, double a, double b, double c, double d) {
  runner_fact_at(p, runner_now(), phase, order, kind, pid, a, b, c, d);
}

void runner_fact_at(struct runner_proc *p, double t, int phase, int order, int kind, int pid, double a, double b, double c, double d) {
  if (p->nfacts == p->facts_cap) {
    p->facts_cap = p->facts_cap ? p->facts_cap * 2 : 256;
    p->facts = realloc(p->facts, p->facts_cap * sizeof *p->facts);
    if (!p->facts) runner_fail(p, "out of memory");
  }
  struct rl_fact *f = &p->facts[p->nfacts++];
  memset(f, 0, sizeof *f);
  f->t = t;
  f->kind = kind;
  f->pid = pid;
  f->a = a;
  f->b = b;
  f->c = c;
  f->d = d;
  f->phase = phase;
  f->order = order;
}

static const uint8_t *map_file(const char *name, size_t *bytes) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", g_files.dir, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) runner_fail(NULL, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) < 0) runner_fail(NULL, "cannot stat %s: %s", path, strerror(errno));
  *bytes = (size_t)st.st_size;
  void *m = MAP_FAILED;
  if (st.st_size > 0) m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (st.st_size > 0 && m == MAP_FAILED) runner_fail(NULL, "cannot map %s: %s", path, strerror(errno));
  return st.st_size > 0 ? (const uint8_t *)m : NULL;
}

void runner_load_plan(void) {
  g_files.plan_base = map_file(RL_PLAN_FILE, &g_files.plan_bytes);
  const struct rl_plan_header *h = (const struct rl_plan_header *)g_files.plan_base;
  if (!h || g_files.plan_bytes < sizeof *h || h->magic != RL_PLAN_MAGIC || h->version != RL_FORMAT_VERSION)
    runner_fail(NULL, "%s/%s is not a restorelab plan of version %d", g_files.dir, RL_PLAN_FILE, RL_FORMAT_VERSION);
  if (h->file_bytes != g_files.plan_bytes) runner_fail(NULL, "plan file is truncated");
  if (h->page_size != (uint32_t)sysconf(_SC_PAGESIZE))
    runner_fail(NULL, "the image has %u-byte pages, this machine %ld", h->page_size, sysconf(_SC_PAGESIZE));
  g_files.hdr = h;
  g_files.procs = (const struct rl_plan_proc *)(g_files.plan_base + h->procs_off);
  g_files.vmas = (const struct rl_plan_vma *)(g_files.plan_base + h->vmas_off);
  g_files.page_flags = g_files.plan_base + h->page_flags_off;
  g_files.blob = map_file(RL_PAGES_FILE, &g_files.blob_bytes);
  if (g_files.blob_bytes < h->blob_bytes)
    runner_fail(NULL, "pages file has %zu bytes, the image needs %llu", g_files.blob_bytes, (unsigned long long)h->blob_bytes);
}

struct runner_proc *runner_new_proc(uint32_t idx) {
  struct runner_proc *p = calloc(1, sizeof *p);
  if (!p) runner_fail(NULL, "out of memory");
  const struct rl_plan_proc *pp = &g_files.procs[idx];
  p->idx = idx;
  p->pp = pp;
  p->vmas = g_files.vmas + pp->first_vma;
  p->flags = g_files.page_flags + pp->page_flags_pos;
  p->addr = calloc(pp->nvmas ? pp->nvmas : 1, sizeof *p->addr);
  p->advice = calloc(pp->nvmas ? pp->nvmas : 1, 1);
  p->present = calloc(pp->total_pages ? pp->total_pages : 1, 1);
  if (!p->addr || !p->advice || !p->present) runner_fail(NULL, "out of memory");
  p->sock = -1;
  p->uffd = -1;
  p->cache_fd = -1;
  p->mover_fd = -1;
  if (runner_engine() == RL_PLAN_ENGINE_CONTINUE) {
    p->cache = calloc(pp->nvmas ? pp->nvmas : 1, sizeof *p->cache);
    p->cache_same = calloc(pp->total_pages ? pp->total_pages : 1, 1);
    if (!p->cache || !p->cache_same) runner_fail(NULL, "out of memory");
  }
  return p;
}

static void run_process(struct runner_proc *p) __attribute__((noreturn));

static void run_process(struct runner_proc *p) {
  runner_advise_before_fill(p);
  runner_prefill(p);
  /* pre-copy rounds: the trace is loaded (and the spin loop timed) before the source stops, not in its downtime */
  const int rounds = (g_files.hdr->flags & RL_PLAN_PRECOPY_ROUNDS) != 0;
  struct runner_trace trace;
  if (rounds) {
    runner_load_trace(p, &trace);
    runner_receive_precopy(p);
  }
  runner_collapse(p);

  pid_t children[g_files.hdr->nprocs + 1];
  uint32_t nchildren = 0;
  for (uint32_t c = p->idx + 1; c < g_files.hdr->nprocs; c++)
    if (g_files.procs[c].parent == (int32_t)p->idx) {
      runner_watch_children(p);
      break;
    }
  for (uint32_t c = p->idx + 1; c < g_files.hdr->nprocs; c++) {
    if (g_files.procs[c].parent != (int32_t)p->idx) continue;
    pid_t pid = fork();
    if (pid < 0) runner_fail(p, "fork of pid %d failed: %s", g_files.procs[c].pid, strerror(errno));
    if (pid == 0) {
      close(p->sock);
      if (p->cache_fd >= 0) close(p->cache_fd);
      struct runner_proc *child = runner_new_proc(c);
      runner_connect(child);
      runner_fact(child, RL_PHASE_INHERIT, (int)c, RL_EV_PROCESS_FORKED, p->pp->pid, child->pp->pid, 0, 0, 0);
      runner_adopt_parent(child, p);
      run_process(child);
    }
    children[nchildren++] = pid;
  }

  runner_register(p);
  runner_advise_after_register(p);
  if (!rounds) runner_load_trace(p, &trace);
  runner_send_hello(p);
  runner_wait_go(p);
  runner_start_watcher(p);
  runner_replay_and_verify(p, &trace);
  runner_send_done(p);
  runner_wait_exit(p);

  int code = 0;
  for (uint32_t i = 0; i < nchildren; i++) {
    int status = 0;
    while (waitpid(children[i], &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && code == 0) code = WEXITSTATUS(status);
    if (WIFSIGNALED(status) && code == 0) code = 128 + WTERMSIG(status);
  }
  _exit(code);
}

/* Best effort, like the priority: a CPU this process may not use leaves it where it is. */
static void pin_to(uint64_t mask) {
  cpu_set_t set;
  rl_cpu_set_of_mask(mask, &set);
  (void)sched_setaffinity(0, sizeof set, &set);
}

int main(int argc, char **argv) {
  /* --precopy-source RUN_DIR [LINK_BYTES_PER_S LINK_LATENCY_NS] */
  const int source = (argc == 3 || argc == 5) && strcmp(argv[1], "--precopy-source") == 0;
  if (argc != 2 && !source) {
    fprintf(stderr, "usage: restorelab-runner [--precopy-source RUN_DIR [LINK_BYTES_PER_S LINK_LATENCY_NS]] RUN_DIR\n(started by the restorelab monitor, not by hand)\n");
    return RUNNER_EXIT_SETUP;
  }
  signal(SIGPIPE, SIG_IGN);
  g_files.dir = argv[source ? 2 : 1];
  runner_load_plan();
  if (source) return runner_precopy_source_main(argc == 5 ? strtod(argv[3], NULL) : 0, argc == 5 ? strtod(argv[4], NULL) : 0);
  /* best effort (needs CAP_SYS_NICE): the restored tree and the fault thread go before the monitor's event consumer */
  if (g_files.hdr->flags & RL_PLAN_PRIORITY) (void)setpriority(PRIO_PROCESS, 0, RUNNER_NICE);
  if (g_files.hdr->runner_cpu_mask) pin_to(g_files.hdr->runner_cpu_mask);
  if (g_files.hdr->nprocs == 0 || g_files.procs[0].parent != -1) runner_fail(NULL, "plan has no root process");
  struct runner_proc *root = runner_new_proc(0);
  runner_connect(root);
  runner_map_fresh(root);
  run_process(root);
}
