import { spawnSync } from 'child_process';
import * as path from 'path';
import * as fs from 'fs';
import * as os from 'os';
import { EventLog, FILE_LIMITS, fileError, readEventLog, readRegularFile, UsageError } from '@restorelab/core';

/** What the decoder of one Arrow log may use: a heap of this size and this long. */
const CHILD_HEAP_MIB = 256;
const CHILD_TIMEOUT_MS = 30_000;

/** The child script, from dist also when this module runs from src (tests). */
function childScript(): string {
  const here = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../dist/experiment') : __dirname;
  return path.join(here, 'arrow-log-child.js');
}

/**
 * Reads an Arrow event log in a child process with a bounded heap and time (apache-arrow trusts the
 * lengths in a file's flatbuffers), which hands it back as .rlog for the bounded reader of the
 * event log format. Every problem is one UsageError line naming the file.
 */
export function readArrowLogBounded(bytes: Uint8Array, name: string): EventLog {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-arrow-'));
  try {
    return decodeInChild(bytes, name, path.join(dir, 'log.rlog'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function decodeInChild(bytes: Uint8Array, name: string, out: string): EventLog {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${CHILD_HEAP_MIB}`, childScript(), name, out], {
    input: bytes,
    timeout: CHILD_TIMEOUT_MS,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') throw new UsageError(`log ${name}: its Arrow decoding took longer than ${CHILD_TIMEOUT_MS / 1000} s (a crafted file?)`);
    throw new UsageError(`log ${name}: cannot decode it as Arrow (${code ?? r.error.message})`);
  }
  if (r.status === 2) throw new UsageError(r.stderr.toString('utf8').trim().split('\n')[0]);
  if (r.status !== 0) {
    const how = r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
    throw new UsageError(`log ${name}: its Arrow decoding failed (${how}; more than ${CHILD_HEAP_MIB} MiB of heap for a crafted file?)`);
  }
  try {
    return readEventLog(out);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(e.message.split(out).join(name));
    throw e;
  }
}

/** Reads an Arrow event log file back into an EventStore (bounded, see readArrowLogBounded). */
export function readArrowLog(file: string): EventLog {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, FILE_LIMITS.eventLog);
  } catch (e) {
    throw new UsageError(`cannot read log ${file}: ${fileError(e)}`);
  }
  return readArrowLogBounded(bytes, file);
}
