// The page server of one run: listens for the runner's processes, receives their userfaultfds,
// serves demand faults on a native thread (fault-time windows applied there), runs a native copier
// for queued copies, and hands every fact to JavaScript through the event ring.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../common/plan-format.h"
#include "event-ring.h"
#include "hybrid-mutex.h"
#include "pages-source.h"
#include "remote-source.h"

namespace restorelab {

enum class MonitorMode {
  Backend,         // the real thing: events, windows, copier
  ReferenceFault,  // benchmark: poll + read + one-page UFFDIO_COPY per fault, nothing else
  ReferenceEager,  // benchmark: every page in batched UFFDIO_COPY calls before the workload
};

struct MonitorConfig {
  std::string dir;
  double t0 = 0;  // CLOCK_MONOTONIC ns of the run start: event times are relative to it
  MonitorMode mode = MonitorMode::Backend;
  uint64_t ringCapacity = 1u << 17;
  // Least time between two wake-ups of JS for ordinary events (each one costs the fault loop a syscall).
  double notifyIntervalNs = 250000;
  // CPUs (bit i: CPU i) of the fault thread and of the copier; 0: not pinned.
  uint64_t faultCpuMask = 0;
  uint64_t copierCpuMask = 0;
  // The JS thread serves urgent and prefetch commands in its waits (serveInline); the copier
  // thread is woken for background ones only.
  bool inlineCopies = false;
  // The workload starts only once JS has handled every event before it (registrations, precopy),
  // so that strategies are caught up when the first fault comes, as in the simulator.
  bool awaitConsumer = false;
  // CRIU's lazy-pages daemon (criu-lazy-pages.cc): listen at criuSocket for `criu restore
  // --lazy-pages` instead of runners; the pages blob is laid out from the dump's pages files by
  // sourceRuns; the tasks' uffds are also held by the guardian at guardianPath.
  std::string criuSocket;
  std::string guardianPath;
  std::vector<std::string> sourceFiles;
  std::vector<PagesSource::Run> sourceRuns;
  // Copies read from this page server instead of the pages file (host empty: none).
  RemoteSourceConfig remote;
};

// The CRIU control loop's epoll tags: the wake eventfd, the listening socket, the restore's
// connection, and kCriuTagPidfd | process index for a task's pidfd.
constexpr uint64_t kCriuTagWake = 0, kCriuTagListen = 1, kCriuTagConn = 2, kCriuTagPidfd = 1ull << 32;
// The fault loop's epoll tags: a process index, kFaultTagForked | a forked task's index, the wake eventfd.
constexpr uint64_t kFaultTagForked = 1ull << 40, kFaultTagWake = UINT64_MAX;

// queues_ by priority: urgent, prefetch, background
constexpr uint32_t kBackgroundQueue = 2;

struct VmaState {
  uint64_t addr = 0;  // where it is in the runner
  uint64_t pages = 0;
  uint64_t firstPage = 0;
  uint32_t forward = 0;
  uint32_t backward = 0;
  bool writable = true;
  // of 2 MiB hugetlbfs pages: faults and copies place whole huge pages (RL_HUGETLB_PAGES)
  bool hugetlb = false;
  // engine continue: the process whose memfd it maps, and that memfd's page of its first page
  uint32_t cacheProc = 0;
  uint64_t cachePage = 0;
};

struct Bitmap {
  std::vector<uint64_t> w;
  void resize(uint64_t n) { w.assign((n + 63) / 64, 0); }
  bool get(uint64_t i) const { return (w[i >> 6] >> (i & 63)) & 1; }
  void set(uint64_t i) { w[i >> 6] |= 1ull << (i & 63); }
  void clear(uint64_t i) { w[i >> 6] &= ~(1ull << (i & 63)); }
  void setRange(uint64_t a, uint64_t n) {
    for (uint64_t i = a; i < a + n; i++) set(i);
  }
  void clearRange(uint64_t a, uint64_t n) {
    for (uint64_t i = a; i < a + n; i++) clear(i);
  }
};

// Pages of a memfd already written, set by any copying thread (lock-free: a page is written at most
// once, and only with its process's own bytes, so two writers of one page write the same bytes).
struct AtomicBitmap {
  std::unique_ptr<std::atomic<uint64_t>[]> w;
  void resize(uint64_t n) {
    w.reset(new std::atomic<uint64_t>[(n + 63) / 64]);
    for (uint64_t i = 0; i < (n + 63) / 64; i++) w[i].store(0, std::memory_order_relaxed);
  }
  bool get(uint64_t i) const { return (w[i >> 6].load(std::memory_order_acquire) >> (i & 63)) & 1; }
  void set(uint64_t i) { w[i >> 6].fetch_or(1ull << (i & 63), std::memory_order_release); }
};

// Fault-time rules beyond the window (core's model/plan.ts FaultRules), under stateMu_.
struct FaultRuleSet {
  int64_t stride = 0;  // 0: no stride rule
  uint32_t strideCount = 0;
  std::vector<uint32_t> offsets;  // empty: no successor table; else totalPages + 1 entries
  std::vector<uint32_t> targets;
};

struct ProcState {
  uint32_t idx = 0;
  int32_t pid = 0;
  int32_t osPid = -1;
  int uffd = -1;
  int sock = -1;
  uint64_t totalPages = 0;
  uint64_t accesses = 0;
  const uint8_t* flags = nullptr;  // image page flags
  const uint8_t* blob = nullptr;   // this process's first page in pages.bin
  std::vector<VmaState> vmas;
  std::vector<uint32_t> byAddr;  // VMA indices sorted by runner address
  Bitmap present, inFlight, registered;
  Bitmap faulted;  // pages that raised a missing-page fault
  bool hello = false;
  bool done = false;
  uint64_t uffdFeatures = 0;
  uint32_t uffdVia = 0;
  std::vector<rl_fact> facts;
  FaultRuleSet rules;
  std::atomic<int> faultBusy{0};
  int pidfd = -1;         // CRIU mode: the restored task, readable once it exited
  bool exited = false;    // CRIU mode: it exited (ended by the next tick after the finish value)
  bool pushGone = false;  // CRIU mode, under stateMu_: a push found it gone (ESRCH)
  Bitmap pushPlanned;     // CRIU mode, under stateMu_: the pages the plan's precopy pushes
  uint64_t missingFrom = 0;  // CRIU mode: pages below it are present, or not lazy
  // Copy engines (RL_PLAN_ENGINE_*). continue: its memfd (-1: it has none of its own), which pages
  // of it the memfds its VMAs map hold for it (cacheSame), and which pages of its own memfd are
  // written (cached). move: its staging area in the runner (0: none, UFFDIO_COPY) and the socket of
  // its mover thread, one request at a time.
  int cacheFd = -1;
  Bitmap cacheSame;
  AtomicBitmap cached;
  uint64_t staging = 0;
  int moverFd = -1;
  std::mutex moverMu;
  // A task a lazily restored one forked during the restore (UFFD_EVENT_FORK), with pid its
  // parent's: it has its parent's pages, is served by the fault thread alone, and is in no event
  // (the image has no such process). idx is its place in forks_.
  bool forked = false;
};

struct CopyCommand {
  uint32_t proc;
  uint64_t page;
  uint64_t count;
  uint32_t cause;
};

struct MonitorStats {
  uint64_t faults = 0;
  uint64_t faultNsTotal = 0;
  uint64_t precopyPages = 0;
  double precopyNs = 0;
  double goT = 0;      // when GO went out (absolute ns)
  double endT = 0;     // latest t_end of a process (absolute ns)
  uint64_t ringOverflowed = 0;
  uint64_t spuriousFaults = 0;
  uint64_t copierCommands = 0;
  uint64_t sourceDrops = 0;   // times the pages file's mapped pages were dropped (PagesSource)
  uint64_t remoteRequests = 0;  // requests answered by the page server
  int faultThreadPolicy = 0;  // FaultThreadPolicy the fault thread got
  uint64_t forkedTasks = 0;   // tasks forked during the restore (UFFD_EVENT_FORK)
  uint64_t forkedFaults = 0;  // their faults
  uint64_t forkedPushed = 0;  // their pages pushed
};

class Monitor {
 public:
  explicit Monitor(MonitorConfig cfg);
  ~Monitor();

  // Maps the plan and pages, listens on RUN_DIR/monitor.sock, starts the threads.
  void start(std::function<void()> notify);
  // Joins the threads, closes every fd, removes the socket file. Idempotent.
  void stop();

  std::shared_ptr<EventRing> ring() const { return ring_; }
  uint64_t drain(uint64_t consumed) { return ring_->drain(consumed); }

  // reactsTo: the seq of the event the command answers (-1: none); queuedSeq: its CopyQueued event.
  void submitCopy(uint32_t proc, uint64_t page, uint64_t count, uint32_t cause, uint32_t priority, double reactsTo, double queuedSeq);
  // Replaces process proc's fault-time rules (checked by the core). With `log`, FaultRulesSet goes
  // into the ring (a change during the run); plan-time rules are not logged.
  void setFaultRules(uint32_t proc, int64_t stride, uint32_t strideCount, const uint32_t* offsets, size_t nOffsets,
                     const uint32_t* targets, size_t nTargets, double reactsTo, bool log);
  // Runs the queued urgent and prefetch commands on the calling thread; returns how many.
  uint64_t serveInline();
  void submitMadvise(uint32_t proc, uint32_t vma, uint32_t advice);
  // Tells every process the run is over (after the end events were drained).
  void releaseRunners();

  std::string error() const;
  MonitorStats stats() const;
  uint32_t processCount() const { return static_cast<uint32_t>(procs_.size()); }
  int32_t osPid(uint32_t proc) const { return procs_[proc]->osPid; }
  uint64_t uffdFeatures() const;

  static double now();

 private:
  // A fault to copy again: its process, tries, raise time and message.
  struct RetryFault {
    uint32_t proc;
    uint32_t tries;
    double tRaise;
    alignas(8) unsigned char msg[32];  // struct uffd_msg
  };
  struct PendingMadvise {
    uint32_t proc;
    uint64_t vma;
    uint64_t advice;
  };

  void loadPlan();
  void controlLoop();
  void faultLoop();
  void referenceFaultLoop();
  void copierLoop();

  void onAccept();
  void onMessage(int sock);
  void onHello(ProcState& p, int uffd, int osPid, uint64_t staging);
  // engine continue: the VMA table and cacheSame after the facts of p's start report
  bool readCacheReport(ProcState& p, const uint8_t* q, size_t left);
  void onDone(ProcState& p);
  void onAllHello();
  // Serves p's faults from now on.
  void watchFaults(ProcState& p);
  // GO: the copier may run and the workloads start (WorkloadStarted). Returns the advice asked
  // for before; adviceSent: it is sent to the runners now, and their answers are awaited.
  std::vector<PendingMadvise> startWorkloads(double precopyNs, uint64_t precopyPages, bool adviceSent);
  // Under stateMu_: p has ended (tEnd, absolute ns); appends what ends the run after the last one.
  void endProcess(ProcState& p, double tEnd, std::vector<Record>& out);
  // Under stateMu_: every process has ended and no forked task is left; appends the run's end.
  void endRun(std::vector<Record>& out);
  bool criuMode() const { return !cfg_.criuSocket.empty(); }
  void startCriu();
  void criuControlLoop();
  // bytes from the restore's connection; false once it closed or broke
  bool onCriuBytes(int conn);
  void onCriuTask(int32_t pid, int uffd);
  void onCriuFinish();
  // criu-push.cc: the plan's precopy after the finish value, pushed by the control thread
  // (startCriuPush) and the fault thread between faults; a step is one call (false once that pusher
  // has nothing left); AllRegistered and WorkloadStarted follow the last call of the two.
  struct PushClaim;
  void startCriuPush();
  bool criuPushStepOnFaultThread();
  bool criuPushStep(bool& done);
  bool finishPusher();
  // the pages right after a demand fault go first (fault thread, under stateMu_)
  void followFault(uint32_t proc, uint64_t page);
  // under stateMu_: the next call's pages (marked in flight), from a call to do again, after the
  // latest fault, or from the plan
  bool pushable(const ProcState& p, uint64_t q) const;
  bool claimRun(ProcState& p, uint64_t from, uint64_t end, PushClaim& c);
  bool claimAgain(PushClaim& c);
  bool claimAfterFault(PushClaim& c);
  bool claimFromPlan(PushClaim& c);
  // ends each task whose lazy pages are all present, or that exited
  void criuTick();
  void endCriuTask(ProcState& p, bool exited);
  void spawnGuardian();
  void guard(uint32_t type, int32_t pid, int fd);
  bool precopy(ProcState& p, uint64_t* pagesOut);
  void referenceEager();
  void fail(const std::string& why);

  // how many times the fault thread tries one fault whose copy says EAGAIN (each after reading
  // what the uffd has, >= 1 ms apart)
  static constexpr uint32_t kMaxFaultRetries = 5000;
  static void wakeRange(int uffd, uint64_t addr, uint64_t len);
  // UFFDIO_ZEROPAGE of the page at addr: 0, or the errno it failed with
  int zeroPage(int uffd, uint64_t addr) const;
  // the faults of list (forked: of forks_) whose copy said EAGAIN, once more
  void retryFaults(std::vector<RetryFault>& list, bool forked);
  // "pid P", or "a task pid P forked"
  static std::string whose(const ProcState& p);
  // the VMA of p a fault at addr is in; -1 (the thread woken, the run failed) when none
  int faultVma(ProcState& p, uint64_t addr);
  // retry: the fault met EAGAIN before (its FaultRaised is logged already)
  void handleFault(ProcState& p, const struct uffd_msg& m, double tRaise, bool retry = false);
  void handleEvent(ProcState& p, const struct uffd_msg& m, double t);
  // forked-tasks.cc, fault thread only: a task p forked (UFFD_EVENT_FORK, its uffd), its faults,
  // the push of the pages it did not inherit (false when none is left to push), and its end.
  void onFork(ProcState& p, int uffd);
  void handleForkedFault(ProcState& c, const struct uffd_msg& m);
  bool pushForked();
  void endForked(ProcState& c);
  void runCopyCommand(const CopyCommand& c);
  // Under stateMu_: the lazy pages p's rules add to a fault at `page` whose window is [lo, hi],
  // marked in flight, in rule order; returns how many (at most RL_MAX_RULE_PAGES).
  size_t collectRulePages(ProcState& p, uint64_t page, uint64_t lo, uint64_t hi, uint64_t* out);
  // Copies what collectRulePages chose (without waking) and appends its prefetch copies to out
  // (their t left for the caller: they are logged with the fault they came with).
  void copyRulePages(ProcState& p, const uint64_t* pages, size_t n, std::vector<Record>& out);
  // Under stateMu_: pops the first command of queues 0..maxQueue once GO went out; counts it busy.
  bool takeCommand(uint32_t maxQueue, CopyCommand* out);
  // A taken command finished: sends a pending AllDone once no command is running.
  void commandDone();

  // UFFDIO_COPY of [page, page+n) of p, skipping pages that already exist, from the pages file or
  // (with a page server) from what ch brings. Reports each copied run and each page found
  // present; returns the ioctl calls made, or -errno on a hard error (the run failed if the page
  // server was lost).
  int64_t copyRange(ProcState& p, const VmaState& v, uint64_t page, uint64_t n, bool wake, Channel ch,
                    const std::function<void(uint64_t, uint64_t)>& copied, const std::function<void(uint64_t)>& existed);
  // copyRange's copy of [page, end) from src (page's bytes first), with the plan's engine: the
  // runs the engine cannot place go by UFFDIO_COPY (copy-engines.cc).
  int64_t copyFrom(ProcState& p, const VmaState& v, uint64_t page, uint64_t end, const uint8_t* src, bool wake,
                   const std::function<void(uint64_t, uint64_t)>& copied, const std::function<void(uint64_t)>& existed);
  // One placing ioctl's loop over [page, end): UFFDIO_COPY, UFFDIO_CONTINUE of pages written to the
  // memfd, or UFFDIO_MOVE of pages written to the staging area.
  enum class Place { Copy, Continue, Move };
  int64_t placeRun(ProcState& p, const VmaState& v, uint64_t page, uint64_t end, const uint8_t* src, bool wake, Place how,
                   const std::function<void(uint64_t, uint64_t)>& copied, const std::function<void(uint64_t)>& existed);
  // Writes the pages of [page, end) the memfd does not hold yet; false (errno set) on failure.
  bool fillCache(ProcState& p, const VmaState& v, uint64_t page, uint64_t end, const uint8_t* src);
  bool fillStaging(ProcState& p, uint64_t page, uint64_t end, const uint8_t* src);
  // UFFDIO_MOVE made by p's mover thread; false (errno set) when it failed, *moved: bytes moved
  bool moveByMover(ProcState& p, const struct uffdio_move& m, int64_t* moved);

  void emit(double tAbs, int kind, int pid, double a, double b, double c, double d);
  void emitBatch(const Record* r, size_t n);
  double rel(double tAbs) const { return tAbs - cfg_.t0; }
  void sendTo(ProcState& p, uint32_t type, uint64_t arg0, uint64_t arg1);
  int vmaOfAddr(const ProcState& p, uint64_t addr) const;
  // The VMA holding linear page `page` of p (VMAs are in page order), or -1.
  static int vmaOfPage(const ProcState& p, uint64_t page);
  // the first page of the huge page holding `page` of hugetlb VMA v
  static uint64_t hugeStart(const VmaState& v, uint64_t page) { return v.firstPage + (page - v.firstPage) / RL_HUGETLB_PAGES * RL_HUGETLB_PAGES; }

  MonitorConfig cfg_;
  std::function<void()> notify_;
  std::shared_ptr<EventRing> ring_;

  // plan.bin and pages.bin, read-only
  const uint8_t* plan_ = nullptr;
  size_t planBytes_ = 0;
  PagesSource source_;
  RemoteSource remote_;
  const rl_plan_header* hdr_ = nullptr;
  uint64_t pageSize_ = 4096;
  uint32_t engine_ = 0;  // RL_PLAN_ENGINE_* of the plan

  std::vector<std::unique_ptr<ProcState>> procs_;
  std::string socketPath_;
  int listenFd_ = -1;
  int controlEpoll_ = -1;
  int faultEpoll_ = -1;
  int controlWake_ = -1;  // eventfd
  int faultWake_ = -1;    // eventfd
  std::thread control_, fault_, copier_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool stopped_ = false;
  uint32_t helloCount_ = 0;
  uint32_t doneCount_ = 0;

  mutable HybridMutex stateMu_;  // bitmaps, copier queues, error, pending madvise
  std::condition_variable_any copierCv_;
  std::deque<CopyCommand> queues_[3];
  bool copierReady_ = false;
  std::vector<PendingMadvise> pendingMadvise_;  // asked before GO
  std::vector<PendingMadvise> sentMadvise_;     // sent, not answered yet
  bool finished_ = false;                       // every process ended
  // commands being run (copier thread and JS thread); AllDone waits for them, so no event of a
  // command comes after it
  int copierBusy_ = 0;
  bool allDonePending_ = false;
  std::string error_;
  MonitorStats stats_;
  std::atomic<uint64_t> refFaults_{0};
  // Faults whose UFFDIO_COPY said EAGAIN (the task's mappings were changing: an event waits to be
  // read); the fault thread copies them again after its next read. Fault thread only.
  std::vector<RetryFault> faultRetry_;
  // Tasks forked during the restore; forksLeft_ (under stateMu_) counts those not ended: the run
  // does not end before them, or their uffds would close with pages missing.
  std::vector<std::unique_ptr<ProcState>> forks_;
  std::vector<RetryFault> forkRetry_;  // their faults that met EAGAIN (proc: the index in forks_)
  uint32_t forksLeft_ = 0;
  // CRIU mode's push, under stateMu_: pages [from, to) of procs_[proc] one call copies; where the
  // plan's precopy is; where the program read on from after its latest demand fault
  struct PushClaim {
    uint32_t proc = 0;
    uint64_t from = 0, to = 0;
  };
  struct PushPlanCursor {
    uint32_t proc = 0;
    uint32_t range = 0;
    uint64_t page = UINT64_MAX;
  };
  struct PushFollow {
    bool active = false;
    uint32_t proc = 0;
    uint64_t page = 0;
  };
  PushPlanCursor pushPlan_;
  PushFollow pushFollow_;
  std::vector<PushClaim> pushAgain_;  // calls that met EAGAIN
  bool faultPusherStarted_ = false, faultPusherDone_ = false;  // the fault thread's
  std::atomic<bool> criuPushAsked_{false};
  std::atomic<int> pushersLeft_{0};
  std::atomic<uint64_t> pushPages_{0};
  double pushT0_ = 0;
  // CRIU mode
  int guardFd_ = -1;
  int guardianPid_ = -1;
  bool criuFinished_ = false;
  bool guardReleased_ = false;
  uint8_t criuBuf_[4];
  size_t criuHave_ = 0;
  int32_t criuPid_ = 0;  // a pid whose uffd message is expected next (0: none)
  std::atomic<double> lastNotify_{0};
};

}  // namespace restorelab
