/*
 * The files and messages the monitor (the N-API addon) and the workload runner exchange.
 * Shared verbatim by both sides; every integer is little endian, every struct is naturally aligned
 * (no packing pragmas needed), times are CLOCK_MONOTONIC ns as doubles.
 *
 * A run directory holds:
 *   plan.bin          the image layout, page flags and the restore plan          (monitor writes)
 *   pages.bin         the pages blob: page p of process i at blob_offset + p*page_size
 *   trace-<i>.bin     process i's restore-phase accesses                         (monitor writes)
 *   progress.bin      uint64_t per process: accesses replayed so far              (runner updates)
 *   monitor.sock      SOCK_SEQPACKET unix socket the monitor listens on
 *   start-<i>.bin     process i's start report: real VMA addresses + startup facts (runner writes)
 *   done-<i>.bin      process i's end report: touched pages, verification        (runner writes)
 * i is the index of the process in the image (plan order), not its pid.
 *
 * Conversation of one process (each process of the tree has its own connection):
 *   runner: maps, advises, prefills, collapses, forks, creates its uffd, registers, advises,
 *           writes start-<i>.bin, connects, (engine continue: sends RL_MSG_CACHE with its memfd,)
 *           sends RL_MSG_HELLO with the uffd (SCM_RIGHTS)
 *   monitor: once every process said hello: precopy, then RL_MSG_GO to each
 *   runner: replays, verifies, writes done-<i>.bin, sends RL_MSG_DONE, waits
 *   monitor: samples /proc/PID/smaps_rollup, later sends RL_MSG_EXIT
 *   at any time: RL_MSG_MADVISE -> RL_MSG_MADVISE_DONE; RL_MSG_FAIL from a runner that gives up.
 * A runner whose connection hangs up before RL_MSG_EXIT (monitor gone) exits at once, non-zero.
 *
 * Pre-copy rounds (RL_PLAN_PRECOPY_ROUNDS): `restorelab-runner --precopy-source RUN_DIR` is the live
 * source. It maps the image's VMAs, fills them (word 0 of each page its source phase writes changed:
 * the page is stale until its last write of the first pass, which stores the image's word 0; the
 * writes before it store the changed word), registers them with a
 * uffd in WP_ASYNC mode, write-protects them, listens on precopy.sock and says "listening" on
 * stdout. The destination runner, after its prefill, writes dest-vmas.bin (uint64_t address per
 * VMA), connects and sends RL_PRECOPY_HELLO. The source's thread then runs source-trace.bin over and
 * over while its main thread sends rounds (process_vm_writev into the destination; round 1 every
 * content page, later rounds the pages PAGEMAP_SCAN found written, get and clear in one call). After
 * each round it sends RL_PRECOPY_ROUND, says "round R SENT DIRTY T NS" on stdout and reads
 * "continue" or "switch REASON" on stdin. On a switch it waits for one whole pass of the source
 * phase, stops the source, scans once more, sends RL_PRECOPY_SWITCH, the last dirty pages (the last
 * round's dirty set and what was written after it) as RL_PRECOPY_DISCARD runs (the runner drops them with MADV_DONTNEED) and RL_PRECOPY_END; the runner
 * answers RL_PRECOPY_DONE and goes on to collapse and register. Either side gone: the other fails.
 */
#ifndef RESTORELAB_PLAN_FORMAT_H
#define RESTORELAB_PLAN_FORMAT_H

#include <stdint.h>

#include "protocol.h"

#define RL_PLAN_MAGIC 0x4e4c5052u  /* "RPLN" */
#define RL_TRACE_MAGIC 0x43525452u /* "RTRC" */
#define RL_START_MAGIC 0x54535452u /* "RTST" */
#define RL_DONE_MAGIC 0x4e445452u  /* "RTDN" */
#define RL_FORMAT_VERSION 3

#define RL_PLAN_FILE "plan.bin"
#define RL_PAGES_FILE "pages.bin"
#define RL_SOCKET_FILE "monitor.sock"
#define RL_PROGRESS_FILE "progress.bin"
/* The runner publishes its position in the trace every this many accesses. */
#define RL_PROGRESS_EVERY 4096

/* rl_plan_header.flags */
#define RL_PLAN_NO_VERIFY 1u /* benchmarks: touch pages without comparing them to the image */
#define RL_PLAN_PRIORITY 2u  /* the runner raises its priority (nice -10) when it may */
/* tests: after its trace the runner moves VMA 0 (mremap), discards the first page of VMA 1
   (MADV_DONTNEED, then reads it again) and unmaps VMA 2, so the monitor sees REMAP, REMOVE, UNMAP */
#define RL_PLAN_EXERCISE_EVENTS 4u
/* Copy engines (core's CopyEngine; neither bit: UFFDIO_COPY into anonymous memory). continue: each
   process's VMAs map its own memfd privately, registered MISSING|MINOR; the monitor writes a page
   into the memfd's page cache (it gets the memfd in RL_MSG_CACHE) and maps it with UFFDIO_CONTINUE.
   move: each process has an anonymous staging area (its address in RL_MSG_HELLO's arg0) the monitor
   writes with process_vm_writev; UFFDIO_MOVE, which the kernel refuses across processes, is made by
   a mover thread of the process, asked over the socket it sends in RL_MSG_MOVER (struct
   rl_move_request, answered by struct rl_move_reply). */
#define RL_PLAN_ENGINE_CONTINUE 8u
#define RL_PLAN_ENGINE_MOVE 16u
/* Pre-copy rounds (core's model/precopy.ts; single-process plans): see "Pre-copy rounds" below. */
#define RL_PLAN_PRECOPY_ROUNDS 32u

#define RL_PRECOPY_SOCKET_FILE "precopy.sock"
#define RL_SOURCE_TRACE_FILE "source-trace.bin"
#define RL_DEST_VMAS_FILE "dest-vmas.bin"
/* Pages of one send of a round: core's PRECOPY_BATCH_PAGES. */
#define RL_PRECOPY_BATCH_PAGES 64
/* XORed into word 0 of a page the source phase writes, until its last write of the first pass. */
#define RL_PRECOPY_STALE_MARK 0x5354414c45ull /* "STALE" */

/* Pages of one 2 MiB hugetlbfs page (core's PAGES_PER_HUGE_PAGE). */
#define RL_HUGETLB_PAGES 512

/* Page flags: same bits as core's PageFlag. */
#define RL_PAGE_CONTENT 1u
#define RL_PAGE_PRECOPIED 2u
#define RL_PAGE_SHARED_WITH_PARENT 4u

/* THP advice: core's ThpAdviceCode. */
#define RL_THP_DEFAULT 0u
#define RL_THP_HUGEPAGE 1u
#define RL_THP_NOHUGEPAGE 2u

/* Prefill sources: core's PrefillSource. */
#define RL_PREFILL_IMAGE 0u
#define RL_PREFILL_STRATEGY 1u
#define RL_PREFILL_INHERITED 2u
#define RL_PREFILL_PRECOPY_ROUND 3u


struct rl_plan_header {
  uint32_t magic;
  uint32_t version;
  uint32_t page_size;
  uint32_t nprocs;
  uint32_t nvmas;
  uint32_t flags;
  /* Features each runner asks UFFDIO_API for (it keeps those its uffd supports). */
  uint64_t uffd_features;
  uint64_t blob_bytes;
  uint32_t n_advise_before;
  uint32_t n_prefill;
  uint32_t n_advise_after;
  uint32_t n_precopy;
  /* Byte offsets from the start of the file. */
  uint64_t procs_off;       /* struct rl_plan_proc[nprocs] */
  uint64_t vmas_off;        /* struct rl_plan_vma[nvmas], each process's VMAs together */
  uint64_t page_flags_off;  /* uint8_t per page, processes one after the other */
  uint64_t advise_before_off; /* struct rl_plan_advice[n_advise_before] */
  uint64_t prefill_off;     /* struct rl_plan_range[n_prefill] */
  uint64_t advise_after_off;  /* struct rl_plan_advice[n_advise_after] */
  uint64_t precopy_off;     /* struct rl_plan_range[n_precopy] */
  uint64_t file_bytes;
  /* CPUs the runner and every process it forks run on (bit i: CPU i); 0: wherever the kernel puts them. */
  uint64_t runner_cpu_mask;
};

struct rl_plan_proc {
  int32_t pid;    /* pid in the image */
  int32_t parent; /* index of the parent process, -1 for the root; parents come first */
  uint32_t first_vma;
  uint32_t nvmas;
  uint64_t total_pages;
  uint64_t blob_offset;     /* bytes, in pages.bin */
  uint64_t page_flags_pos;  /* index of its first page flag in the page flags array */
  uint64_t accesses;        /* restore-phase accesses in trace-<i>.bin */
};

struct rl_plan_vma {
  uint64_t start; /* address in the image */
  uint64_t pages;
  uint64_t first_page; /* linear page index in its process */
  uint8_t writable;
  uint8_t shared;
  uint8_t anon;
  uint8_t thp;      /* RL_THP_* */
  uint8_t collapse; /* khugepaged collapses it between prefill and registration */
  uint8_t hugetlb;  /* MAP_HUGETLB: placed RL_HUGETLB_PAGES pages at a time, never UFFDIO_ZEROPAGE */
  uint8_t pad[2];
  uint32_t window_forward; /* fault-time window (session.windowFor) */
  uint32_t window_backward;
};

struct rl_plan_advice {
  uint32_t proc;
  uint32_t vma;
  uint32_t advice; /* RL_THP_* */
  uint32_t pad;
};

struct rl_plan_range {
  uint32_t proc;
  uint32_t source; /* RL_PREFILL_* for prefill, unused for precopy */
  uint64_t page;
  uint64_t count;
};

struct rl_trace_header {
  uint32_t magic;
  uint32_t version;
  uint64_t accesses;
  uint64_t page_off;  /* uint32_t page[accesses] */
  uint64_t gap_off;   /* uint32_t gap_ns[accesses] */
  uint64_t write_off; /* uint8_t write[accesses] */
};

/* The order in which the monitor replays startup facts (DESIGN: the common event protocol). */
#define RL_PHASE_FILL 1     /* adviseBeforeFill, prefill, collapse, then forks of its children */
#define RL_PHASE_INHERIT 2  /* a child's ProcessForked (pid = parent) and inherited pages */
#define RL_PHASE_REGISTER 3 /* VmaRegistered */
#define RL_PHASE_AFTER 4    /* adviseAfterRegister */

/* One fact the runner observed, in event-table terms (core's event-kind.ts). */
struct rl_fact {
  double t;
  int32_t kind;
  int32_t pid;
  double a, b, c, d;
  int32_t phase;
  int32_t order; /* tie-breaker: child index for RL_PHASE_INHERIT facts, else 0 */
};

struct rl_start_header {
  uint32_t magic;
  uint32_t version;
  uint32_t proc;
  int32_t os_pid;
  uint32_t nvmas;
  uint32_t nfacts;
  uint32_t uffd_via; /* enum rl_uffd_via */
  uint32_t pad;
  uint64_t uffd_features; /* granted by UFFDIO_API */
  /* followed by uint64_t vma_addr[nvmas] (where each VMA really is), then struct rl_fact[nfacts];
     with RL_PLAN_ENGINE_CONTINUE then struct rl_vma_cache[nvmas] and uint8_t cache_same[total_pages] */
};

/* Engine continue: whose memfd a VMA maps (a child's adopted VMA maps its ancestor's) and where. */
struct rl_vma_cache {
  uint32_t proc;       /* the process that created the memfd */
  uint32_t pad;
  uint64_t first_page; /* the page of that memfd the VMA's first page is */
};

struct rl_done_header {
  uint32_t magic;
  uint32_t version;
  uint32_t proc;
  uint32_t pad;
  uint64_t accesses;
  double t_end;      /* the last access of the trace returned */
  double t_verified; /* the final check of untouched pages ended */
  uint64_t checked;
  uint64_t mismatched;
  uint64_t unrestored;
  uint64_t n_touched_runs;
  uint64_t n_mismatch;
  uint64_t n_first_touches;
  /* followed by {uint64_t page, count}[n_touched_runs], then uint64_t page[n_mismatch], then
     struct rl_first_touch[n_first_touches] in the order they happened */
};

/* How long the access that first touched a page took, as the process saw it (its stall when the
   page faulted). */
struct rl_first_touch {
  uint32_t page;
  uint32_t ns; /* saturates at UINT32_MAX */
};

#define RL_MAX_REPORTED_MISMATCHES 64
/* Most pages the fault-time rules (stride, successors) add to one fault: core's MAX_RULE_PAGES. */
#define RL_MAX_RULE_PAGES 64

enum rl_msg_type {
  RL_MSG_HELLO = 1,         /* runner: proc, os_pid, uffd attached; arg0: staging address (engine move) */
  RL_MSG_GO = 2,            /* monitor: start the workload */
  RL_MSG_MADVISE = 3,       /* monitor: arg0 vma, arg1 advice */
  RL_MSG_MADVISE_DONE = 4,  /* runner: arg0 vma, arg1 advice, status 1 ok / 0 failed, t */
  RL_MSG_DONE = 5,          /* runner: done-<i>.bin is written */
  RL_MSG_EXIT = 6,          /* monitor: the run is over, exit */
  RL_MSG_FAIL = 7,          /* runner: gives up; text says why */
  RL_MSG_CACHE = 8,         /* runner, engine continue, before its hello: its memfd attached */
  RL_MSG_MOVER = 9,         /* runner, engine move, before its hello: its mover's socket attached */
};

struct rl_msg {
  uint32_t type;
  uint32_t proc;
  int32_t os_pid;
  int32_t status;
  uint64_t arg0;
  uint64_t arg1;
  double t;
  char text[216];
};

/* Engine move: one UFFDIO_MOVE the mover thread makes (the fields of struct uffdio_move) and its result. */
struct rl_move_request {
  uint64_t dst;
  uint64_t src;
  uint64_t len;
  uint64_t mode;
};
struct rl_move_reply {
  int64_t moved; /* bytes, as uffdio_move.move */
  int32_t err;   /* errno of the ioctl, 0 when it succeeded */
  uint32_t pad;
};

enum rl_precopy_msg_type {
  RL_PRECOPY_HELLO = 1,   /* runner: os_pid; dest-vmas.bin is written */
  RL_PRECOPY_ROUND = 2,   /* source: round, sent, dirty, t (its end), ns */
  RL_PRECOPY_SWITCH = 3,  /* source: round (rounds), dirty (the last dirty pages), reason, passes, t (source stopped) */
  RL_PRECOPY_DISCARD = 4, /* source: nruns {page, count} to drop */
  RL_PRECOPY_END = 5,     /* source: nothing more */
  RL_PRECOPY_DONE = 6,    /* runner: every discard applied */
};

#define RL_PRECOPY_RUNS_PER_MSG 24

struct rl_precopy_msg {
  uint32_t type;
  uint32_t round;
  int32_t os_pid;
  uint32_t reason; /* core's SwitchReason */
  uint64_t sent;
  uint64_t dirty;
  double t;
  double ns;
  double passes;
  uint32_t nruns;
  uint32_t pad;
  uint64_t runs[2 * RL_PRECOPY_RUNS_PER_MSG]; /* page, count */
};

/* The TypeScript side (src/run-files.ts) writes and reads these exact sizes. */
#ifdef __cplusplus
#define RL_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define RL_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif
RL_STATIC_ASSERT(sizeof(struct rl_plan_header) == 128, "rl_plan_header is 128 bytes");
RL_STATIC_ASSERT(sizeof(struct rl_plan_proc) == 48, "rl_plan_proc is 48 bytes");
RL_STATIC_ASSERT(sizeof(struct rl_plan_vma) == 40, "rl_plan_vma is 40 bytes");
RL_STATIC_ASSERT(sizeof(struct rl_plan_advice) == 16, "rl_plan_advice is 16 bytes");
RL_STATIC_ASSERT(sizeof(struct rl_plan_range) == 24, "rl_plan_range is 24 bytes");
RL_STATIC_ASSERT(sizeof(struct rl_trace_header) == 40, "rl_trace_header is 40 bytes");
RL_STATIC_ASSERT(sizeof(struct rl_fact) == 56, "rl_fact is 56 bytes");
RL_STATIC_ASSERT(sizeof(struct rl_msg) == 256, "rl_msg is 256 bytes");
RL_STATIC_ASSERT(sizeof(struct rl_vma_cache) == 16, "rl_vma_cache is 16 bytes");
RL_STATIC_ASSERT(sizeof(struct rl_precopy_msg) == 448, "rl_precopy_msg is 448 bytes");

#endif
