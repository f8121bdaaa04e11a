/*
 * The page server's wire protocol (native/page-server, native/addon/remote-source.cc; the
 * TypeScript twin is src/page-server/page-server-protocol.ts, checked by src/protocol-table.test.ts).
 * Little-endian, one connection per channel. The client sends a hello naming its channel (and the
 * shared token, if the server has one); the server answers with a welcome that says the image's
 * size and the link it shapes, or closes the connection. Then each request is an aligned
 * [offset, offset + bytes) of the pages blob, answered by exactly those bytes: one request in
 * flight per connection, so a channel's requests are answered in order. A request outside the
 * blob, unaligned, empty or longer than RL_PS_MAX_REQUEST_PAGES pages closes the connection.
 */
#ifndef RESTORELAB_PAGE_SERVER_PROTOCOL_H
#define RESTORELAB_PAGE_SERVER_PROTOCOL_H

#include <stdint.h>

#define RL_PS_MAGIC 0x53504c52u /* "RLPS" */
#define RL_PS_VERSION 1

/* channels: demand faults and fault-time windows; prefetch, precopy and pushes; both on one */
#define RL_PS_CHANNEL_URGENT 0
#define RL_PS_CHANNEL_BACKGROUND 1
#define RL_PS_CHANNEL_SHARED 2

/* welcome status */
#define RL_PS_OK 0
#define RL_PS_BAD_TOKEN 1

#define RL_PS_TOKEN_MAX 64
#define RL_PS_MAX_REQUEST_PAGES 512
/* what a hello, or the rest of a request once it has begun, may take before the server closes */
#define RL_PS_HELLO_TIMEOUT_MS 1000
/* a client's reads: a stalled server fails the restore this long after its answer was due */
#define RL_PS_REPLY_GRACE_MS 1000

struct rl_ps_hello {
  uint32_t magic;
  uint16_t version;
  uint8_t channel;
  uint8_t token_len;
  char token[RL_PS_TOKEN_MAX];
};

struct rl_ps_welcome {
  uint32_t magic;
  uint32_t status;
  uint64_t blob_bytes;
  uint32_t page_size;
  uint32_t pad;
  uint64_t latency_ns;    /* one way, added to each request and each answer */
  uint64_t bandwidth_bps; /* bytes per second per connection, 0: unshaped */
};

struct rl_ps_request {
  uint64_t offset;
  uint64_t bytes;
};

#endif
