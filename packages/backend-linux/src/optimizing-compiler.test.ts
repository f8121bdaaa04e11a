import { execFileSync } from 'child_process';
import * as path from 'path';

const built = path.resolve(__dirname, '..', 'dist', 'optimizing-compiler.js');

/** Whether V8 optimizes a fresh function it is told to, at each step of `steps` (a child node with natives syntax). */
function optimizedAt(steps: string, nodeArgs: string[] = []): boolean[] {
  const script = `
    const { pauseOptimizingCompiler } = require(${JSON.stringify(built)});
    const seen = [];
    const probe = () => {
      const f = new Function('a', 'let s = 0; for (let i = 0; i < a; i++) s += i; return s;');
      %PrepareFunctionForOptimization(f); f(10); f(10);
      %OptimizeFunctionOnNextCall(f); f(10);
      seen.push((%GetOptimizationStatus(f) & 16) !== 0);
    };
    ${steps}
    process.stdout.write(JSON.stringify(seen));`;
  return JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', ...nodeArgs, '-e', script], { encoding: 'utf8' })) as boolean[];
}

describe('pauseOptimizingCompiler', () => {
  it('keeps TurboFan off until the last of nested pauses ends, then turns it back on', () => {
    const steps = 'probe(); const a = pauseOptimizingCompiler(); const b = pauseOptimizingCompiler(); probe(); a(); a(); probe(); b(); probe();';
    expect(optimizedAt(steps)).toEqual([true, false, false, true]);
  });

  it('never turns TurboFan on in a process started with --no-opt', () => {
    expect(optimizedAt('probe(); const a = pauseOptimizingCompiler(); probe(); a(); probe();', ['--no-opt'])).toEqual([false, false, false]);
  });
});
