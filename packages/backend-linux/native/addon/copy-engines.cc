// How copied pages get into the restored process (the plan's copy engine): UFFDIO_COPY from the
// source; continue, the page written into the memfd the VMA maps privately, then UFFDIO_CONTINUE;
// move, the page written into the process's staging area (process_vm_writev), then UFFDIO_MOVE.
// A page continue cannot take from the memfd (a child's page that is not its ancestor's) and a
// page move cannot place (a read-only VMA, a task forked during the restore) go by UFFDIO_COPY.
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "../common/uffd-compat.h"
#include "monitor.h"

namespace restorelab {

namespace {
// how long a copier, precopy or inline copy waits before it tries an EAGAIN copy again
constexpr unsigned kBusyRetryUs = 20;
// most iovecs one process_vm_writev takes (UIO_MAXIOV)
constexpr uint64_t kMaxIov = 1024;
}  // namespace

int64_t Monitor::copyFrom(ProcState& p, const VmaState& v, uint64_t page, uint64_t end, const uint8_t* src, bool wake,
                          const std::function<void(uint64_t, uint64_t)>& copied, const std::function<void(uint64_t)>& existed) {
  if (engine_ == RL_PLAN_ENGINE_MOVE)
    return placeRun(p, v, page, end, src, wake, p.staging && v.writable ? Place::Move : Place::Copy, copied, existed);
  if (engine_ != RL_PLAN_ENGINE_CONTINUE) return placeRun(p, v, page, end, src, wake, Place::Copy, copied, existed);
  int64_t calls = 0;
  for (uint64_t at = page; at < end;) {
    const bool same = p.cacheSame.get(at);
    uint64_t e = at + 1;
    while (e < end && p.cacheSame.get(e) == same) e++;
    const int64_t c = placeRun(p, v, at, e, src + (at - page) * pageSize_, wake, same ? Place::Continue : Place::Copy, copied, existed);
    if (c < 0) return c;
    calls += c;
    at = e;
  }
  return calls;
}

bool Monitor::fillCache(ProcState& p, const VmaState& v, uint64_t page, uint64_t end, const uint8_t* src) {
  ProcState& owner = *procs_[v.cacheProc];
  const uint64_t base = v.cachePage - v.firstPage;  // owner's page = p's page + base
  for (uint64_t at = page; at < end;) {
    if (owner.cached.get(at + base)) {
      at++;
      continue;
    }
    uint64_t e = at + 1;
    while (e < end && !owner.cached.get(e + base)) e++;
    const uint8_t* from = src + (at - page) * pageSize_;
    size_t left = (e - at) * pageSize_;
    off_t off = static_cast<off_t>((at + base) * pageSize_);
    while (left > 0) {
      const ssize_t w = ::pwrite(owner.cacheFd, from, left, off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        if (w == 0) errno = ENOSPC;
        return false;
      }
      from += w;
      off += w;
      left -= static_cast<size_t>(w);
    }
    for (uint64_t k = at; k < e; k++) owner.cached.set(k + base);
    at = e;
  }
  return true;
}

bool Monitor::fillStaging(ProcState& p, uint64_t page, uint64_t end, const uint8_t* src) {
  const uint64_t chunk = kMaxIov * pageSize_;
  for (uint64_t at = page * pageSize_, last = end * pageSize_; at < last;) {
    const uint64_t n = std::min(chunk, last - at);
    struct iovec local = {const_cast<uint8_t*>(src + (at - page * pageSize_)), n};
    struct iovec remote = {reinterpret_cast<void*>(p.staging + at), n};
    const ssize_t w = ::process_vm_writev(p.osPid, &local, 1, &remote, 1, 0);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EFAULT;
      return false;
    }
    at += static_cast<uint64_t>(w);
  }
  return true;
}

bool Monitor::moveByMover(ProcState& p, const struct uffdio_move& m, int64_t* moved) {
  const rl_move_request rq = {m.dst, m.src, m.len, m.mode};
  rl_move_reply r;
  std::lock_guard<std::mutex> g(p.moverMu);
  ssize_t n;
  while ((n = ::send(p.moverFd, &rq, sizeof rq, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof rq))
    while ((n = ::recv(p.moverFd, &r, sizeof r, 0)) < 0 && errno == EINTR) {
    }
  if (n != static_cast<ssize_t>(sizeof r)) {
    // the process is gone (or its mover): nothing can be placed in it any more
    *moved = 0;
    errno = ESRCH;
    return false;
  }
  *moved = r.moved;
  errno = r.err;
  return r.err == 0;
}

int64_t Monitor::placeRun(ProcState& p, const VmaState& v, uint64_t page, uint64_t end, const uint8_t* src, bool wake, Place how,
                          const std::function<void(uint64_t, uint64_t)>& copied, const std::function<void(uint64_t)>& existed) {
  if (how == Place::Continue && !fillCache(p, v, page, end, src)) return -errno;
  if (how == Place::Move && !fillStaging(p, page, end, src)) return -errno;
  int64_t calls = 0;
  uint64_t at = page;
  while (at < end) {
    const uint64_t dst = v.addr + (at - v.firstPage) * pageSize_, len = (end - at) * pageSize_;
    int64_t done = 0;
    bool ok;
    calls++;
    if (how == Place::Copy) {
      struct uffdio_copy c = {dst, reinterpret_cast<uint64_t>(src + (at - page) * pageSize_), len, wake ? 0 : UFFDIO_COPY_MODE_DONTWAKE, 0};
      ok = ioctl(p.uffd, UFFDIO_COPY, &c) == 0;
      done = c.copy;
    } else if (how == Place::Continue) {
      struct uffdio_continue c = {{dst, len}, wake ? 0 : UFFDIO_CONTINUE_MODE_DONTWAKE, 0};
      ok = ioctl(p.uffd, UFFDIO_CONTINUE, &c) == 0;
      done = c.mapped;
    } else {
      struct uffdio_move c = {dst, p.staging + at * pageSize_, len, wake ? 0 : UFFDIO_MOVE_MODE_DONTWAKE, 0};
      ok = moveByMover(p, c, &done);
    }
    const int e = errno;
    if (ok) {
      copied(at, end - at);
      return calls;
    }
    if (done > 0) {
      const uint64_t k = static_cast<uint64_t>(done) / pageSize_;
      copied(at, k);
      at += k;
      continue;
    }
    if (e == EEXIST) {
      // a hugetlb VMA's huge page exists whole (the kernel copies and refuses it as one)
      const uint64_t step = v.hugetlb ? std::min<uint64_t>(RL_HUGETLB_PAGES, end - at) : 1;
      for (uint64_t k = 0; k < step; k++) existed(at + k);
      at += step;
      continue;
    }
    // EAGAIN: the task's mappings are changing and the event that says how waits to be read. Only
    // the fault thread reads it: it gives up and retries later, any other thread waits for it.
    if (e == EAGAIN && std::this_thread::get_id() != fault_.get_id() && !stopping_.load(std::memory_order_relaxed)) {
      ::usleep(kBusyRetryUs);
      continue;
    }
    return -e;
  }
  return calls;
}

}  // namespace restorelab
