// Gives back the huge pages hugetlb-pool-setup.js added to the pool.
const fs = require('fs');

module.exports = async () => {
  const before = globalThis.__restorelabHugePagesBefore;
  if (before !== undefined) fs.writeFileSync('/proc/sys/vm/nr_hugepages', String(before));
};
