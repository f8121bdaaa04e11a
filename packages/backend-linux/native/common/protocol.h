/*
 * The event protocol's numbers on the native side: event kinds and field codes (core's
 * packages/core/src/events/event-kind.ts), the backend's own ring kinds (src/native-run.ts
 * InternalKind) and the copy limit (core's MAX_COPY_PAGES). C, for the runner and the addon alike.
 * src/protocol-table.test.ts compiles this header and fails on any difference from the TypeScript
 * tables, in either direction.
 */
#ifndef RESTORELAB_PROTOCOL_H
#define RESTORELAB_PROTOCOL_H

#define RL_EV_RESTORE_STARTED 1
#define RL_EV_RESTORE_ENDED 2
#define RL_EV_VMA_REGISTERED 3
#define RL_EV_MADVISE_APPLIED 4
#define RL_EV_PAGES_PREFILLED 5
#define RL_EV_HUGE_PAGE_COLLAPSED 6
#define RL_EV_FAULT_RAISED 7
#define RL_EV_FAULT_RESOLVED 8
#define RL_EV_PAGES_COPIED 9
#define RL_EV_ZERO_PAGE_MAPPED 10
#define RL_EV_COPY_QUEUED 11
#define RL_EV_COPY_REJECTED 12
#define RL_EV_PROCESS_FORKED 13
#define RL_EV_VMA_REMAPPED 14
#define RL_EV_VMA_REMOVED 15
#define RL_EV_VMA_UNMAPPED 16
#define RL_EV_STRATEGY_ATTACHED 17
#define RL_EV_STRATEGY_FAILED 18
#define RL_EV_WORKLOAD_STARTED 19
#define RL_EV_WORKLOAD_ENDED 20
#define RL_EV_PAGES_TOUCHED 21
#define RL_EV_MEMORY_SAMPLED 22
#define RL_EV_PAGES_VERIFIED 23
#define RL_EV_PAGE_MISMATCH 24
/* 25: retired, never written */
#define RL_EV_COPY_LANDED 26
#define RL_EV_FAULT_RULES_SET 27
#define RL_EV_FAULT_STALLED 28
#define RL_EV_PRECOPY_ROUND 29
#define RL_EV_SWITCH_OVER 30
#define RL_EV_PAGES_DISCARDED 31

/* CopyCause */
#define RL_CAUSE_DEMAND 0
#define RL_CAUSE_PREFETCH 1
#define RL_CAUSE_PRECOPY 2
#define RL_CAUSE_BACKGROUND 3

/* CopyPriority: the copier's queues, served in this order */
#define RL_PRIORITY_URGENT 0
#define RL_PRIORITY_PREFETCH 1
#define RL_PRIORITY_BACKGROUND 2

/* RejectReason */
#define RL_REJECT_DUPLICATE 0
#define RL_REJECT_EEXIST 1
#define RL_REJECT_ENOENT 2
#define RL_REJECT_OUT_OF_RANGE 3

/* FaultFlag */
#define RL_FAULT_WRITE 1
#define RL_FAULT_WRITE_PROTECT 2

/* Ring kinds >= 100 are the backend's own, never appended to the session. */
#define RL_INTERNAL_ALL_REGISTERED 100 /* every process said hello; a = processes */
#define RL_INTERNAL_ALL_DONE 101       /* every process reported its end */
#define RL_INTERNAL_FAILED 102         /* the run cannot go on: Monitor::error() says why */
#define RL_INTERNAL_PROCESS_DONE 103   /* pid's end events are in; a = os pid */

/* Doubles in one ring record (64 bytes). */
#define RL_RECORD_DOUBLES 8
/* Where a record's fields lie, as doubles (F64) and as int32 (I32) of the same 64 bytes: t and
   a..d as doubles; kind, pid, and a..d again as int32, which hold when the kind word has
   RL_RING_SMALL set (each of a..d an integer of magnitude below 2^30: JavaScript reads them as
   small integers, without a heap number each). */
#define RL_RING_F64_T 0
#define RL_RING_F64_A 1
#define RL_RING_I32_KIND 10
#define RL_RING_I32_PID 11
#define RL_RING_I32_A 12
#define RL_RING_SMALL 0x10000
#define RL_RING_KIND_MASK 0xffff
/* Most pages one UFFDIO_COPY call of the copier or of precopy moves. */
#define RL_MAX_COPY_PAGES 512

#endif
