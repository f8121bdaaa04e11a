import { renderProfile } from './profile-table';

describe('renderProfile', () => {
  it('prints the shared phases, a block per run with its total, and the whole command against the restores', () => {
    const text = renderProfile(
      [{ name: 'start-up (node, modules)', ms: 250 }],
      [
        { stack: 'eager', restoreMs: 100, phases: [{ name: 'precopy', ms: 90, note: '1 pages in 1 copy calls, 1.00 GB/s' }, { name: 'teardown', ms: 10 }] },
        { stack: 'eager', phases: [{ name: 'simulation, results and log', ms: 5 }] },
      ],
      500,
    );
    expect(text.split('\n')).toEqual([
      'phase                             ms  note',
      'start-up (node, modules)       250.0',
      'run of eager                   100.0  restore 100.0 ms',
      '  precopy                       90.0  1 pages in 1 copy calls, 1.00 GB/s',
      '  teardown                      10.0',
      'run of eager                     5.0  restore simulated',
      '  simulation, results and log    5.0',
      'whole command                  500.0  5.00x the restore',
    ]);
  });
});
