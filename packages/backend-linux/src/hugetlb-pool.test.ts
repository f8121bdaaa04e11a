import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hugetlbPagesNeeded, UsageError } from '@restorelab/core';
import { workloadFromSpec } from './testing/workloads';
import { checkHugetlbPool, freeHugetlbPages } from './hugetlb-pool';

describe('the hugetlb pool check', () => {
  const image = workloadFromSpec('hugetlb:pages=4096,vmas=2,hugetlbVmas=1').image;

  it('counts the huge pages of the hugetlb VMAs only', () => {
    expect(hugetlbPagesNeeded(image)).toBe(4);
    expect(hugetlbPagesNeeded(workloadFromSpec('seq:pages=4096').image)).toBe(0);
  });

  it('refuses an image the pool cannot hold in one line, with the sysctl that fixes it', () => {
    expect(() => checkHugetlbPool(image, 'image x', 3)).toThrow(UsageError);
    expect(() => checkHugetlbPool(image, 'image x', 3)).toThrow(
      'image x restores 4 2 MiB hugetlb pages, the pool has 3 free (as root: echo 4 > /proc/sys/vm/nr_hugepages, or more when others use it)',
    );
    checkHugetlbPool(image, 'image x', 4);
    checkHugetlbPool(workloadFromSpec('seq:pages=4096').image, 'image y', 0);
  });

  it('reads the free count from the pool directory, 0 when there is none or it is not a count', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-pool-'));
    try {
      expect(freeHugetlbPages(path.join(dir, 'missing'))).toBe(0);
      fs.writeFileSync(path.join(dir, 'free_hugepages'), '12\n');
      expect(freeHugetlbPages(dir)).toBe(12);
      fs.writeFileSync(path.join(dir, 'free_hugepages'), 'garbage');
      expect(freeHugetlbPages(dir)).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
