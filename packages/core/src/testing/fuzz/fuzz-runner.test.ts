import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../../errors/usage-error';
import { Rng } from '../../workloads/random';
import { FuzzTarget, runFuzz } from './fuzz-runner';
import { binaryMutants, jsonMutants } from './mutate';

describe('the fuzz runner', () => {
  const saveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-fuzz-test-'));
  afterAll(() => fs.rmSync(saveDir, { recursive: true, force: true }));

  it('counts clean refusals and saves every case that is not one, with how it was made', () => {
    let kept: Buffer | undefined;
    const target: FuzzTarget = {
      name: 'picky',
      mutants: (n, rng) => binaryMutants(Buffer.from('0123456789abcdef'), n, rng, [4, 8], [0]),
      read(bytes) {
        if (bytes.length === 0) return;
        if (bytes.length < 4) throw new UsageError('short');
        if (bytes.length < 8) throw new UsageError('two\nlines');
        if (bytes[0] === 0) {
          kept = Buffer.alloc(300 << 20, 1);
          return;
        }
        if (bytes.length < 16) throw new TypeError('cannot read properties of undefined');
      },
    };
    const r = runFuzz(target, { cases: 60, seed: 1, saveDir });
    expect(r.cases).toBe(60);
    expect(r.accepted + r.refused + r.failures.length).toBe(60);
    const whys = r.failures.map((f) => f.why);
    expect(whys.some((w) => w.startsWith('a message of several lines'))).toBe(true);
    expect(whys.some((w) => w.startsWith('TypeError (not a one-line usage error)'))).toBe(true);
    expect(whys.filter((w) => w.startsWith('the peak RSS grew by'))).toHaveLength(1);
    for (const f of r.failures) {
      expect(fs.existsSync(f.saved)).toBe(true);
      expect(f.how).not.toBe('');
    }
    expect(fs.existsSync(path.join(saveDir, 'picky-current.bin'))).toBe(false);
    expect(kept?.length).toBe(300 << 20);
  });
});

describe('mutants', () => {
  it('are the same for the same seed, and start with every cut and every extreme field', () => {
    const seed = Buffer.from('RLOG\u0001\u0000\u0000\u0000frames follow');
    const a = [...binaryMutants(seed, 200, new Rng(5), [8], [4])];
    const b = [...binaryMutants(seed, 200, new Rng(5), [8], [4])];
    expect(a.map((m) => m.bytes.toString('hex'))).toEqual(b.map((m) => m.bytes.toString('hex')));
    expect(a).toHaveLength(200);
    expect(a.slice(0, 6).map((m) => m.how)).toEqual(['cut at byte 0', 'cut at byte 1', 'cut at byte 7', 'cut at byte 8', 'cut at byte 9', `cut at byte ${seed.length - 1}`]);
    expect(a.slice(6, 12).map((m) => m.bytes.readUInt32LE(4))).toEqual([0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]);
  });

  it('of JSON change its structure as well as its bytes', () => {
    const doc = JSON.stringify({ a: [1, 2, { b: 'x' }], c: 3 });
    const ms = [...jsonMutants(doc, 300, new Rng(2))];
    expect(ms).toHaveLength(300);
    const hows = ms.map((m) => m.how);
    for (const kind of [/^deleted \//, /^\/\S+ = /, / repeated \d+ times$/, / nested \d+ deep$/, /^cut at byte/]) expect(hows.some((h) => kind.test(h))).toBe(true);
  });
});
