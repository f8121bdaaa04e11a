// Monitor lifecycle: the plan and pages mapped, the threads started and stopped, the event ring fed.
#include "event-codes.h"
#include "monitor.h"
#include "run-dir-io.h"
#include "thread-priority.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "../common/uffd-compat.h"

namespace restorelab {

using namespace codes;


double Monitor::now() { return EventRing::monotonicNs(); }

Monitor::Monitor(MonitorConfig cfg) : cfg_(std::move(cfg)), ring_(std::make_shared<EventRing>(cfg_.ringCapacity)) {}

Monitor::~Monitor() { stop(); }

void Monitor::loadPlan() {
  plan_ = mapFile(cfg_.dir + "/" + RL_PLAN_FILE, &planBytes_);
  hdr_ = reinterpret_cast<const rl_plan_header*>(plan_);
  if (!hdr_ || planBytes_ < sizeof(rl_plan_header) || hdr_->magic != RL_PLAN_MAGIC || hdr_->version != RL_FORMAT_VERSION ||
      hdr_->file_bytes != planBytes_)
    throw std::runtime_error("not a restorelab plan: " + cfg_.dir + "/" + RL_PLAN_FILE);
  pageSize_ = hdr_->page_size;
  engine_ = hdr_->flags & (RL_PLAN_ENGINE_CONTINUE | RL_PLAN_ENGINE_MOVE);
  if (engine_ == (RL_PLAN_ENGINE_CONTINUE | RL_PLAN_ENGINE_MOVE)) throw std::runtime_error("the plan asks for two copy engines");
  if (criuMode()) source_.openRuns(cfg_.sourceFiles, cfg_.sourceRuns, hdr_->blob_bytes);
  else source_.open(cfg_.dir + "/" + RL_PAGES_FILE);
  if (source_.bytes() < hdr_->blob_bytes) throw std::runtime_error("pages file is shorter than the image says");
  if (!cfg_.remote.host.empty()) remote_.connect(cfg_.remote, hdr_->blob_bytes, static_cast<uint32_t>(pageSize_));
  auto* procs = reinterpret_cast<const rl_plan_proc*>(plan_ + hdr_->procs_off);
  auto* vmas = reinterpret_cast<const rl_plan_vma*>(plan_ + hdr_->vmas_off);
  const uint8_t* flags = plan_ + hdr_->page_flags_off;
  for (uint32_t i = 0; i < hdr_->nprocs; i++) {
    auto p = std::make_unique<ProcState>();
    const rl_plan_proc& pp = procs[i];
    p->idx = i;
    p->pid = pp.pid;
    p->totalPages = pp.total_pages;
    p->accesses = pp.accesses;
    p->flags = flags + pp.page_flags_pos;
    p->blob = source_.base() ? source_.base() + pp.blob_offset : nullptr;
    for (uint32_t j = 0; j < pp.nvmas; j++) {
      const rl_plan_vma& v = vmas[pp.first_vma + j];
      VmaState s;
      s.pages = v.pages;
      s.firstPage = v.first_page;
      s.forward = v.window_forward;
      s.backward = v.window_backward;
      s.writable = v.writable != 0;
      s.hugetlb = v.hugetlb != 0;
      p->vmas.push_back(s);
    }
    p->present.resize(p->totalPages);
    p->inFlight.resize(p->totalPages);
    p->registered.resize(p->totalPages);
    p->faulted.resize(p->totalPages);
    if (engine_ == RL_PLAN_ENGINE_CONTINUE) {
      p->cacheSame.resize(p->totalPages);
      p->cached.resize(p->totalPages);
    }
    procs_.push_back(std::move(p));
  }
}

void Monitor::start(std::function<void()> notify) {
  if (started_) throw std::runtime_error("monitor already started");
  started_ = true;
  notify_ = std::move(notify);
  loadPlan();

  if (criuMode()) startCriu();
  else {
    socketPath_ = cfg_.dir + "/" + RL_SOCKET_FILE;
    listenFd_ = listenUnix(socketPath_, SOCK_SEQPACKET, 128, "run directory");
  }

  controlWake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  faultWake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  controlEpoll_ = epoll_create1(EPOLL_CLOEXEC);
  faultEpoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (controlWake_ < 0 || faultWake_ < 0 || controlEpoll_ < 0 || faultEpoll_ < 0) throw std::runtime_error(errnoText("eventfd/epoll", errno));
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  // the CRIU control loop tells them apart by u64 tags
  if (criuMode()) ev.data.u64 = kCriuTagWake;
  else ev.data.fd = controlWake_;
  epoll_ctl(controlEpoll_, EPOLL_CTL_ADD, controlWake_, &ev);
  if (criuMode()) ev.data.u64 = kCriuTagListen;
  else ev.data.fd = listenFd_;
  epoll_ctl(controlEpoll_, EPOLL_CTL_ADD, listenFd_, &ev);
  ev.data.u64 = kFaultTagWake;
  epoll_ctl(faultEpoll_, EPOLL_CTL_ADD, faultWake_, &ev);

  control_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rl-control");
    if (criuMode()) criuControlLoop();
    else controlLoop();
  });
  fault_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rl-fault");
    pinThread(cfg_.faultCpuMask);
    const FaultThreadPolicy got = raiseFaultThread(nullptr);
    {
      std::lock_guard<HybridMutex> g(stateMu_);
      stats_.faultThreadPolicy = static_cast<int>(got);
    }
    if (cfg_.mode == MonitorMode::ReferenceFault) referenceFaultLoop();
    else faultLoop();
  });
  if (cfg_.mode == MonitorMode::Backend)
    copier_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "rl-copier");
      pinThread(cfg_.copierCpuMask);
      copierLoop();
    });
}

void Monitor::stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  uint64_t one = 1;
  if (controlWake_ >= 0) (void)!::write(controlWake_, &one, sizeof one);
  if (faultWake_ >= 0) (void)!::write(faultWake_, &one, sizeof one);
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    copierReady_ = true;
  }
  copierCv_.notify_all();
  if (control_.joinable()) control_.join();
  if (fault_.joinable()) fault_.join();
  if (copier_.joinable()) copier_.join();
  if (guardFd_ >= 0) {
    // without RL_GUARD_RELEASE before, the guardian kills the tasks first
    ::close(guardFd_);
    guardFd_ = -1;
    int status;
    while (::waitpid(guardianPid_, &status, 0) < 0 && errno == EINTR) {
    }
    guardianPid_ = -1;
  }
  for (auto& p : procs_) {
    if (p->pidfd >= 0) ::close(p->pidfd);
    p->pidfd = -1;
    if (p->uffd >= 0) ::close(p->uffd);
    if (p->sock >= 0) ::close(p->sock);
    if (p->cacheFd >= 0) ::close(p->cacheFd);
    if (p->moverFd >= 0) ::close(p->moverFd);
    p->uffd = p->sock = p->cacheFd = p->moverFd = -1;
  }
  for (auto& c : forks_) {
    if (c->uffd >= 0) ::close(c->uffd);
    c->uffd = -1;
  }
  for (int fd : {listenFd_, controlEpoll_, faultEpoll_, controlWake_, faultWake_})
    if (fd >= 0) ::close(fd);
  listenFd_ = controlEpoll_ = faultEpoll_ = controlWake_ = faultWake_ = -1;
  if (!socketPath_.empty()) ::unlink(socketPath_.c_str());
  if (plan_) munmap(const_cast<uint8_t*>(plan_), planBytes_);
  plan_ = nullptr;
  source_.close();
  remote_.close();
}

void Monitor::emit(double tAbs, int kind, int pid, double a, double b, double c, double d) {
  Record r{rel(tAbs), static_cast<double>(kind), static_cast<double>(pid), a, b, c, d, 0};
  emitBatch(&r, 1);
}

void Monitor::emitBatch(const Record* r, size_t n) {
  if (n == 0 || !ring_->push(r, n) || !notify_) return;
  // JS is told at most once per notifyIntervalNs (it also drains on a timer); the end and
  // failures are told at once
  const double t = r[n - 1].t + cfg_.t0;
  const double last = lastNotify_.load(std::memory_order_relaxed);
  if (r[n - 1].kind >= 100 || t - last >= cfg_.notifyIntervalNs) {
    lastNotify_.store(t, std::memory_order_relaxed);
    notify_();
  } else {
    ring_->rearmNotify();
  }
}

void Monitor::fail(const std::string& why) {
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    if (!error_.empty()) return;
    error_ = why;
  }
  emit(now(), kFailed, 0, 0, 0, 0, 0);
}

std::string Monitor::error() const {
  std::lock_guard<HybridMutex> g(stateMu_);
  return error_;
}

MonitorStats Monitor::stats() const {
  std::lock_guard<HybridMutex> g(stateMu_);
  MonitorStats s = stats_;
  s.faults += refFaults_.load(std::memory_order_relaxed);
  s.ringOverflowed = ring_->overflowed();
  s.sourceDrops = source_.drops();
  s.remoteRequests = remote_.requests();
  return s;
}

uint64_t Monitor::uffdFeatures() const {
  for (auto& p : procs_)
    if (p->hello) return p->uffdFeatures;
  return 0;
}

int Monitor::vmaOfAddr(const ProcState& p, uint64_t addr) const {
  size_t lo = 0, hi = p.byAddr.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const VmaState& v = p.vmas[p.byAddr[mid]];
    if (addr < v.addr) hi = mid;
    else if (addr >= v.addr + v.pages * pageSize_) lo = mid + 1;
    else return static_cast<int>(p.byAddr[mid]);
  }
  return -1;
}

int Monitor::vmaOfPage(const ProcState& p, uint64_t page) {
  size_t lo = 0, hi = p.vmas.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const VmaState& v = p.vmas[mid];
    if (page < v.firstPage) hi = mid;
    else if (page >= v.firstPage + v.pages) lo = mid + 1;
    else return static_cast<int>(mid);
  }
  return -1;
}

// ---- control thread ----------------------------------------------------------------------------

}  // namespace restorelab
