import { spawnSync } from 'child_process';
import { linuxUnavailableReason } from '@restorelab/backend-linux';

/** CRIU as ../shared/criu/build.sh builds it: .ci/run exports its path as RESTORELAB_CRIU. */
export function findCriu(): string | undefined {
  const criu = process.env.RESTORELAB_CRIU;
  return criu && spawnSync(criu, ['--version']).status === 0 ? criu : undefined;
}

/** Why the tests that dump and restore with real CRIU cannot run here, or undefined when they can. */
export function criuUnavailableReason(criu: string | undefined): string | undefined {
  return criu === undefined ? 'no CRIU (RESTORELAB_CRIU=$(bash ../shared/criu/build.sh | tail -1))' : linuxUnavailableReason();
}
