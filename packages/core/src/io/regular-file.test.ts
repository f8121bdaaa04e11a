import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileError, readRegularFile } from './regular-file';

describe('readRegularFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-io-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file whole', () => {
    const f = path.join(dir, 'a.json');
    fs.writeFileSync(f, '{"x":1}');
    expect(readRegularFile(f, 100).toString()).toBe('{"x":1}');
  });

  it('refuses what is over its limit, before reading it', () => {
    const f = path.join(dir, 'big');
    fs.writeFileSync(f, Buffer.alloc(1000));
    expect(() => readRegularFile(f, 999)).toThrow(/^1000 bytes, more than the 999 this kind of file may have$/);
  });

  it('refuses a FIFO without blocking and a device; a directory or a missing file is its errno code', () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => readRegularFile(fifo, 100)).toThrow(/^not a regular file \(a FIFO\)$/);
    expect(() => readRegularFile('/dev/zero', 100)).toThrow(/^not a regular file \(a character device\)$/);
    expect(() => readRegularFile(dir, 100)).toThrow(/^EISDIR: /);
    let missing: unknown;
    try {
      readRegularFile(path.join(dir, 'missing'), 100);
    } catch (e) {
      missing = e;
    }
    expect(fileError(missing)).toBe('ENOENT');
  });
});
