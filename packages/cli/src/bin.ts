#!/usr/bin/env node
import { main } from './main';

void main(process.argv.slice(2)).then((code) => {
  // Exit even if a strategy left a timer behind; stdout and stderr are drained first.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
