/*
 * One message with at most one file descriptor beside it (SCM_RIGHTS), both ways: the runner's
 * hello with its uffd, CRIU's uffd messages, the daemon's to its guardian. C, for the runner, the
 * guardian and the addon alike.
 */
#ifndef RESTORELAB_FD_PASSING_H
#define RESTORELAB_FD_PASSING_H

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* sendmsg of len bytes of buf, with fd (-1: none) beside them; returns what sendmsg does */
static inline ssize_t rl_send_with_fd(int sock, const void *buf, size_t len, int fd, int flags) {
  struct iovec iov = {(void *)buf, len};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (fd >= 0) {
    memset(&u, 0, sizeof u);
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  }
  return sendmsg(sock, &mh, flags);
}

/* recvmsg of up to len bytes into buf (flags gain MSG_CMSG_CLOEXEC); *fd: the descriptor that came
   with them, else -1. Returns what recvmsg does. */
static inline ssize_t rl_recv_with_fd(int sock, void *buf, size_t len, int flags, int *fd) {
  struct iovec iov = {buf, len};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = u.buf;
  mh.msg_controllen = sizeof u.buf;
  *fd = -1;
  const ssize_t n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
  if (n > 0)
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(cm), sizeof *fd);
  return n;
}

#endif
