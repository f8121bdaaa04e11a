#pragma once

namespace restorelab {

struct Costs {
  double copyCallNs = 0;
  double copyPageNs = 0;
  double zeroPageNs = 0;
  double madviseNs = 0;
  double cowPageNs = 0;  // a write fault that copies a page shared with the parent after fork
  // the copy engines (negative: this kernel's userfaultfd cannot do it)
  double cacheFillPageNs = -1;  // continue: pwrite of a page into a memfd
  double continueCallNs = -1;
  double continuePageNs = -1;
  double stagePageNs = -1;  // move: process_vm_writev of a page into a staging area
  double moveCallNs = -1;   // with the round trip to a mover thread
  double movePageNs = -1;
};

// Throws std::runtime_error when userfaultfd cannot be used.
Costs measureKernelCosts();

}  // namespace restorelab
