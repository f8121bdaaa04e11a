// Monitor lifecycle and the control thread: the runner's connections, startup facts in protocol
// order, precopy, GO, end reports and memory samples.
#include "event-codes.h"
#include "monitor.h"
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

namespace {

std::string errnoText(const std::string& what, int e) { return what + ": " + std::strerror(e); }

const uint8_t* mapFile(const std::string& path, size_t* bytes, bool populate) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(errnoText("cannot open " + path, errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error(errnoText("cannot stat " + path, e));
  }
  *bytes = static_cast<size_t>(st.st_size);
  if (st.st_size == 0) {
    ::close(fd);
    return nullptr;
  }
  void* m = mmap(nullptr, *bytes, PROT_READ, MAP_SHARED | (populate ? MAP_POPULATE : 0), fd, 0);
  int e = errno;
  ::close(fd);
  if (m == MAP_FAILED) throw std::runtime_error(errnoText("cannot map " + path, e));
  return static_cast<const uint8_t*>(m);
}

bool readWhole(const std::string& path, std::vector<uint8_t>* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->insert(out->end(), buf, buf + n);
  }
  ::close(fd);
  return true;
}

struct MemorySample {
  double rss = 0, pss = 0, priv = 0;
};

MemorySample smapsRollup(int osPid) {
  MemorySample s;
  std::vector<uint8_t> text;
  if (!readWhole("/proc/" + std::to_string(osPid) + "/smaps_rollup", &text)) return s;
  text.push_back(0);
  const char* line = reinterpret_cast<const char*>(text.data());
  while (*line) {
    unsigned long long kb = 0;
    if (std::sscanf(line, "Rss: %llu kB", &kb) == 1) s.rss = kb * 1024.0;
    else if (std::sscanf(line, "Pss: %llu kB", &kb) == 1) s.pss = kb * 1024.0;
    else if (std::sscanf(line, "Private_Clean: %llu kB", &kb) == 1) s.priv += kb * 1024.0;
    else if (std::sscanf(line, "Private_Dirty: %llu kB", &kb) == 1) s.priv += kb * 1024.0;
    const char* nl = std::strchr(line, '\n');
    if (!nl) break;
    line = nl + 1;
  }
  return s;
}


}  // namespace

double Monitor::now() { return EventRing::monotonicNs(); }

Monitor::Monitor(MonitorConfig cfg) : cfg_(std::move(cfg)), ring_(std::make_shared<EventRing>(cfg_.ringCapacity)) {}

Monitor::~Monitor() { stop(); }

void Monitor::loadPlan() {
  plan_ = mapFile(cfg_.dir + "/" + RL_PLAN_FILE, &planBytes_, false);
  hdr_ = reinterpret_cast<const rl_plan_header*>(plan_);
  if (!hdr_ || planBytes_ < sizeof(rl_plan_header) || hdr_->magic != RL_PLAN_MAGIC || hdr_->version != RL_FORMAT_VERSION ||
      hdr_->file_bytes != planBytes_)
    throw std::runtime_error("not a restorelab plan: " + cfg_.dir + "/" + RL_PLAN_FILE);
  pageSize_ = hdr_->page_size;
  blob_ = mapFile(cfg_.dir + "/" + RL_PAGES_FILE, &blobBytes_, true);
  if (blobBytes_ < hdr_->blob_bytes) throw std::runtime_error("pages file is shorter than the image says");
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
    p->blob = blob_ ? blob_ + pp.blob_offset : nullptr;
    for (uint32_t j = 0; j < pp.nvmas; j++) {
      const rl_plan_vma& v = vmas[pp.first_vma + j];
      VmaState s;
      s.pages = v.pages;
      s.firstPage = v.first_page;
      s.forward = v.window_forward;
      s.backward = v.window_backward;
      p->vmas.push_back(s);
    }
    p->present.resize(p->totalPages);
    p->inFlight.resize(p->totalPages);
    p->registered.resize(p->totalPages);
    p->faulted.resize(p->totalPages);
    procs_.push_back(std::move(p));
  }
}

void Monitor::start(std::function<void()> notify) {
  if (started_) throw std::runtime_error("monitor already started");
  started_ = true;
  notify_ = std::move(notify);
  loadPlan();

  socketPath_ = cfg_.dir + "/" + RL_SOCKET_FILE;
  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (socketPath_.size() >= sizeof addr.sun_path) throw std::runtime_error("run directory path too long for a unix socket");
  std::memcpy(addr.sun_path, socketPath_.c_str(), socketPath_.size() + 1);
  ::unlink(socketPath_.c_str());
  listenFd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listenFd_ < 0) throw std::runtime_error(errnoText("socket", errno));
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error(errnoText("bind " + socketPath_, errno));
  if (::listen(listenFd_, 128) != 0) throw std::runtime_error(errnoText("listen", errno));

  controlWake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  faultWake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  controlEpoll_ = epoll_create1(EPOLL_CLOEXEC);
  faultEpoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (controlWake_ < 0 || faultWake_ < 0 || controlEpoll_ < 0 || faultEpoll_ < 0) throw std::runtime_error(errnoText("eventfd/epoll", errno));
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.fd = controlWake_;
  epoll_ctl(controlEpoll_, EPOLL_CTL_ADD, controlWake_, &ev);
  ev.data.fd = listenFd_;
  epoll_ctl(controlEpoll_, EPOLL_CTL_ADD, listenFd_, &ev);
  ev.data.u64 = UINT64_MAX;
  epoll_ctl(faultEpoll_, EPOLL_CTL_ADD, faultWake_, &ev);

  control_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rl-control");
    controlLoop();
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
  for (auto& p : procs_) {
    if (p->uffd >= 0) ::close(p->uffd);
    if (p->sock >= 0) ::close(p->sock);
    p->uffd = p->sock = -1;
  }
  for (int fd : {listenFd_, controlEpoll_, faultEpoll_, controlWake_, faultWake_})
    if (fd >= 0) ::close(fd);
  listenFd_ = controlEpoll_ = faultEpoll_ = controlWake_ = faultWake_ = -1;
  if (!socketPath_.empty()) ::unlink(socketPath_.c_str());
  if (plan_) munmap(const_cast<uint8_t*>(plan_), planBytes_);
  if (blob_) munmap(const_cast<uint8_t*>(blob_), blobBytes_);
  plan_ = blob_ = nullptr;
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
  return s;
}

uint64_t Monitor::uffdFeatures() const {
  for (auto& p : procs_)
    if (p->hello) return p->uffdFeatures;
  return 0;
}

void Monitor::sendTo(ProcState& p, uint32_t type, uint64_t arg0, uint64_t arg1) {
  if (p.sock < 0) return;
  rl_msg m;
  std::memset(&m, 0, sizeof m);
  m.type = type;
  m.proc = p.idx;
  m.arg0 = arg0;
  m.arg1 = arg1;
  m.t = now();
  (void)::send(p.sock, &m, sizeof m, MSG_NOSIGNAL | MSG_DONTWAIT);
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

void Monitor::controlLoop() {
  std::unordered_map<int, bool> clients;
  struct epoll_event evs[16];
  while (!stopping_.load()) {
    int n = epoll_wait(controlEpoll_, evs, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errnoText("epoll_wait", errno));
      return;
    }
    for (int i = 0; i < n && !stopping_.load(); i++) {
      int fd = evs[i].data.fd;
      if (fd == controlWake_) continue;
      if (fd == listenFd_) {
        for (;;) {
          int c = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) break;
          struct epoll_event ev;
          std::memset(&ev, 0, sizeof ev);
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.fd = c;
          epoll_ctl(controlEpoll_, EPOLL_CTL_ADD, c, &ev);
          clients[c] = true;
        }
        continue;
      }
      if (evs[i].events & EPOLLIN) onMessage(fd);
      if (evs[i].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
        // drain what is left (a FAIL message sent before the close), then take the loss
        onMessage(fd);
        epoll_ctl(controlEpoll_, EPOLL_CTL_DEL, fd, nullptr);
        ProcState* owner = nullptr;
        for (auto& p : procs_)
          if (p->sock == fd) owner = p.get();
        if (owner) {
          if (!owner->done && !stopping_.load())
            fail("the runner process of pid " + std::to_string(owner->pid) + " (os pid " + std::to_string(owner->osPid) +
                 ") went away before the end of its workload");
        } else {
          if (helloCount_ < procs_.size() && !stopping_.load()) fail("a runner process went away before registering its memory");
          ::close(fd);
        }
        clients.erase(fd);
      }
    }
  }
  for (auto& c : clients) {
    bool owned = false;
    for (auto& p : procs_)
      if (p->sock == c.first) owned = true;
    if (!owned) ::close(c.first);
  }
}

void Monitor::onMessage(int sock) {
  for (;;) {
    rl_msg m;
    struct iovec iov = {&m, sizeof m};
    union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
    } u;
    struct msghdr mh;
    std::memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    ssize_t n = ::recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    int fd = -1;
    for (struct cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    if (static_cast<size_t>(n) < sizeof m || m.proc >= procs_.size()) {
      if (fd >= 0) ::close(fd);
      fail("malformed message from a runner process");
      continue;
    }
    ProcState& p = *procs_[m.proc];
    switch (m.type) {
      case RL_MSG_HELLO:
        if (p.hello || fd < 0) {
          if (fd >= 0) ::close(fd);
          fail("unexpected hello for pid " + std::to_string(p.pid));
          break;
        }
        p.sock = sock;
        onHello(p, fd, m.os_pid);
        break;
      case RL_MSG_MADVISE_DONE: {
        bool expected = false;
        {
          std::lock_guard<HybridMutex> g(stateMu_);
          for (auto it = sentMadvise_.begin(); it != sentMadvise_.end(); ++it) {
            if (it->proc == p.idx && it->vma == m.arg0 && it->advice == m.arg1) {
              sentMadvise_.erase(it);
              expected = true;
              break;
            }
          }
        }
        if (expected)
          emit(m.t, kMadviseApplied, p.pid, static_cast<double>(m.arg0), static_cast<double>(m.arg1), m.status ? 1 : 0, 0);
        break;
      }
      case RL_MSG_DONE:
        onDone(p);
        break;
      case RL_MSG_FAIL:
        m.text[sizeof m.text - 1] = 0;
        fail("runner, pid " + std::to_string(p.pid) + ": " + m.text);
        break;
      default:
        if (fd >= 0) ::close(fd);
        break;
    }
  }
}

void Monitor::onHello(ProcState& p, int uffd, int osPid) {
  std::vector<uint8_t> data;
  std::string path = cfg_.dir + "/start-" + std::to_string(p.idx) + ".bin";
  if (!readWhole(path, &data) || data.size() < sizeof(rl_start_header)) {
    ::close(uffd);
    fail("cannot read " + path);
    return;
  }
  rl_start_header h;
  std::memcpy(&h, data.data(), sizeof h);
  size_t need = sizeof h + h.nvmas * sizeof(uint64_t) + h.nfacts * sizeof(rl_fact);
  if (h.magic != RL_START_MAGIC || h.proc != p.idx || h.nvmas != p.vmas.size() || data.size() < need) {
    ::close(uffd);
    fail("malformed start report " + path);
    return;
  }
  const uint8_t* q = data.data() + sizeof h;
  for (uint32_t i = 0; i < h.nvmas; i++) std::memcpy(&p.vmas[i].addr, q + i * sizeof(uint64_t), sizeof(uint64_t));
  q += h.nvmas * sizeof(uint64_t);
  p.facts.resize(h.nfacts);
  if (h.nfacts) std::memcpy(p.facts.data(), q, h.nfacts * sizeof(rl_fact));
  p.byAddr.clear();
  for (uint32_t i = 0; i < p.vmas.size(); i++) p.byAddr.push_back(i);
  std::sort(p.byAddr.begin(), p.byAddr.end(), [&](uint32_t a, uint32_t b) { return p.vmas[a].addr < p.vmas[b].addr; });
  p.uffd = uffd;
  p.osPid = osPid;
  p.uffdFeatures = h.uffd_features;
  p.uffdVia = h.uffd_via;
  p.hello = true;
  if (++helloCount_ == procs_.size()) onAllHello();
}

void Monitor::onAllHello() {
  auto* procs = reinterpret_cast<const rl_plan_proc*>(plan_ + hdr_->procs_off);
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    for (auto& p : procs_) {
      for (const rl_fact& f : p->facts) {
        uint64_t a = static_cast<uint64_t>(f.a), b = static_cast<uint64_t>(f.b), c = static_cast<uint64_t>(f.c);
        if (f.kind == RL_EV_PAGES_PREFILLED && a + b <= p->totalPages) p->present.setRange(a, b);
        if (f.kind == RL_EV_HUGE_PAGE_COLLAPSED && b + c <= p->totalPages) p->present.setRange(b, c);
        if (f.kind == RL_EV_VMA_REGISTERED && b + c <= p->totalPages) p->registered.setRange(b, c);
      }
    }
  }
  // The common event protocol, process by process (parents before their children): advice,
  // prefill and collapse, the forks of its children with what they inherit, its registrations,
  // its advice after registration, then its precopy.
  double precopyNs = 0;
  uint64_t precopyPages = 0;
  for (auto& p : procs_) {
    std::vector<Record> out;
    auto phaseOf = [&](const ProcState& q, int phase) {
      for (const rl_fact& f : q.facts)
        if (f.phase == phase)
          out.push_back(Record{rel(f.t), static_cast<double>(f.kind), static_cast<double>(f.pid), f.a, f.b, f.c, f.d, 0});
    };
    phaseOf(*p, RL_PHASE_FILL);
    for (auto& c : procs_)
      if (procs[c->idx].parent == static_cast<int32_t>(p->idx)) phaseOf(*c, RL_PHASE_INHERIT);
    phaseOf(*p, RL_PHASE_REGISTER);
    phaseOf(*p, RL_PHASE_AFTER);
    emitBatch(out.data(), out.size());
    if (cfg_.mode == MonitorMode::Backend) {
      double t0 = now();
      if (!precopy(*p, &precopyPages)) return;
      precopyNs += now() - t0;
    }
  }
  emit(now(), kAllRegistered, 0, static_cast<double>(procs_.size()), 0, 0, 0);
  if (cfg_.mode == MonitorMode::ReferenceEager) referenceEager();

  for (auto& p : procs_) {
    struct epoll_event ev;
    std::memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u64 = p->idx;
    if (epoll_ctl(faultEpoll_, EPOLL_CTL_ADD, p->uffd, &ev) != 0) fail(errnoText("epoll_ctl on a userfaultfd", errno));
  }
  double go = now();
  std::vector<PendingMadvise> madv;
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    stats_.goT = go;
    stats_.precopyNs += precopyNs;
    stats_.precopyPages += precopyPages;
    copierReady_ = true;
    madv.swap(pendingMadvise_);
    sentMadvise_.insert(sentMadvise_.end(), madv.begin(), madv.end());
  }
  copierCv_.notify_all();
  for (auto& p : procs_) emit(go, kWorkloadStarted, p->pid, static_cast<double>(p->accesses), 0, 0, 0);
  for (auto& m : madv) sendTo(*procs_[m.proc], RL_MSG_MADVISE, m.vma, m.advice);
  uint64_t one = 1;
  (void)!::write(faultWake_, &one, sizeof one);
  for (auto& p : procs_) sendTo(*p, RL_MSG_GO, 0, 0);
}

// plan.precopy of one process: runs of missing pages within a VMA, at most 512 pages per call,
// one PagesCopied per run (d = calls).
bool Monitor::precopy(ProcState& p, uint64_t* pagesOut) {
  auto* r = reinterpret_cast<const rl_plan_range*>(plan_ + hdr_->precopy_off);
  for (uint32_t i = 0; i < hdr_->n_precopy; i++) {
    if (r[i].proc != p.idx) continue;
    uint64_t page = r[i].page;
    const uint64_t end = std::min<uint64_t>(r[i].page + r[i].count, p.totalPages);
    while (page < end) {
      int vi = -1;
      for (size_t j = 0; j < p.vmas.size(); j++)
        if (page >= p.vmas[j].firstPage && page < p.vmas[j].firstPage + p.vmas[j].pages) vi = static_cast<int>(j);
      if (vi < 0) break;
      const VmaState& v = p.vmas[vi];
      const uint64_t vEnd = std::min(end, v.firstPage + v.pages);
      while (page < vEnd) {
        uint64_t runStart, runEnd;
        {
          std::lock_guard<HybridMutex> g(stateMu_);
          while (page < vEnd && p.present.get(page)) page++;
          runStart = page;
          while (page < vEnd && !p.present.get(page)) page++;
          runEnd = page;
        }
        if (runEnd == runStart) continue;
        uint64_t calls = 0, copiedPages = 0;
        for (uint64_t at = runStart; at < runEnd; at += kMaxPagesPerCopy) {
          const uint64_t n = std::min(kMaxPagesPerCopy, runEnd - at);
          const int64_t c = copyRange(
              p, v, at, n, false,
              [&](uint64_t a, uint64_t k) {
                std::lock_guard<HybridMutex> g(stateMu_);
                p.present.setRange(a, k);
                copiedPages += k;
              },
              [](uint64_t) {});
          if (c < 0) {
            fail(errnoText("precopy UFFDIO_COPY", static_cast<int>(-c)));
            return false;
          }
          calls += static_cast<uint64_t>(c);
        }
        *pagesOut += copiedPages;
        emit(now(), kPagesCopied, p.pid, static_cast<double>(runStart), static_cast<double>(copiedPages), kCausePrecopy,
             static_cast<double>(calls));
      }
    }
  }
  return true;
}

// The floor of a full restore: every page in 512-page UFFDIO_COPY calls, nothing else.
void Monitor::referenceEager() {
  double t0 = now();
  uint64_t pages = 0;
  for (auto& p : procs_) {
    for (const VmaState& v : p->vmas) {
      for (uint64_t k = 0; k < v.pages; k += kMaxPagesPerCopy) {
        uint64_t n = std::min(kMaxPagesPerCopy, v.pages - k);
        struct uffdio_copy c;
        c.dst = v.addr + k * pageSize_;
        c.src = reinterpret_cast<uint64_t>(p->blob + (v.firstPage + k) * pageSize_);
        c.len = n * pageSize_;
        c.mode = UFFDIO_COPY_MODE_DONTWAKE;
        c.copy = 0;
        if (ioctl(p->uffd, UFFDIO_COPY, &c) != 0) {
          fail(errnoText("reference UFFDIO_COPY", errno));
          return;
        }
        pages += n;
      }
    }
  }
  std::lock_guard<HybridMutex> g(stateMu_);
  stats_.precopyNs += now() - t0;
  stats_.precopyPages += pages;
}

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
  p.done = true;
  stats_.endT = std::max(stats_.endT, h.t_end);
  if (++doneCount_ == procs_.size()) {
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
  emitBatch(out.data(), out.size());
}

void Monitor::releaseRunners() {
  for (auto& p : procs_) sendTo(*p, RL_MSG_EXIT, 0, 0);
}

void Monitor::submitMadvise(uint32_t proc, uint32_t vma, uint32_t advice) {
  if (proc >= procs_.size()) return;
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    if (finished_) return;
    if (!copierReady_) {
      pendingMadvise_.push_back({proc, vma, advice});
      return;
    }
    sentMadvise_.push_back({proc, vma, advice});
  }
  sendTo(*procs_[proc], RL_MSG_MADVISE, vma, advice);
}

}  // namespace restorelab
