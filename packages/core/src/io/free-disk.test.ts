import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../errors/usage-error';
import { checkFreeDisk, freeDiskBytes } from './free-disk';

describe('checkFreeDisk', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-free-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lets a write that fits through', () => {
    expect(() => checkFreeDisk(dir, 4096, 'a page')).not.toThrow();
  });

  it('refuses a write past the free space, naming the figure, the directory and the space', () => {
    expect(() => checkFreeDisk(dir, 2 ** 60, 'image x')).toThrow(UsageError);
    expect(() => checkFreeDisk(dir, 2 ** 60, 'image x')).toThrow(new RegExp(`^image x needs about 1\\.0 EiB in ${dir}, which has [\\d.]+ \\w+ free \\(256\\.0 MiB kept in reserve\\)$`));
  });

  it('looks at the file system of the nearest existing parent of a directory still to be made', () => {
    expect(freeDiskBytes(path.join(dir, 'a', 'b'))).toBe(freeDiskBytes(dir));
  });
});
