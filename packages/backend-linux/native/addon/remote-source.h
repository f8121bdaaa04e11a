// The pages of a run read from a page server (restorelab serve) instead of the local pages file:
// one connection per channel (urgent for demand faults and fault-time windows, background for
// everything else), or one for both (the single-channel link, where a demand page waits behind a
// background answer). A request holds its channel until its answer is in.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "../common/page-server-protocol.h"

namespace restorelab {

enum class Channel { Urgent = RL_PS_CHANNEL_URGENT, Background = RL_PS_CHANNEL_BACKGROUND };

struct RemoteSourceConfig {
  std::string host;
  uint16_t port = 0;
  int channels = 2;
  std::string token;
};

class RemoteSource {
 public:
  RemoteSource() = default;
  RemoteSource(const RemoteSource&) = delete;
  RemoteSource& operator=(const RemoteSource&) = delete;
  ~RemoteSource() { close(); }

  // Connects and says hello on every channel; throws with a one-line reason (refused, wrong
  // token, an image of another size or page size).
  void connect(const RemoteSourceConfig& cfg, uint64_t blobBytes, uint32_t pageSize);
  bool active() const { return conns_ > 0; }
  // Reads [offset, offset + bytes) of the blob into dst over ch (at most RL_PS_MAX_REQUEST_PAGES
  // pages); on failure returns false with why set: the server closed, failed or stalled.
  bool fetch(Channel ch, uint64_t offset, uint64_t bytes, uint8_t* dst, std::string* why);
  void close();

  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }

 private:
  struct Conn {
    int fd = -1;
    std::mutex mu;
  };
  int open(const RemoteSourceConfig& cfg, uint8_t channel, uint64_t blobBytes, uint32_t pageSize);
  Conn& of(Channel ch) { return conns_ == 1 ? conn_[0] : conn_[static_cast<int>(ch)]; }

  Conn conn_[2];
  int conns_ = 0;
  uint64_t latencyNs_ = 0, bandwidth_ = 0;
  std::atomic<uint64_t> requests_{0};
  int timeoutMs_ = RL_PS_REPLY_GRACE_MS;
};

}  // namespace restorelab
