import { UsageError } from '../errors/usage-error';
import { Image, PageFlag, ProcessImage, VmaImage } from '../model/image';
import { builtInWorkloads } from '../workloads/built-in-workloads';
import { DefaultWorkloadRegistry } from '../workloads/workload-registry';
import { validateImage } from './validate-image';

const registry = new DefaultWorkloadRegistry({ getContributions: () => builtInWorkloads });

describe('validateImage: hugetlb VMAs', () => {
  const image = registry.create('hugetlb:pages=2048,vmas=2').image;
  const proc = image.processes[0];
  const withProc = (p: Partial<ProcessImage>, extra: ProcessImage[] = []): Image => ({ ...image, processes: [{ ...proc, ...p }, ...extra], readPage: image.readPage });
  const withVma0 = (v: Partial<VmaImage>): Image => withProc({ vmas: [{ ...proc.vmas[0], ...v }, ...proc.vmas.slice(1)] });
  const refused = (img: Image) => {
    try {
      validateImage(img, 'image t');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it('accepts the generator\'s image', () => {
    expect(proc.vmas[0].hugetlb).toBe(true);
    validateImage(image, 'image t');
  });

  it('refuses a hugetlb VMA that is not whole 2 MiB pages at a 2 MiB aligned address', () => {
    expect(refused(withVma0({ start: proc.vmas[0].start + 4096 }))).toBe(`image t: process 1: hugetlb VMA 0 starts at 0x${(proc.vmas[0].start + 4096).toString(16)}, not 2 MiB aligned`);
    const grown = withProc({
      vmas: [{ ...proc.vmas[0], pages: 1023 }, { ...proc.vmas[1], firstPage: 1023, pages: 1025 }],
    });
    expect(refused(grown)).toBe('image t: process 1: hugetlb VMA 0 has 1023 pages, not a multiple of 512 (whole 2 MiB pages)');
  });

  it('refuses THP advice, a read-only or shared hugetlb VMA', () => {
    expect(refused(withVma0({ thp: 'hugepage' }))).toMatch(/hugetlb VMA 0 has THP advice/);
    expect(refused(withVma0({ prot: 'r' }))).toMatch(/hugetlb VMA 0 is not private anonymous writable memory/);
    expect(refused(withVma0({ shared: true }))).toMatch(/hugetlb VMA 0 is not private anonymous writable memory/);
  });

  it('refuses a zero or pre-dumped page in a hugetlb VMA', () => {
    for (const flag of [0, PageFlag.Content | PageFlag.Precopied]) {
      const flags = proc.pageFlags.slice();
      flags[700] = flag;
      expect(refused(withProc({ pageFlags: flags }))).toBe(
        `image t: process 1: hugetlb VMA 0 page 700 has flags ${flag}: every page of a hugetlb VMA is content, none pre-dumped or shared`,
      );
    }
  });

  it('refuses hugetlb VMAs in an image of several processes', () => {
    const child: ProcessImage = { ...proc, pid: 2, parent: 1, blobOffset: proc.totalPages * 4096 };
    const img = { ...withProc({}, [child]), blobBytes: 2 * proc.totalPages * 4096 };
    expect(refused(img)).toBe('image t: process 1: hugetlb VMA 0 is in an image of 2 processes (hugetlb VMAs are restored in single-process images)');
  });
});
