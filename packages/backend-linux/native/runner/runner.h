/* The workload runner: the restored process tree (see plan-format.h for the conversation). */
#ifndef RESTORELAB_RUNNER_H
#define RESTORELAB_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "../common/plan-format.h"

#define RUNNER_EXIT_SETUP 2
/* The page server (monitor) went away before the restore was complete. */
#define RUNNER_EXIT_MONITOR_GONE 75
/* Nice value under RL_PLAN_PRIORITY, the same as the monitor's fault thread. */
#define RUNNER_NICE (-10)

/* What every process of the tree shares (mapped before the first fork). */
struct runner_files {
  const char *dir;
  const uint8_t *plan_base;
  size_t plan_bytes;
  const struct rl_plan_header *hdr;
  const struct rl_plan_proc *procs;
  const struct rl_plan_vma *vmas;
  const uint8_t *page_flags;
  const uint8_t *blob;
  size_t blob_bytes;
};

/* One process of the tree, in the process itself. */
struct runner_proc {
  uint32_t idx;
  const struct rl_plan_proc *pp;
  const struct rl_plan_vma *vmas;
  const uint8_t *flags;  /* page flags of this process */
  uint64_t *addr;        /* where each VMA really is */
  uint8_t *advice;       /* effective THP advice per VMA (RL_THP_*) */
  uint8_t *present;      /* per page: made present before registration */
  /* engine continue: this process's memfd (-1 until its first VMA of its own is mapped), whose
     memfd each VMA maps, and per page whether that memfd's page is this process's page */
  int cache_fd;
  struct rl_vma_cache *cache;
  uint8_t *cache_same;
  /* engine move: the staging area, as large as the process's pages, and the monitor's end of the
     mover thread's socket (until it is sent) */
  uint64_t staging;
  int mover_fd;
  int sock;
  int uffd;
  uint32_t uffd_via;
  uint64_t uffd_features;
  struct rl_fact *facts;
  uint32_t nfacts, facts_cap;
};

extern struct runner_files g_files;

double runner_now(void);
const char *runner_basename(void);

/* Prints "restorelab-runner: ..." on stderr, tells the monitor when connected, exits. */
void runner_fail(struct runner_proc *p, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

void runner_fact(struct runner_proc *p, int phase, int order, int kind, int pid, double a, double b, double c, double d);
/* As runner_fact, at time t (CLOCK_MONOTONIC ns) rather than now. */
void runner_fact_at(struct runner_proc *p, double t, int phase, int order, int kind, int pid, double a, double b, double c, double d);

/* runner-memory.c */
void runner_map_fresh(struct runner_proc *p);
void runner_adopt_parent(struct runner_proc *child, const struct runner_proc *parent);
void runner_advise_before_fill(struct runner_proc *p);
void runner_prefill(struct runner_proc *p);
void runner_collapse(struct runner_proc *p);
void runner_register(struct runner_proc *p);
void runner_advise_after_register(struct runner_proc *p);
int runner_madvise_thp(struct runner_proc *p, uint32_t vma, uint32_t advice);
uint8_t *runner_page_addr(const struct runner_proc *p, uint64_t page);
const uint8_t *runner_image_page(const struct runner_proc *p, uint64_t page);

/* runner-engine.c: what the copy engine (RL_PLAN_ENGINE_*) needs of the address space */
uint32_t runner_engine(void);
/* the memfd a fresh VMA maps (created at the first call), or -1 when the engine maps anonymous memory */
int runner_cache_fd(struct runner_proc *p);
/* engine move: the staging area and the mover thread (after registration: it uses the uffd) */
void runner_start_mover(struct runner_proc *p);
/* UFFDIO_REGISTER_MODE_* bits and UFFD_FEATURE_* bits the engine needs (checked against the granted ones) */
uint64_t runner_register_mode(void);
void runner_check_engine_features(struct runner_proc *p);

/* runner-link.c */
void runner_connect(struct runner_proc *p);
/* Removes the run directory (only the files a run puts there): for when the monitor was killed. */
void runner_remove_run_dir(void);
/* The address of the unix socket `file` of the run directory; 0 when the path does not fit. */
int runner_socket_addr(struct sockaddr_un *addr, const char *file);
void runner_send_hello(struct runner_proc *p);  /* engine continue: sends its memfd first */
void runner_wait_go(struct runner_proc *p);
/* Before forking: a child that dies before the workload starts fails the restore (runner_wait_go). */
void runner_watch_children(struct runner_proc *p);
void runner_start_watcher(struct runner_proc *p);
void runner_send_done(struct runner_proc *p);
void runner_wait_exit(struct runner_proc *p);
/* Writes the parts one after the other (a part of length 0 is skipped). */
struct iovec;
void runner_write_file(struct runner_proc *p, const char *name, const struct iovec *parts, int nparts);

/* runner-precopy.c: the destination's side of the pre-copy rounds (RL_PLAN_PRECOPY_ROUNDS), after its prefill */
void runner_receive_precopy(struct runner_proc *p);

/* precopy-source.c: `restorelab-runner --precopy-source RUN_DIR` (plan-format.h, "Pre-copy rounds") */
/* The live source of pre-copy rounds; a link of `link_bps` bytes/s (0: none) and `link_latency_ns` one way paces its sends. */
int runner_precopy_source_main(double link_bps, double link_latency_ns);
/* runner-main.c */
struct runner_proc *runner_new_proc(uint32_t idx);
void runner_load_plan(void);

/* runner-replay.c */
struct runner_trace {
  const uint8_t *base;
  size_t bytes;
  uint64_t accesses;
  const uint32_t *page;
  const uint32_t *gap;
  const uint8_t *write;
};
void runner_load_trace(struct runner_proc *p, struct runner_trace *tr);
/* As runner_load_trace, from a file of the run directory (times the spin loop too). */
void runner_load_trace_file(struct runner_proc *p, const char *file, struct runner_trace *tr);
/* A compute gap: a busy wait of `ns`. */
void runner_spin_ns(uint32_t ns);
void runner_replay_and_verify(struct runner_proc *p, const struct runner_trace *tr);

#endif
