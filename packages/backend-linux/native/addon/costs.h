#pragma once

namespace restorelab {

struct Costs {
  double copyCallNs = 0;
  double copyPageNs = 0;
  double zeroPageNs = 0;
  double madviseNs = 0;
};

// Throws std::runtime_error when userfaultfd cannot be used.
Costs measureKernelCosts();

}  // namespace restorelab
