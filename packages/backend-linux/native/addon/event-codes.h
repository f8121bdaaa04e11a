// The protocol's numbers (native/common/protocol.h) as typed constants for the addon.
#pragma once

#include <cstdint>

#include "../common/protocol.h"

namespace restorelab {
namespace codes {

constexpr int kMadviseApplied = RL_EV_MADVISE_APPLIED;
constexpr int kFaultRaised = RL_EV_FAULT_RAISED;
constexpr int kFaultResolved = RL_EV_FAULT_RESOLVED;
constexpr int kPagesCopied = RL_EV_PAGES_COPIED;
constexpr int kZeroPageMapped = RL_EV_ZERO_PAGE_MAPPED;
constexpr int kCopyRejected = RL_EV_COPY_REJECTED;
constexpr int kVmaRemapped = RL_EV_VMA_REMAPPED;
constexpr int kVmaRemoved = RL_EV_VMA_REMOVED;
constexpr int kVmaUnmapped = RL_EV_VMA_UNMAPPED;
constexpr int kWorkloadStarted = RL_EV_WORKLOAD_STARTED;
constexpr int kWorkloadEnded = RL_EV_WORKLOAD_ENDED;
constexpr int kPagesTouched = RL_EV_PAGES_TOUCHED;
constexpr int kMemorySampled = RL_EV_MEMORY_SAMPLED;
constexpr int kPagesVerified = RL_EV_PAGES_VERIFIED;
constexpr int kPageMismatch = RL_EV_PAGE_MISMATCH;
constexpr int kCopyLanded = RL_EV_COPY_LANDED;
constexpr int kFaultRulesSet = RL_EV_FAULT_RULES_SET;
constexpr int kFaultStalled = RL_EV_FAULT_STALLED;

constexpr double kCauseDemand = RL_CAUSE_DEMAND;
constexpr double kCausePrefetch = RL_CAUSE_PREFETCH;
constexpr double kCausePrecopy = RL_CAUSE_PRECOPY;

constexpr double kRejectEexist = RL_REJECT_EEXIST;
constexpr double kRejectEnoent = RL_REJECT_ENOENT;

constexpr uint64_t kMaxPagesPerCopy = RL_MAX_COPY_PAGES;

}  // namespace codes
}  // namespace restorelab
