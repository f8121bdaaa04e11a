// The pages file as the copies' source: mapped shared and read-only, never populated as a whole.
// What the copies have read is dropped from this process's page tables once it passes a budget, so
// the monitor's resident memory stays bounded whatever the image's size (the file's pages stay in
// the page cache; a later copy of them is a minor fault).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace restorelab {

class PagesSource {
 public:
  // Bytes read through the mapping between two drops.
  static constexpr uint64_t kResidentBudget = 64ull << 20;
  // What one read maps at least (the kernel's fault-around maps up to 16 pages of a file at once).
  static constexpr uint64_t kMinReadBytes = 64ull << 10;

  PagesSource() = default;
  PagesSource(const PagesSource&) = delete;
  PagesSource& operator=(const PagesSource&) = delete;
  ~PagesSource() { close(); }

  // Maps path (throws with a one-line reason); an empty file maps nothing.
  void open(const std::string& path);
  // A blob of `bytes` laid out from other files without copying them: each run maps `runBytes`
  // of files[file] at fileOffset to blobOffset (page aligned; what no run covers reads as zeros).
  struct Run {
    uint32_t file;
    uint64_t fileOffset, blobOffset, bytes;
  };
  void openRuns(const std::vector<std::string>& files, const std::vector<Run>& runs, uint64_t bytes);
  void close();

  const uint8_t* base() const { return base_; }
  size_t bytes() const { return bytes_; }
  // A copy read `bytes` from the mapping; may drop the mapped pages (thread-safe).
  void consumed(uint64_t bytes);
  // How many times the mapped pages were dropped.
  uint64_t drops() const { return drops_.load(std::memory_order_relaxed); }

 private:
  const uint8_t* base_ = nullptr;
  size_t bytes_ = 0;
  std::atomic<uint64_t> sinceDrop_{0};
  std::atomic<uint64_t> drops_{0};
};

}  // namespace restorelab
