/*
 * What `criu restore --lazy-pages` says to a lazy-pages daemon (CRIU's criu/uffd.c and
 * criu/include/uffd.h), and what the daemon tells its guardian (native/guardian).
 *
 * CRIU: a unix stream socket WORK_DIR/lazy-pages.socket; per task of pstree.img a 4-byte pid
 * (as in the images), then, for a live task, a 1-byte message carrying its userfaultfd by
 * SCM_RIGHTS; a zombie sends only its negated pid. Once every task is restored: the 4-byte
 * finish value, then the restore closes the socket.
 */
#ifndef RESTORELAB_CRIU_LAZY_PROTOCOL_H
#define RESTORELAB_CRIU_LAZY_PROTOCOL_H

#include <stdint.h>

#define RL_CRIU_LAZY_SOCKET "lazy-pages.socket"
#define RL_CRIU_FINISH_RESTORE 0x52535446u /* lazy_pages_finish_restore: "FTSR" */

/*
 * The guardian holds a duplicate of every task's userfaultfd, so the kernel keeps the
 * registrations when the daemon dies, and kills the tasks (and what they forked) when its
 * SOCK_SEQPACKET connection to the daemon (fd RL_GUARD_FD) ends without RL_GUARD_RELEASE.
 */
#define RL_GUARD_FD 3
#define RL_GUARD_TASK 1         /* pid: a task; its uffd by SCM_RIGHTS */
#define RL_GUARD_TASK_DONE 2    /* pid: every page of the task is in: close its uffd */
#define RL_GUARD_RELEASE 3      /* the restore is over: close everything, exit 0 */
#define RL_GUARD_FORKED 4       /* pid: a task that forked; the child's uffd by SCM_RIGHTS (the
                                   child is killed as one of pid's descendants) */

struct rl_guard_msg {
  uint32_t type;
  int32_t pid;
};

#endif
