// The event kinds and field codes of packages/core/src/events/event-kind.ts, for the native side
// (one copy: src/event-codes.test.ts checks it against the TypeScript table).
#pragma once

namespace restorelab {
namespace codes {

constexpr int kMadviseApplied = 4;
constexpr int kFaultRaised = 7;
constexpr int kFaultResolved = 8;
constexpr int kPagesCopied = 9;
constexpr int kZeroPageMapped = 10;
constexpr int kCopyRejected = 12;
constexpr int kVmaRemapped = 14;
constexpr int kVmaRemoved = 15;
constexpr int kVmaUnmapped = 16;
constexpr int kWorkloadStarted = 19;
constexpr int kWorkloadEnded = 20;
constexpr int kPagesTouched = 21;
constexpr int kMemorySampled = 22;
constexpr int kPagesVerified = 23;
constexpr int kPageMismatch = 24;
constexpr int kCopyLanded = 26;
constexpr int kFaultRulesSet = 27;
constexpr int kFaultStalled = 28;

constexpr double kCauseDemand = 0;
constexpr double kCausePrefetch = 1;
constexpr double kCausePrecopy = 2;

constexpr double kRejectEexist = 1;
constexpr double kRejectEnoent = 2;

}  // namespace codes
}  // namespace restorelab
