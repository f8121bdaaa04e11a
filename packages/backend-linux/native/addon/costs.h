#pragma once

namespace restorelab {

struct Costs {
  double copyCallNs = 0;
  double copyPageNs = 0;
  double zeroPageNs = 0;
  double madviseNs = 0;
  double cowPageNs = 0;  // a write fault that copies a page shared with the parent after fork
};

// Throws std::runtime_error when userfaultfd cannot be used.
Costs measureKernelCosts();

}  // namespace restorelab
