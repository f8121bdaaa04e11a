import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '@restorelab/core';
import { keyPath, loadExperiment, parseExperiment } from './load-experiment';

const valid = {
  backends: ['sim'],
  workloads: ['zipf:pages=64', { name: 'seq', params: { pages: [64, 128] } }],
  strategies: ['demand-only', { stack: 'neighbor-prefetch', params: { 'neighbor-prefetch': { window: [4, 8] } } }],
};

function errorOf(value: unknown, file = 'exp.json'): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    parseExperiment(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a UsageError');
}

describe('experiment file validation', () => {
  it('accepts a valid experiment in JSON and in YAML', () => {
    expect(parseExperiment(JSON.stringify(valid), 'e.json')).toEqual(valid);
    const yaml = [
      'backends: [sim]',
      'workloads:',
      '  - zipf:pages=64',
      '  - name: seq',
      '    params: { pages: [64, 128] }',
      'strategies:',
      '  - demand-only',
      '  - stack: neighbor-prefetch',
      '    params:',
      '      neighbor-prefetch: { window: [4, 8] }',
    ].join('\n');
    expect(parseExperiment(yaml, 'e.yaml')).toEqual(valid);
  });

  it.each([
    [{ ...valid, backends: undefined }, "exp.json: (top level): missing key 'backends'"],
    [{ ...valid, repetition: 3 }, 'repetition: unknown key (expected name, description, backends, repetitions, seed, costModel, workloads, strategies, links, copyEngines)'],
    [{ ...valid, copyEngines: ['zero-copy'] }, "copyEngines[0]: expected one of copy, continue, move, got 'zero-copy'"],
    [{ ...valid, repetitions: 0 }, 'repetitions: expected a number >= 1, got 0'],
    [{ ...valid, repetitions: 1.5 }, 'repetitions: expected an integer, got 1.5'],
    [{ ...valid, backends: [] }, 'backends: expected at least 1 entry'],
    [{ ...valid, backends: ['sim', 'sim'] }, 'backends: entries 0 and 1 are the same'],
    [{ ...valid, backends: ['Sim'] }, "backends[0]: expected a name of lowercase letters, digits and dashes, got 'Sim'"],
    [{ ...valid, workloads: [42] }, 'workloads[0]: expected a string or an object, got 42'],
    [{ ...valid, workloads: [{ params: {} }] }, "workloads[0]: missing key 'name'"],
    [{ ...valid, workloads: [{ name: 'zipf', parms: {} }] }, 'workloads[0].parms: unknown key (expected name, params, label)'],
    [
      { ...valid, workloads: [{ name: 'zipf', params: { theta: { a: 1 } } }] },
      'workloads[0].params.theta: expected a number, a string, true/false or a list of them, got an object',
    ],
    [{ ...valid, workloads: [{ name: 'zipf', params: { theta: [0.5, [1]] } }] }, 'workloads[0].params.theta[1]: expected a number, a string or true or false, got a list'],
    [{ ...valid, workloads: [{ name: 'zipf', params: { theta: [] } }] }, 'workloads[0].params.theta: expected at least 1 entry'],
    [{ ...valid, strategies: [{ stack: 'eager', label: 'x', extra: 1 }] }, 'strategies[0].extra: unknown key (expected stack, params, label)'],
    [{ ...valid, strategies: [{ stack: '' }] }, 'strategies[0].stack: expected a non-empty string'],
    [{ ...valid, strategies: [{ stack: 'eager', params: { eager: 3 } }] }, 'strategies[0].params.eager: expected an object, got 3'],
    [
      { ...valid, strategies: [{ stack: 'neighbor-prefetch', params: { 'neighbor-prefetch': { window: null } } }] },
      'strategies[0].params.neighbor-prefetch.window: expected a number, a string, true/false or a list of them, got null',
    ],
    [{ ...valid, strategies: [{ stack: 'eager', params: { eager: { 'bad key': 1 } } }] }, "strategies[0].params.eager: bad parameter name 'bad key' (expected letters, digits and underscores)"],
  ])('rejects bad case %# with one line naming the key', (value, expected) => {
    const message = errorOf(value);
    expect(message).toContain(expected);
  });

  it('names the line of a YAML syntax error', () => {
    expect(errorOf('backends: [sim\nworkloads: []\n', 'e.yaml')).toMatch(/^experiment e\.yaml is not valid YAML: .*line 2/);
  });

  it('rejects bad JSON and unknown extensions', () => {
    expect(errorOf('{"backends": [}', 'e.json')).toMatch(/^experiment e\.json is not valid JSON: /);
    expect(errorOf('{}', 'e.txt')).toBe('experiment e.txt: expected a .json, .yaml or .yml file');
  });

  it('names the experiment after its file unless it has a name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restorelab-exp-'));
    try {
      fs.writeFileSync(path.join(dir, 'sweep-1.yml'), JSON.stringify(valid));
      expect(loadExperiment(path.join(dir, 'sweep-1.yml')).name).toBe('sweep-1');
      fs.writeFileSync(path.join(dir, 'named.json'), JSON.stringify({ ...valid, name: 'paper-fig3' }));
      expect(loadExperiment(path.join(dir, 'named.json')).name).toBe('paper-fig3');
      expect(() => loadExperiment(path.join(dir, 'missing.json'))).toThrow(/cannot read experiment .*missing\.json: ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns JSON pointers into key paths', () => {
    expect(keyPath('')).toBe('(top level)');
    expect(keyPath('/strategies/1/params/neighbor-prefetch/window')).toBe('strategies[1].params.neighbor-prefetch.window');
    expect(keyPath('/a~1b/0')).toBe('a/b[0]');
  });
});
