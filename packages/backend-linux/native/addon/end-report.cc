// A process's end: its done file read (bounded by the file's size), its memory sampled, its end
// events in the ring; after the last one, what is still queued finds no process.
#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "../common/uffd-compat.h"
#include "event-codes.h"
#include "monitor.h"
#include "run-dir-io.h"
#include "thread-priority.h"

namespace restorelab {

using namespace codes;

void Monitor::onDone(ProcState& p) {
  // the process only reports after its last fault was resolved; wait until that fault's events are in
  while (p.faultBusy.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  std::vector<uint8_t> data;
  std::string path = cfg_.dir + "/done-" + std::to_string(p.idx) + ".bin";
  if (!readWhole(path, &data) || data.size() < sizeof(rl_done_header)) {
    fail("cannot read " + path);
    return;
  }
  rl_done_header h;
  std::memcpy(&h, data.data(), sizeof h);
  // counts checked one at a time against the file, so a corrupt count cannot overflow the sum
  const uint64_t rest = data.size() - sizeof h;
  const bool sized = h.n_touched_runs <= rest / 16 && h.n_mismatch <= (rest - h.n_touched_runs * 16) / 8 &&
                     h.n_first_touches <= (rest - h.n_touched_runs * 16 - h.n_mismatch * 8) / sizeof(rl_first_touch);
  size_t need = sized ? sizeof h + h.n_touched_runs * 16 + h.n_mismatch * 8 + h.n_first_touches * sizeof(rl_first_touch) : SIZE_MAX;
  if (h.magic != RL_DONE_MAGIC || h.proc != p.idx || data.size() < need) {
    fail("malformed end report " + path);
    return;
  }
  MemorySample mem = smapsRollup(p.osPid);
  double tSample = now();
  std::vector<Record> out;
  out.reserve(4 + h.n_touched_runs + h.n_mismatch);
  const uint8_t* touches = data.data() + sizeof h + h.n_touched_runs * 16 + h.n_mismatch * 8;
  const double pid = p.pid;
  out.push_back(Record{rel(h.t_end), kWorkloadEnded, pid, static_cast<double>(h.accesses), 0, 0, 0, 0});
  const uint8_t* q = data.data() + sizeof h;
  for (uint64_t i = 0; i < h.n_touched_runs; i++) {
    uint64_t run[2];
    std::memcpy(run, q + i * 16, 16);
    out.push_back(Record{rel(h.t_end), kPagesTouched, pid, static_cast<double>(run[0]), static_cast<double>(run[1]), 0, 0, 0});
  }
  q += h.n_touched_runs * 16;
  {
    // the process's own wait at each page that faulted (its first touch of the page)
    std::lock_guard<HybridMutex> g(stateMu_);
    for (uint64_t i = 0; i < h.n_first_touches; i++) {
      rl_first_touch ft;
      std::memcpy(&ft, touches + i * sizeof ft, sizeof ft);
      if (ft.page < p.totalPages && p.faulted.get(ft.page))
        out.push_back(Record{rel(h.t_end), kFaultStalled, pid, static_cast<double>(ft.page), static_cast<double>(ft.ns), 0, 0, 0});
    }
  }
  out.push_back(Record{rel(tSample), kMemorySampled, pid, mem.rss, mem.pss, mem.priv, 0, 0});
  out.push_back(Record{rel(tSample), kPagesVerified, pid, static_cast<double>(h.checked), static_cast<double>(h.mismatched),
                       static_cast<double>(h.unrestored), 0, 0});
  for (uint64_t i = 0; i < h.n_mismatch; i++) {
    uint64_t page;
    std::memcpy(&page, q + i * 8, 8);
    out.push_back(Record{rel(tSample), kPageMismatch, pid, static_cast<double>(page), 0, 0, 0, 0});
  }
  out.push_back(Record{rel(tSample), kProcessDone, pid, static_cast<double>(p.osPid), 0, 0, 0, 0});
  std::lock_guard<HybridMutex> g(stateMu_);
  endProcess(p, h.t_end, out);
  emitBatch(out.data(), out.size());
}

void Monitor::endProcess(ProcState& p, double tEnd, std::vector<Record>& out) {
  p.done = true;
  stats_.endT = std::max(stats_.endT, tEnd);
  if (++doneCount_ == procs_.size() && forksLeft_ == 0) endRun(out);
}

void Monitor::endRun(std::vector<Record>& out) {
  // Every process has ended: what is still queued finds no process; unanswered advice failed.
  finished_ = true;
  const double t = rel(now());
  for (auto& q : queues_) {
    for (const CopyCommand& c : q)
      out.push_back(Record{t, kCopyRejected, static_cast<double>(procs_[c.proc]->pid), static_cast<double>(c.page),
                           static_cast<double>(c.count), kRejectEnoent, static_cast<double>(c.cause), 0});
    q.clear();
  }
  for (const PendingMadvise& m : sentMadvise_)
    out.push_back(Record{t, kMadviseApplied, static_cast<double>(procs_[m.proc]->pid), static_cast<double>(m.vma),
                         static_cast<double>(m.advice), 0, 0, 0});
  sentMadvise_.clear();
  // a command the copier is in reports its rest (ENOENT) after this: it sends AllDone then
  if (copierBusy_) allDonePending_ = true;
  else out.push_back(Record{t, kAllDone, 0, 0, 0, 0, 0, 0});
}

}  // namespace restorelab
