/**
 * The sandbox side of readArrowLog (arrow-log-sandbox.ts): an Arrow event log on stdin, the same
 * log written as .rlog to the file named by argv[3], a one-line refusal on stderr with exit 2. Run with a small heap: a
 * crafted Arrow file can make apache-arrow's decoder allocate without bound.
 */
import * as fs from 'fs';
import { EventLogWriter, UsageError } from '@restorelab/core';
import { parseArrowLog } from './arrow-log';

const [name, out] = process.argv.slice(2);
try {
  const log = parseArrowLog(fs.readFileSync(0), name);
  log.store.addListener(new EventLogWriter(out, log.meta));
  log.store.close();
} catch (e) {
  const message = e instanceof UsageError ? e.message : `log ${name} is not a readable Arrow file: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  process.stderr.write(`${message}\n`);
  process.exitCode = 2;
}
