import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PagesCache, UsageError } from '@restorelab/core';
import { LinuxBackend } from './linux-backend';
import { loadMockNative } from './mock/mock-binding';

const huge = { processes: 1, pages: 2 ** 48, accesses: 0, contentBytes: 2 ** 60 };
const small = { processes: 1, pages: 16, accesses: 0, contentBytes: 16 * 4096 };

describe('LinuxBackend.checkFits', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-fits-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses pages the run directory cannot hold, naming the workload and the figure', () => {
    const backend = new LinuxBackend({ native: loadMockNative, pagesCache: null, tmpDir: dir });
    expect(() => backend.checkFits(huge, 'workload w')).toThrow(UsageError);
    expect(() => backend.checkFits(huge, 'workload w')).toThrow(new RegExp(`^the pages of workload w needs about 1\\.0 EiB in ${dir}, which has`));
    backend.checkFits(small, 'workload w');
  });

  it('checks the pages cache\'s disk when there is a cache', () => {
    const cacheDir = path.join(dir, 'cache');
    const backend = new LinuxBackend({ native: loadMockNative, pagesCache: new PagesCache(cacheDir), tmpDir: dir });
    expect(() => backend.checkFits(huge, 'workload w')).toThrow(`(cached in ${cacheDir})`);
    expect(fs.existsSync(cacheDir)).toBe(false);
  });
});
