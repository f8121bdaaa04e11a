/*
 * restorelab-page-server: serves an image's pages blob over TCP (native/common/page-server-protocol.h),
 * started by `restorelab serve`, which checks the image and the flags first.
 *
 *   restorelab-page-server PAGES_FILE BLOB_BYTES PAGE_SIZE HOST PORT LATENCY_US BANDWIDTH_BPS MAX_CLIENTS SHARED
 *
 * The shared token, if any, comes in the environment (RESTORELAB_PAGE_SERVER_TOKEN), never on the
 * command line. Prints "listening HOST:PORT" once bound. One thread per connection; a connection
 * that says something it should not, or is too slow to say it, is closed and nothing else changes.
 *
 * The link shaper: each connection is one link of LATENCY_US one way and BANDWIDTH_BPS. A request
 * reaches the server LATENCY_US after it was sent, its answer leaves when the link is free and
 * takes bytes / BANDWIDTH_BPS to cross it, and arrives LATENCY_US later: the answer is written when
 * it would arrive. With SHARED 1 every connection crosses one link of BANDWIDTH_BPS instead, the
 * answers in flight sharing it fairly (processor sharing, as TCP flows on one link do about): a
 * demand page on the urgent channel takes twice its own time next to a background answer, not the
 * background answer's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/page-server-protocol.h"

/* what a client may leave a connection idle between two requests */
#define IDLE_TIMEOUT_MS (10 * 60 * 1000)
/* a read spins this long before it sleeps in poll */
#define SPIN_NS 60000ull
/* how early the shaper's sleep ends: a VM's timer wake-ups come tens of microseconds late */
#define WAKE_EARLY_NS 150000ull

static int g_pages = -1;
static uint64_t g_blob_bytes, g_page_size, g_latency_ns, g_bandwidth;
static unsigned g_max_clients;
static int g_shared;
static atomic_uint g_clients;
static char g_token[RL_PS_TOKEN_MAX];
static size_t g_token_len;

static void die(const char *what) {
  fprintf(stderr, "restorelab-page-server: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void wait_until(uint64_t t) {
  uint64_t n = now_ns();
  if (t > n + WAKE_EARLY_NS) {
    uint64_t at = t - WAKE_EARLY_NS;
    struct timespec ts = {(time_t)(at / 1000000000ull), (long)(at % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
  }
  while (now_ns() < t) {
  }
}

/*
 * Reads exactly n bytes. The first byte may take first_ms (-1: forever), each later one
 * RL_PS_HELLO_TIMEOUT_MS: a client that starts a message finishes it promptly. 0 on success, -1 when
 * the peer closed, timed out or failed.
 */
static int read_full(int fd, void *buf, size_t n, int first_ms) {
  size_t got = 0;
  /* a client's next request often comes within microseconds: spin before sleeping in poll */
  for (uint64_t until = now_ns() + SPIN_NS; got < n && now_ns() < until;) {
    ssize_t k = recv(fd, (char *)buf + got, n - got, MSG_DONTWAIT);
    if (k > 0) got += (size_t)k;
    else if (k == 0) return -1;
    else if (errno != EAGAIN && errno != EINTR) return -1;
  }
  while (got < n) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, got == 0 ? first_ms : RL_PS_HELLO_TIMEOUT_MS);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    ssize_t k = recv(fd, (char *)buf + got, n - got, 0);
    if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (k <= 0) return -1;
    got += (size_t)k;
  }
  return 0;
}

static int write_full(int fd, const void *buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t k = send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    done += (size_t)k;
  }
  return 0;
}

static int send_pages(int fd, uint64_t offset, uint64_t bytes) {
  off_t at = (off_t)offset;
  uint64_t left = bytes;
  while (left > 0) {
    ssize_t k = sendfile(fd, g_pages, &at, left);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    left -= (uint64_t)k;
  }
  return 0;
}

/*
 * The shared link: the answers in flight share it equally. g_served is what each of them has been
 * sent so far (bytes, a virtual clock advancing at bandwidth / flows); an answer of S bytes that
 * joins when it is g_served + 0 is through when g_served reaches its own mark + S.
 */
static pthread_mutex_t g_link_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_link_cv;
static double g_served;
static uint64_t g_served_at;
static unsigned g_flows;

static void advance_link(uint64_t t) {
  if (g_flows > 0 && t > g_served_at) g_served += (double)(t - g_served_at) * 1e-9 * (double)g_bandwidth / g_flows;
  g_served_at = t;
}

/* An answer of `bytes` that reaches the link at `t0`: returns when its last byte has crossed it. */
static uint64_t cross_shared_link(uint64_t t0, uint64_t bytes) {
  wait_until(t0);
  pthread_mutex_lock(&g_link_mu);
  advance_link(now_ns());
  const double done = g_served + (double)bytes;
  g_flows++;
  pthread_cond_broadcast(&g_link_cv);
  uint64_t t;
  for (;;) {
    t = now_ns();
    advance_link(t);
    if (g_served >= done - 0.5) break;
    /* when it is through if no answer joins or leaves meanwhile */
    const uint64_t eta = t + (uint64_t)((done - g_served) * g_flows * 1e9 / (double)g_bandwidth);
    if (eta > t + WAKE_EARLY_NS) {
      const uint64_t at = eta - WAKE_EARLY_NS;
      struct timespec ts = {(time_t)(at / 1000000000ull), (long)(at % 1000000000ull)};
      pthread_cond_timedwait(&g_link_cv, &g_link_mu, &ts);
    } else {
      pthread_mutex_unlock(&g_link_mu);
      while (now_ns() < eta) {
      }
      pthread_mutex_lock(&g_link_mu);
    }
  }
  g_flows--;
  pthread_cond_broadcast(&g_link_cv);
  pthread_mutex_unlock(&g_link_mu);
  return t;
}

static int token_ok(const struct rl_ps_hello *h) {
  if (h->token_len > RL_PS_TOKEN_MAX) return 0;
  /* constant time in the token's length: no early exit on the first wrong byte */
  unsigned diff = (unsigned)(h->token_len ^ g_token_len);
  for (size_t i = 0; i < RL_PS_TOKEN_MAX; i++) diff |= (unsigned)(i < g_token_len ? g_token[i] : 0) ^ (unsigned)(i < h->token_len ? h->token[i] : 0);
  return diff == 0;
}

static int valid(const struct rl_ps_request *q) {
  return q->bytes > 0 && q->bytes <= RL_PS_MAX_REQUEST_PAGES * g_page_size && q->offset % g_page_size == 0 && q->bytes % g_page_size == 0 &&
         q->offset <= g_blob_bytes && q->bytes <= g_blob_bytes - q->offset;
}

static void serve(int fd) {
  struct rl_ps_hello h;
  if (read_full(fd, &h, sizeof h, RL_PS_HELLO_TIMEOUT_MS) != 0) return;
  if (h.magic != RL_PS_MAGIC || h.version != RL_PS_VERSION || h.channel > RL_PS_CHANNEL_SHARED) return;
  struct rl_ps_welcome w = {RL_PS_MAGIC, RL_PS_OK, g_blob_bytes, (uint32_t)g_page_size, 0, g_latency_ns, g_bandwidth};
  if (!token_ok(&h)) {
    w.status = RL_PS_BAD_TOKEN;
    w.blob_bytes = 0;
    (void)write_full(fd, &w, sizeof w);
    return;
  }
  if (write_full(fd, &w, sizeof w) != 0) return;
  uint64_t link_free = 0;
  for (;;) {
    struct rl_ps_request q;
    if (read_full(fd, &q, sizeof q, IDLE_TIMEOUT_MS) != 0) return;
    const uint64_t arrived = now_ns() + g_latency_ns;
    if (!valid(&q)) return;
    if (g_shared && g_bandwidth) {
      wait_until(cross_shared_link(arrived, q.bytes) + g_latency_ns);
    } else if (g_latency_ns || g_bandwidth) {
      uint64_t leaves = arrived > link_free ? arrived : link_free;
      if (g_bandwidth) leaves += (uint64_t)((double)q.bytes * 1e9 / (double)g_bandwidth);
      link_free = leaves;
      wait_until(leaves + g_latency_ns);
    }
    if (send_pages(fd, q.offset, q.bytes) != 0) return;
  }
}

static void *connection(void *arg) {
  int fd = (int)(intptr_t)arg;
  serve(fd);
  close(fd);
  atomic_fetch_sub(&g_clients, 1);
  return NULL;
}

static uint64_t number(const char *s, const char *what) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || end == s) {
    fprintf(stderr, "restorelab-page-server: bad %s '%s'\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: restorelab-page-server PAGES_FILE BLOB_BYTES PAGE_SIZE HOST PORT LATENCY_US BANDWIDTH_BPS MAX_CLIENTS SHARED\n");
    return 2;
  }
  /* it serves for the restorelab process that started it, and ends with it */
  const pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) return 1;
  signal(SIGPIPE, SIG_IGN);
  g_pages = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (g_pages < 0) die(argv[1]);
  struct stat st;
  if (fstat(g_pages, &st) != 0) die(argv[1]);
  g_blob_bytes = number(argv[2], "blob size");
  g_page_size = number(argv[3], "page size");
  if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < g_blob_bytes || g_page_size == 0) {
    fprintf(stderr, "restorelab-page-server: %s is not a pages file of %llu bytes\n", argv[1], (unsigned long long)g_blob_bytes);
    return 2;
  }
  const uint64_t port = number(argv[5], "port");
  g_latency_ns = number(argv[6], "latency") * 1000ull;
  g_bandwidth = number(argv[7], "bandwidth");
  g_max_clients = (unsigned)number(argv[8], "client limit");
  g_shared = number(argv[9], "shared flag") != 0;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g_link_cv, &ca);
  const char *tok = getenv("RESTORELAB_PAGE_SERVER_TOKEN");
  if (tok) {
    g_token_len = strlen(tok);
    if (g_token_len > RL_PS_TOKEN_MAX) {
      fprintf(stderr, "restorelab-page-server: the token is longer than %d bytes\n", RL_PS_TOKEN_MAX);
      return 2;
    }
    memcpy(g_token, tok, g_token_len);
    unsetenv("RESTORELAB_PAGE_SERVER_TOKEN");
  }

  struct addrinfo hints = {0}, *ai;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  char portText[16];
  snprintf(portText, sizeof portText, "%llu", (unsigned long long)port);
  int e = getaddrinfo(argv[4], portText, &hints, &ai);
  if (e != 0) {
    fprintf(stderr, "restorelab-page-server: bad address %s: %s\n", argv[4], gai_strerror(e));
    return 2;
  }
  int ls = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(ls, ai->ai_addr, ai->ai_addrlen) != 0) die("bind");
  freeaddrinfo(ai);
  if (listen(ls, 64) != 0) die("listen");
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(ls, (struct sockaddr *)&bound, &blen);
  char host[64];
  const void *a = bound.ss_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&bound)->sin6_addr : (const void *)&((struct sockaddr_in *)&bound)->sin_addr;
  inet_ntop(bound.ss_family, a, host, sizeof host);
  const unsigned p = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);
  printf(bound.ss_family == AF_INET6 ? "listening [%s]:%u\n" : "listening %s:%u\n", host, p);
  fflush(stdout);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 << 10);
  for (;;) {
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EMFILE || errno == ENFILE) usleep(10000);
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
      die("accept");
    }
    if (atomic_fetch_add(&g_clients, 1) >= g_max_clients) {
      atomic_fetch_sub(&g_clients, 1);
      close(c);
      continue;
    }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t t;
    if (pthread_create(&t, &attr, connection, (void *)(intptr_t)c) != 0) {
      close(c);
      atomic_fetch_sub(&g_clients, 1);
    }
  }
}
