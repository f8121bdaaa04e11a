// The monitor as CRIU's lazy-pages daemon: the restore's connection (pid and userfaultfd per task,
// the finish value; native/common/criu-lazy-protocol.h), the guardian that holds every uffd, and
// the end of each task once its lazy pages are all present or it exited. Faults, the copier and
// the rules are the Linux backend's own.
#include <fcntl.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "../common/criu-lazy-protocol.h"
#include "../common/fd-passing.h"
#include "event-codes.h"
#include "monitor.h"
#include "run-dir-io.h"

extern char** environ;

namespace restorelab {

using namespace codes;

namespace {
// how often the control thread looks for tasks whose pages are all in
constexpr int kTickMs = 2;

void addEpoll(int ep, int fd, uint64_t tag) {
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = tag;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}
}  // namespace

void Monitor::startCriu() {
  socketPath_ = cfg_.criuSocket;
  listenFd_ = listenUnix(socketPath_, SOCK_STREAM, 1, "work directory");
  // the tasks are where the dump had them
  auto* vmas = reinterpret_cast<const rl_plan_vma*>(plan_ + hdr_->vmas_off);
  auto* procs = reinterpret_cast<const rl_plan_proc*>(plan_ + hdr_->procs_off);
  for (auto& p : procs_) {
    for (uint32_t j = 0; j < p->vmas.size(); j++) p->vmas[j].addr = vmas[procs[p->idx].first_vma + j].start;
    p->byAddr.clear();
    for (uint32_t i = 0; i < p->vmas.size(); i++) p->byAddr.push_back(i);
    p->registered.setRange(0, p->totalPages);
  }
  spawnGuardian();
}

void Monitor::spawnGuardian() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error(errnoText("socketpair", errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], RL_GUARD_FD);
  char* argv[] = {const_cast<char*>(cfg_.guardianPath.c_str()), const_cast<char*>(cfg_.dir.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, cfg_.guardianPath.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    throw std::runtime_error(errnoText("cannot start the guardian " + cfg_.guardianPath, rc));
  }
  guardFd_ = sv[0];
  guardianPid_ = pid;
}

void Monitor::guard(uint32_t type, int32_t pid, int fd) {
  rl_guard_msg m{type, pid};
  if (guardFd_ < 0 || rl_send_with_fd(guardFd_, &m, sizeof m, fd, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof m))
    fail(errnoText("the guardian did not take pid " + std::to_string(pid) + "'s userfaultfd", errno));
}

void Monitor::criuControlLoop() {
  int conn = -1;
  struct epoll_event evs[16];
  while (!stopping_.load()) {
    const int n = epoll_wait(controlEpoll_, evs, 16, criuFinished_ ? kTickMs : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errnoText("epoll_wait", errno));
      break;
    }
    for (int i = 0; i < n && !stopping_.load(); i++) {
      const uint64_t tag = evs[i].data.u64;
      if (tag == kCriuTagListen) {
        const int c = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) continue;
        if (conn >= 0 || criuFinished_) {
          ::close(c);  // one restore per daemon
          continue;
        }
        conn = c;
        addEpoll(controlEpoll_, conn, kCriuTagConn);
      } else if (tag == kCriuTagConn) {
        if (!onCriuBytes(conn)) {
          epoll_ctl(controlEpoll_, EPOLL_CTL_DEL, conn, nullptr);
          ::close(conn);
          conn = -2;  // no second connection either
          if (!criuFinished_ && !stopping_.load()) fail("criu restore closed the lazy-pages socket before it finished (the restore failed)");
        }
      } else if (tag >= kCriuTagPidfd) {
        ProcState& p = *procs_[tag - kCriuTagPidfd];
        epoll_ctl(controlEpoll_, EPOLL_CTL_DEL, p.pidfd, nullptr);
        p.exited = true;
      }
    }
    if (criuFinished_) criuTick();
  }
  if (conn >= 0) ::close(conn);
}

bool Monitor::onCriuBytes(int conn) {
  for (;;) {
    if (criuPid_ != 0) {
      // the 1-byte message with the task's uffd
      char byte;
      int fd;
      const ssize_t r = rl_recv_with_fd(conn, &byte, 1, MSG_DONTWAIT, &fd);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) return true;
      if (r <= 0) return false;
      const int32_t pid = criuPid_;
      criuPid_ = 0;
      if (fd < 0) {
        fail("criu restore sent pid " + std::to_string(pid) + " without its userfaultfd");
        return false;
      }
      onCriuTask(pid, fd);
      continue;
    }
    const ssize_t r = ::recv(conn, criuBuf_ + criuHave_, sizeof criuBuf_ - criuHave_, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (r <= 0) return false;
    criuHave_ += static_cast<size_t>(r);
    if (criuHave_ < sizeof criuBuf_) continue;
    criuHave_ = 0;
    uint32_t v;
    std::memcpy(&v, criuBuf_, sizeof v);
    if (v == RL_CRIU_FINISH_RESTORE) {
      onCriuFinish();
      continue;
    }
    const int32_t pid = static_cast<int32_t>(v);
    if (pid > 0) criuPid_ = pid;
    else if (pid == 0 || pid == INT32_MIN) {
      fail("criu restore sent pid " + std::to_string(pid) + " on the lazy-pages socket");
      return false;
    }
    // a zombie (negated pid): no memory, nothing to serve
  }
}

void Monitor::onCriuTask(int32_t pid, int uffd) {
  // the guardian holds it from now on: whatever happens to this daemon, the task never runs unguarded
  guard(RL_GUARD_TASK, pid, uffd);
  ProcState* found = nullptr;
  for (auto& p : procs_)
    if (p->pid == pid) found = p.get();
  if (!found || found->hello) {
    ::close(uffd);
    fail(found ? "criu restore sent pid " + std::to_string(pid) + " twice" : "criu restore sent pid " + std::to_string(pid) + ", which the dump's images do not have");
    return;
  }
  ProcState& p = *found;
  p.uffd = uffd;
  p.osPid = pid;
  p.hello = true;
  p.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (p.pidfd >= 0) addEpoll(controlEpoll_, p.pidfd, kCriuTagPidfd | p.idx);
  else p.exited = errno == ESRCH;  // gone (and reaped) before its uffd was read
  std::vector<Record> out;
  const double t = rel(now());
  for (uint32_t i = 0; i < p.vmas.size(); i++)
    out.push_back(Record{t, static_cast<double>(RL_EV_VMA_REGISTERED), static_cast<double>(pid), static_cast<double>(i),
                         static_cast<double>(p.vmas[i].firstPage), static_cast<double>(p.vmas[i].pages), 1, 0});
  emitBatch(out.data(), out.size());
  // faults before the finish value are served (the restore itself touches lazy memory)
  watchFaults(p);
}

void Monitor::onCriuFinish() {
  if (criuFinished_) return;
  criuFinished_ = true;
  for (auto& p : procs_)
    if (!p->hello) {
      fail("criu restore finished without sending the userfaultfd of pid " + std::to_string(p->pid));
      return;
    }
  // background copies only now: before it, not every range was registered
  startCriuPush();
}

void Monitor::criuTick() {
  for (auto& pp : procs_) {
    ProcState& p = *pp;
    if (p.done) continue;
    if (p.exited) {
      endCriuTask(p, true);
      continue;
    }
    bool all;
    {
      std::lock_guard<HybridMutex> g(stateMu_);
      uint64_t q = p.missingFrom;
      while (q < p.totalPages && !((p.flags[q] & RL_PAGE_CONTENT) && p.registered.get(q) && !p.present.get(q))) q++;
      p.missingFrom = q;
      all = q == p.totalPages;
    }
    if (all) endCriuTask(p, false);
  }
}

void Monitor::endCriuTask(ProcState& p, bool exited) {
  while (p.faultBusy.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  const double t = now();
  std::vector<Record> out;
  const double pid = p.pid;
  out.push_back(Record{rel(t), kWorkloadEnded, pid, 0, 0, 0, 0, 0});
  if (!exited) {
    MemorySample mem = smapsRollup(p.osPid);
    out.push_back(Record{rel(now()), kMemorySampled, pid, mem.rss, mem.pss, mem.priv, 0, 0});
  }
  out.push_back(Record{rel(now()), kProcessDone, pid, static_cast<double>(p.osPid), 0, 0, 0, 0});
  std::lock_guard<HybridMutex> g(stateMu_);
  endProcess(p, t, out);
  emitBatch(out.data(), out.size());
}

}  // namespace restorelab
