#include "remote-source.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace restorelab {

namespace {

// How long a read spins before it sleeps in poll: on a VM the wake-up of a sleeping thread costs
// tens of microseconds, more than a loopback answer takes to come.
constexpr uint64_t kSpinNs = 50000;
// How early a sleep for a shaped answer ends: a VM's timer wake-ups come tens of microseconds late.
constexpr uint64_t kWakeEarlyNs = 150000;

uint64_t nowNs() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

// Sleeps until kWakeEarlyNs before t (a shaped link's answer is not due before it).
void sleepUntilNear(uint64_t t) {
  if (t <= nowNs() + kWakeEarlyNs + kSpinNs) return;
  const uint64_t at = t - kWakeEarlyNs;
  struct timespec ts = {static_cast<time_t>(at / 1000000000ull), static_cast<long>(at % 1000000000ull)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// 0: done; else an errno (ETIMEDOUT when nothing came for timeoutMs, ECONNRESET when the peer closed)
int readFull(int fd, void* buf, size_t n, int timeoutMs) {
  size_t got = 0;
  for (const uint64_t until = nowNs() + kWakeEarlyNs + kSpinNs; got < n && nowNs() < until;) {
    const ssize_t k = recv(fd, static_cast<char*>(buf) + got, n - got, MSG_DONTWAIT);
    if (k > 0) got += static_cast<size_t>(k);
    else if (k == 0) return ECONNRESET;
    else if (errno != EAGAIN && errno != EINTR) return errno;
  }
  while (got < n) {
    struct pollfd p = {fd, POLLIN, 0};
    const int r = poll(&p, 1, timeoutMs);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno;
    if (r == 0) return ETIMEDOUT;
    const ssize_t k = recv(fd, static_cast<char*>(buf) + got, n - got, 0);
    if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (k < 0) return errno;
    if (k == 0) return ECONNRESET;
    got += static_cast<size_t>(k);
  }
  return 0;
}

int writeFull(int fd, const void* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t k = send(fd, static_cast<const char*>(buf) + done, n - done, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return k < 0 ? errno : EPIPE;
    done += static_cast<size_t>(k);
  }
  return 0;
}

std::string lost(int e) {
  if (e == ETIMEDOUT) return "the page server stopped answering";
  if (e == ECONNRESET || e == EPIPE) return "the page server closed the connection";
  return std::string("the page server connection failed: ") + std::strerror(e);
}

}  // namespace

int RemoteSource::open(const RemoteSourceConfig& cfg, uint8_t channel, uint64_t blobBytes, uint32_t pageSize) {
  const std::string where = cfg.host + ":" + std::to_string(cfg.port);
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo* ai = nullptr;
  const int g = getaddrinfo(cfg.host.c_str(), std::to_string(cfg.port).c_str(), &hints, &ai);
  if (g != 0) throw std::runtime_error("page server " + where + ": " + gai_strerror(g));
  int fd = -1;
  int err = 0;
  for (struct addrinfo* a = ai; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(ai);
  if (fd < 0) throw std::runtime_error("page server " + where + ": cannot connect (" + std::strerror(err) + ")");
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct rl_ps_hello h = {};
  h.magic = RL_PS_MAGIC;
  h.version = RL_PS_VERSION;
  h.channel = channel;
  h.token_len = static_cast<uint8_t>(cfg.token.size());
  std::memcpy(h.token, cfg.token.data(), cfg.token.size());
  struct rl_ps_welcome w = {};
  int e = writeFull(fd, &h, sizeof h);
  if (e == 0) e = readFull(fd, &w, sizeof w, RL_PS_HELLO_TIMEOUT_MS);
  if (e != 0) {
    ::close(fd);
    throw std::runtime_error("page server " + where + ": no welcome (" + lost(e) + "; a page server of another version, or not one?)");
  }
  std::string bad;
  if (w.magic != RL_PS_MAGIC) bad = "it is not a restorelab page server";
  else if (w.status == RL_PS_BAD_TOKEN) bad = "it refused the token (RESTORELAB_PAGE_SERVER_TOKEN or --token-file must match the server's)";
  else if (w.status != RL_PS_OK) bad = "it refused the connection (status " + std::to_string(w.status) + ")";
  else if (w.blob_bytes != blobBytes || w.page_size != pageSize)
    bad = "it serves " + std::to_string(w.blob_bytes) + " bytes of " + std::to_string(w.page_size) + "-byte pages, this image has " +
          std::to_string(blobBytes) + " bytes of " + std::to_string(pageSize) + "-byte pages (another image?)";
  if (!bad.empty()) {
    ::close(fd);
    throw std::runtime_error("page server " + where + ": " + bad);
  }
  latencyNs_ = w.latency_ns;
  bandwidth_ = w.bandwidth_bps;
  return fd;
}

void RemoteSource::connect(const RemoteSourceConfig& cfg, uint64_t blobBytes, uint32_t pageSize) {
  if (cfg.token.size() > RL_PS_TOKEN_MAX) throw std::runtime_error("the page server token is longer than " + std::to_string(RL_PS_TOKEN_MAX) + " bytes");
  const int n = cfg.channels == 1 ? 1 : 2;
  try {
    for (int i = 0; i < n; i++) {
      conn_[i].fd = open(cfg, static_cast<uint8_t>(n == 1 ? RL_PS_CHANNEL_SHARED : i), blobBytes, pageSize);
      conns_ = i + 1;
    }
  } catch (...) {
    close();
    throw;
  }
  // the longest an answer may take on this link, and the grace after it
  const double maxBytes = static_cast<double>(RL_PS_MAX_REQUEST_PAGES) * pageSize;
  const double worstNs = 2.0 * static_cast<double>(latencyNs_) + (bandwidth_ ? maxBytes * 1e9 / static_cast<double>(bandwidth_) : 0);
  timeoutMs_ = RL_PS_REPLY_GRACE_MS + static_cast<int>(worstNs / 1e6);
}

bool RemoteSource::fetch(Channel ch, uint64_t offset, uint64_t bytes, uint8_t* dst, std::string* why) {
  Conn& c = of(ch);
  std::lock_guard<std::mutex> g(c.mu);
  if (c.fd < 0) {
    *why = "the page server connection is closed";
    return false;
  }
  const struct rl_ps_request q = {offset, bytes};
  const uint64_t sent = nowNs();
  int e = writeFull(c.fd, &q, sizeof q);
  // the shaper answers no sooner than the link allows: sleep till then, spin for the answer
  if (e == 0 && (latencyNs_ || bandwidth_))
    sleepUntilNear(sent + 2 * latencyNs_ + (bandwidth_ ? static_cast<uint64_t>(static_cast<double>(bytes) * 1e9 / static_cast<double>(bandwidth_)) : 0));
  if (e == 0) e = readFull(c.fd, dst, bytes, timeoutMs_);
  if (e != 0) {
    *why = lost(e);
    ::close(c.fd);
    c.fd = -1;
    return false;
  }
  requests_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void RemoteSource::close() {
  for (auto& c : conn_) {
    std::lock_guard<std::mutex> g(c.mu);
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
  }
  conns_ = 0;
}

}  // namespace restorelab
