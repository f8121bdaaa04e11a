// Before any test file: 128 more 2 MiB pages in the kernel's hugetlb pool (256 MiB) for the tests
// that restore hugetlb VMAs, given back by hugetlb-pool-teardown.js. Without root the pool stays
// as it is and those tests fail with the pool's one-line error.
const fs = require('fs');

const NR_HUGEPAGES = '/proc/sys/vm/nr_hugepages';
const TEST_HUGE_PAGES = 128;

module.exports = async () => {
  try {
    const before = Number(fs.readFileSync(NR_HUGEPAGES, 'utf8').trim());
    fs.writeFileSync(NR_HUGEPAGES, String(before + TEST_HUGE_PAGES));
    globalThis.__restorelabHugePagesBefore = before;
  } catch {
    // not root, or no hugetlb support: nothing to give back
  }
};
