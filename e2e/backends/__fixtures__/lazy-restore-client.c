/*
 * The restore's side of CRIU's lazy-pages socket, without CRIU (what criu/uffd.c does for one
 * task), for the criu-lazy-pages tests: maps PAGES pages of private anonymous memory, prints
 * "ADDR PID", and once a line comes on stdin (the daemon listens, the dump of this task is written)
 * registers them with a userfaultfd asking for CRIU's features, sends the pid and the uffd on
 * SOCKET, then the finish value, closes its uffd and the socket, and reads every page: byte j of
 * page i must be (i + 1) & 0xff (writeTestDump's fill). Prints "ok PAGES" (exit 0) or "mismatch
 * page I: X" (exit 3).
 *
 *   lazy-restore-client SOCKET PAGES [MODE]
 *
 * MODE: normal; fork (after the finish value a child forked before any page is read checks its
 * copy too, its pages through its own uffd); no-fd (the pid, then the message without a uffd);
 * wrong-pid (another pid than its own); twice (its pid and uffd sent twice); no-finish (the socket
 * closed without the finish value); zombie (a negated pid first, as for a zombie); exit (exits
 * after the finish value without reading a page); remap (mremap of all its memory elsewhere, then
 * read there: UFFD_EVENT_REMAP); dontneed (MADV_DONTNEED of the second half first: those pages
 * read as zeros, UFFD_EVENT_REMOVE); unmap (munmap of the second half: only the first is read,
 * UFFD_EVENT_UNMAP).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define FINISH 0x52535446u

static void die(const char* what) {
  perror(what);
  exit(2);
}

static void sendAll(int s, const void* b, size_t n) {
  if (send(s, b, n, MSG_NOSIGNAL) != (ssize_t)n) die("send");
}

static void sendUffd(int s, int fd) {
  char byte = 0;
  struct iovec io = {&byte, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  memset(ctl, 0, sizeof ctl);
  struct msghdr m = {0};
  m.msg_iov = &io;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(s, &m, MSG_NOSIGNAL) != 1) die("sendmsg");
}

/* pages from zeroFrom on must read as zeros */
static int check(const uint8_t* mem, size_t pages, size_t zeroFrom) {
  for (size_t i = 0; i < pages; i++) {
    const uint8_t want = i >= zeroFrom ? 0 : (uint8_t)((i + 1) & 0xff);
    for (size_t j = 0; j < PAGE; j++)
      if (mem[i * PAGE + j] != want) {
        printf("mismatch page %zu: %u\n", i, mem[i * PAGE + j]);
        fflush(stdout);
        return 3;
      }
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SOCKET PAGES [MODE]\n", argv[0]);
    return 2;
  }
  const size_t pages = (size_t)atol(argv[2]);
  const char* mode = argc > 3 ? argv[3] : "normal";
  uint8_t* mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) die("mmap");
  madvise(mem, pages * PAGE, MADV_NOHUGEPAGE);
  printf("%llu %d\n", (unsigned long long)(uintptr_t)mem, getpid());
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 2;

  const int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  if (uffd < 0) die("userfaultfd");
  struct uffdio_api api = {UFFD_API, UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMOVE, 0};
  if (ioctl(uffd, UFFDIO_API, &api) != 0) die("UFFDIO_API");
  struct uffdio_register reg = {{(uint64_t)(uintptr_t)mem, pages * PAGE}, UFFDIO_REGISTER_MODE_MISSING, 0};
  if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) die("UFFDIO_REGISTER");

  const int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {0};
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (connect(s, (struct sockaddr*)&a, sizeof a) != 0) die("connect");
  int32_t pid = getpid();
  if (strcmp(mode, "zombie") == 0) {
    const int32_t z = -(pid + 1);
    sendAll(s, &z, sizeof z);
  }
  if (strcmp(mode, "wrong-pid") == 0) pid++;
  sendAll(s, &pid, sizeof pid);
  if (strcmp(mode, "no-fd") == 0) {
    const char byte = 0;
    sendAll(s, &byte, 1);
  } else {
    sendUffd(s, uffd);
  }
  if (strcmp(mode, "twice") == 0) {
    sendAll(s, &pid, sizeof pid);
    sendUffd(s, uffd);
  }
  if (strcmp(mode, "no-finish") != 0) {
    const uint32_t fin = FINISH;
    sendAll(s, &fin, sizeof fin);
  }
  close(uffd);
  close(s);
  if (strcmp(mode, "exit") == 0) return 0;
  size_t checked = pages, zeroFrom = pages;
  if (strcmp(mode, "remap") == 0) {
    void* to = mmap(NULL, pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (to == MAP_FAILED) die("mmap");
    mem = mremap(mem, pages * PAGE, pages * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    if (mem == MAP_FAILED) die("mremap");
  } else if (strcmp(mode, "dontneed") == 0) {
    zeroFrom = pages / 2;
    if (madvise(mem + zeroFrom * PAGE, (pages - zeroFrom) * PAGE, MADV_DONTNEED) != 0) die("madvise");
  } else if (strcmp(mode, "unmap") == 0) {
    checked = pages / 2;
    if (munmap(mem + checked * PAGE, (pages - checked) * PAGE) != 0) die("munmap");
  }

  if (strcmp(mode, "fork") == 0) {
    const pid_t c = fork();
    if (c == 0) _exit(check(mem, pages, pages));
    const int rc = check(mem, pages, pages);
    int status = 0;
    waitpid(c, &status, 0);
    if (rc != 0) return rc;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      printf("mismatch in the child\n");
      return 3;
    }
    printf("ok %zu and the child\n", pages);
    return 0;
  }
  const int rc = check(mem, checked, zeroFrom);
  if (rc == 0) printf("ok %zu\n", checked);
  return rc;
}
