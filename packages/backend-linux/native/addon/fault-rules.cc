// Fault-time rules beyond the window: a stride and a successor table per process (core's
// model/plan.ts FaultRules). Chosen under the state lock with the window, copied by the fault
// thread right after it has woken the faulting thread, logged as prefetch copies.
#include <algorithm>
#include <cstring>

#include "event-codes.h"
#include "monitor.h"

namespace restorelab {

using namespace codes;

void Monitor::setFaultRules(uint32_t proc, int64_t stride, uint32_t strideCount, const uint32_t* offsets, size_t nOffsets,
                            const uint32_t* targets, size_t nTargets, double reactsTo, bool log) {
  if (proc >= procs_.size()) return;
  ProcState& p = *procs_[proc];
  FaultRuleSet next;
  next.stride = stride;
  next.strideCount = stride != 0 ? std::min<uint32_t>(strideCount, RL_MAX_RULE_PAGES) : 0;
  if (nOffsets == p.totalPages + 1 && nOffsets > 0 && offsets[nOffsets - 1] == nTargets) {
    next.offsets.assign(offsets, offsets + nOffsets);
    next.targets.assign(targets, targets + nTargets);
  }
  std::lock_guard<HybridMutex> g(stateMu_);
  p.rules.stride = next.stride;
  p.rules.strideCount = next.strideCount;
  p.rules.offsets.swap(next.offsets);
  p.rules.targets.swap(next.targets);
  if (!log) return;
  Record r{rel(now()), kFaultRulesSet, static_cast<double>(p.pid), static_cast<double>(p.rules.stride),
           static_cast<double>(p.rules.strideCount), static_cast<double>(p.rules.targets.size()), reactsTo, 0};
  emitBatch(&r, 1);
}

size_t Monitor::collectRulePages(ProcState& p, uint64_t page, uint64_t lo, uint64_t hi, uint64_t* out) {
  const FaultRuleSet& r = p.rules;
  if (r.strideCount == 0 && r.offsets.empty()) return 0;
  size_t n = 0;
  auto take = [&](uint64_t q) {
    if (q >= p.totalPages || (q >= lo && q <= hi)) return;
    if (!(p.flags[q] & RL_PAGE_CONTENT) || !p.registered.get(q) || p.present.get(q) || p.inFlight.get(q)) return;
    // a rule copies single pages: a hugetlb VMA's are placed only whole, by faults and copies
    const int vi = vmaOfPage(p, q);
    if (vi < 0 || p.vmas[vi].hugetlb) return;
    p.inFlight.set(q);  // taken: neither the window of another fault nor the copier copies it now
    out[n++] = q;
  };
  for (uint32_t i = 1; i <= r.strideCount && n < RL_MAX_RULE_PAGES; i++) {
    const int64_t q = static_cast<int64_t>(page) + r.stride * static_cast<int64_t>(i);
    if (q < 0) break;
    take(static_cast<uint64_t>(q));
  }
  if (!r.offsets.empty())
    for (uint32_t k = r.offsets[page]; k < r.offsets[page + 1] && n < RL_MAX_RULE_PAGES; k++) take(r.targets[k]);
  return n;
}

void Monitor::copyRulePages(ProcState& p, const uint64_t* pages, size_t n, std::vector<Record>& out) {
  const double pid = p.pid;
  for (size_t i = 0; i < n;) {
    // consecutive ascending pages of one VMA go in one call
    const int vi = vmaOfPage(p, pages[i]);
    if (vi < 0) break;  // collectRulePages takes registered pages only
    const VmaState& v = p.vmas[vi];
    const uint64_t vEnd = v.firstPage + v.pages;
    size_t j = i + 1;
    while (j < n && pages[j] == pages[j - 1] + 1 && pages[j] < vEnd) j++;
    const size_t first = out.size();
    const int64_t calls = copyRange(
        p, v, pages[i], j - i, false, Channel::Urgent,
        [&](uint64_t a, uint64_t k) { out.push_back(Record{0, kPagesCopied, pid, static_cast<double>(a), static_cast<double>(k), kCausePrefetch, 0, 0}); },
        [&](uint64_t) {});
    std::lock_guard<HybridMutex> g(stateMu_);
    p.inFlight.clearRange(pages[i], j - i);
    for (size_t r = first; r < out.size(); r++) p.present.setRange(static_cast<uint64_t>(out[r].a), static_cast<uint64_t>(out[r].b));
    if (out.size() > first) out[first].d = static_cast<double>(std::max<int64_t>(calls, 0));
    i = j;
  }
}

}  // namespace restorelab
