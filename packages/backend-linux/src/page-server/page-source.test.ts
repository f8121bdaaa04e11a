import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { isLoopback, parseListen, parseSourceUrl, readToken } from './page-source';

describe('page source and page server flags', () => {
  it('reads tcp://HOST:PORT, IPv6 in brackets', () => {
    expect(parseSourceUrl('tcp://127.0.0.1:7070')).toEqual({ host: '127.0.0.1', port: 7070 });
    expect(parseSourceUrl('tcp://[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseSourceUrl('tcp://pages.example:9000')).toEqual({ host: 'pages.example', port: 9000 });
    for (const bad of ['127.0.0.1:7070', 'tcp://127.0.0.1', 'tcp://127.0.0.1:0', 'tcp://127.0.0.1:70000', 'http://x:1', 'tcp://a b:1'])
      expect(() => parseSourceUrl(bad)).toThrow(/^--source (must be tcp:\/\/HOST:PORT|port must be 1\.\.65535|host)/);
  });

  it('listens on numeric addresses only', () => {
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('[::1]:7070')).toEqual({ host: '::1', port: 7070 });
    for (const bad of ['localhost:7070', '127.0.0.1', ':7070', '300.1.1.1:1', '127.0.0.1:65536'])
      expect(() => parseListen(bad)).toThrow(/^--listen must be ADDRESS:PORT with a numeric address/);
  });

  it('knows loopback', () => {
    expect(['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '10.0.0.1', '::', '128.0.0.1'].map(isLoopback)).toEqual([false, false, false, false]);
  });

  it('takes the token from a file or the environment, never anything else', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-token-'));
    try {
      const f = path.join(dir, 'token');
      fs.writeFileSync(f, 'sesame-42\nignored\n');
      expect(readToken(f, {})).toBe('sesame-42');
      expect(readToken(undefined, { RESTORELAB_PAGE_SERVER_TOKEN: 'from-env' })).toBe('from-env');
      expect(readToken(undefined, {})).toBeUndefined();
      fs.writeFileSync(f, 'has space\n');
      expect(() => readToken(f, {})).toThrow(/^token file .*: a token is 1 to 64 printable ASCII characters without spaces$/);
      fs.writeFileSync(f, 'x'.repeat(65));
      expect(() => readToken(f, {})).toThrow(/a token is 1 to 64/);
      fs.writeFileSync(f, '\n');
      expect(() => readToken(f, {})).toThrow(/^token file .* is empty$/);
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      expect(() => readToken(fifo, {})).toThrow(/^cannot read token file .*fifo: not a regular file \(a FIFO\)$/);
      expect(() => readToken(path.join(dir, 'missing'), {})).toThrow(/^cannot read token file .*missing: ENOENT$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
