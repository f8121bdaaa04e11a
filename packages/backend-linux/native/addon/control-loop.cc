// The control thread: the runner's connections, startup facts in protocol order, precopy, GO,
// madvise on request, and the release of the runners at the end.
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

#include "../common/criu-lazy-protocol.h"
#include "../common/fd-passing.h"
#include "../common/uffd-compat.h"
#include "event-codes.h"
#include "monitor.h"
#include "run-dir-io.h"
#include "thread-priority.h"

namespace restorelab {

using namespace codes;

// Longest wait for the strategies to handle the startup events before the workload goes anyway.
constexpr double kAwaitConsumerNs = 2e9;

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
    int fd;
    ssize_t n = rl_recv_with_fd(sock, &m, sizeof m, MSG_DONTWAIT, &fd);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
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
        onHello(p, fd, m.os_pid, m.arg0);
        break;
      case RL_MSG_CACHE:
        if (engine_ != RL_PLAN_ENGINE_CONTINUE || p.hello || p.cacheFd >= 0 || fd < 0) {
          if (fd >= 0) ::close(fd);
          fail("unexpected memfd from pid " + std::to_string(p.pid));
          break;
        }
        p.cacheFd = fd;
        break;
      case RL_MSG_MOVER:
        if (engine_ != RL_PLAN_ENGINE_MOVE || p.hello || p.moverFd >= 0 || fd < 0) {
          if (fd >= 0) ::close(fd);
          fail("unexpected mover socket from pid " + std::to_string(p.pid));
          break;
        }
        p.moverFd = fd;
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

void Monitor::onHello(ProcState& p, int uffd, int osPid, uint64_t staging) {
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
  q += h.nfacts * sizeof(rl_fact);
  if (engine_ == RL_PLAN_ENGINE_CONTINUE && !readCacheReport(p, q, data.size() - (q - data.data()))) {
    ::close(uffd);
    fail("malformed start report " + path + " (its memfd table)");
    return;
  }
  if (engine_ == RL_PLAN_ENGINE_MOVE && (staging == 0 || p.moverFd < 0)) {
    ::close(uffd);
    fail("pid " + std::to_string(p.pid) + " has no staging area or mover thread for the move copy engine");
    return;
  }
  p.staging = engine_ == RL_PLAN_ENGINE_MOVE ? staging : 0;
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

bool Monitor::readCacheReport(ProcState& p, const uint8_t* q, size_t left) {
  if (left != p.vmas.size() * sizeof(rl_vma_cache) + p.totalPages) return false;
  for (VmaState& v : p.vmas) {
    rl_vma_cache c;
    std::memcpy(&c, q, sizeof c);
    q += sizeof c;
    // an ancestor's memfd (parents come first), or its own
    if (c.proc > p.idx || c.first_page + v.pages > procs_[c.proc]->totalPages) return false;
    v.cacheProc = c.proc;
    v.cachePage = c.first_page;
  }
  for (uint64_t i = 0; i < p.totalPages; i++)
    if (q[i]) p.cacheSame.set(i);
  return true;
}

void Monitor::onAllHello() {
  if (engine_ == RL_PLAN_ENGINE_CONTINUE)
    for (auto& p : procs_)
      for (const VmaState& v : p->vmas)
        if (procs_[v.cacheProc]->cacheFd < 0) return fail("pid " + std::to_string(p->pid) + " maps a memfd the monitor did not get");
  auto* procs = reinterpret_cast<const rl_plan_proc*>(plan_ + hdr_->procs_off);
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    for (auto& p : procs_) {
      for (const rl_fact& f : p->facts) {
        uint64_t a = static_cast<uint64_t>(f.a), b = static_cast<uint64_t>(f.b), c = static_cast<uint64_t>(f.c);
        if (f.kind == RL_EV_PAGES_PREFILLED && a + b <= p->totalPages) p->present.setRange(a, b);
        if (f.kind == RL_EV_HUGE_PAGE_COLLAPSED && b + c <= p->totalPages) p->present.setRange(b, c);
        // pre-copy rounds: pages the source wrote after they were sent, dropped before registration
        if (f.kind == RL_EV_PAGES_DISCARDED && a + b <= p->totalPages) p->present.clearRange(a, b);
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
  // a consumer that never gets there (stuck elsewhere) delays the workload, it does not stop it
  if (cfg_.awaitConsumer) ring_->waitConsumed(ring_->pushed(), kAwaitConsumerNs, stopping_);

  for (auto& p : procs_) watchFaults(*p);
  for (auto& m : startWorkloads(precopyNs, precopyPages, true)) sendTo(*procs_[m.proc], RL_MSG_MADVISE, m.vma, m.advice);
  uint64_t one = 1;
  (void)!::write(faultWake_, &one, sizeof one);
  for (auto& p : procs_) sendTo(*p, RL_MSG_GO, 0, 0);
}

void Monitor::watchFaults(ProcState& p) {
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.u64 = p.idx;
  if (epoll_ctl(faultEpoll_, EPOLL_CTL_ADD, p.uffd, &ev) != 0) fail(errnoText("epoll_ctl on a userfaultfd", errno));
}

std::vector<Monitor::PendingMadvise> Monitor::startWorkloads(double precopyNs, uint64_t precopyPages, bool adviceSent) {
  const double go = now();
  std::vector<PendingMadvise> madv;
  {
    std::lock_guard<HybridMutex> g(stateMu_);
    stats_.goT = go;
    stats_.precopyNs += precopyNs;
    stats_.precopyPages += precopyPages;
    copierReady_ = true;
    madv.swap(pendingMadvise_);
    if (adviceSent) sentMadvise_.insert(sentMadvise_.end(), madv.begin(), madv.end());
  }
  copierCv_.notify_all();
  for (auto& p : procs_) emit(go, kWorkloadStarted, p->pid, static_cast<double>(p->accesses), 0, 0, 0);
  return madv;
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
              p, v, at, n, false, Channel::Background,
              [&](uint64_t a, uint64_t k) {
                std::lock_guard<HybridMutex> g(stateMu_);
                p.present.setRange(a, k);
                copiedPages += k;
              },
              [](uint64_t) {});
          // ESRCH: a real task (criu restore) exited: nothing left to copy into
          if (c == -ESRCH) return true;
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

void Monitor::releaseRunners() {
  if (criuMode()) {
    // every task has its pages: the guardian lets go of them
    if (!guardReleased_ && guardFd_ >= 0) guard(RL_GUARD_RELEASE, 0, -1);
    guardReleased_ = true;
    return;
  }
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
