/**
 * The stand-in for the workload runner the mock binding spawns (`node -e MOCK_RUNNER_SOURCE DIR`):
 * it connects to the run directory's socket, says hello, and exits when told to, or non-zero when
 * the monitor hangs up first, as the real runner does.
 */
export const MOCK_RUNNER_SOURCE = `
const s = require('net').connect(require('path').join(process.argv[1], 'monitor.sock'));
s.on('connect', () => s.write('hello ' + process.pid + '\\n'));
s.on('data', (d) => { if (String(d).includes('exit')) process.exit(0); });
s.on('close', () => process.exit(1));
s.on('error', () => process.exit(1));
`;
