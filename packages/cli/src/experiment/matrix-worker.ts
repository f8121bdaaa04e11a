import { parentPort, workerData } from 'worker_threads';
import { createContainer, ContainerOptions } from '../container';
import { executeRun, RunTask } from './execute-run';

/**
 * A worker thread of `restorelab matrix`: builds its own container once, then runs the tasks the
 * main thread posts, one at a time, and posts each TaskResult back.
 */
const container = createContainer(workerData as ContainerOptions);
container.catch(() => undefined);

parentPort!.on('message', (task: RunTask) => {
  void executeRun(container, task).then((result) => parentPort!.postMessage(result));
});
