import * as v8 from 'v8';
import { growYoungGeneration } from './young-generation';

const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

describe('growYoungGeneration', () => {
  it('leaves V8 a new space of its largest semi-spaces (16 MiB each), and keeps none of what it allocated', () => {
    const grown = growYoungGeneration();
    expect(grown).toBeGreaterThanOrEqual(32 * 1024 * 1024);
    expect(newSpace()).toBe(grown);
    // its survivors were collected: the new space holds little
    expect(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size).toBeLessThan(grown / 4);
    expect(growYoungGeneration()).toBe(grown);
  });
});
