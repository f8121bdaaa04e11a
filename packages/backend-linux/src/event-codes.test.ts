import * as fs from 'fs';
import * as path from 'path';
import { CopyCause, EventKind, RejectReason } from '@restorelab/core';

const header = fs.readFileSync(path.join(__dirname, '..', 'native', 'addon', 'event-codes.h'), 'utf8');
const constants = [...header.matchAll(/constexpr \w+ k(\w+) = (\d+);/g)].map((m) => [m[1], Number(m[2])] as const);

describe('native/addon/event-codes.h', () => {
  it('defines constants', () => {
    expect(constants.length).toBeGreaterThan(10);
  });

  it.each(constants)('k%s = %d matches the core table', (name, value) => {
    const expected =
      name.startsWith('Cause') ? CopyCause[name.slice(5) as keyof typeof CopyCause]
      : name === 'RejectEexist' ? RejectReason.Eexist
      : name === 'RejectEnoent' ? RejectReason.Enoent
      : EventKind[name as keyof typeof EventKind];
    expect(value).toBe(expected);
  });
});
