import { displayWidth, renderTable } from './table';

describe('renderTable', () => {
  it('pads every column to its widest cell, names left and numbers right', () => {
    const out = renderTable(
      [
        { header: 'name', align: 'left' },
        { header: 'n', align: 'right' },
      ],
      [
        ['a', '1'],
        ['longer', '12345'],
      ],
    );
    expect(out.split('\n')).toEqual(['name        n', 'a           1', 'longer  12345']);
  });

  it('counts ✓ and ✗ as one column and trims trailing blanks', () => {
    expect(displayWidth('✓')).toBe(1);
    const out = renderTable(
      [
        { header: 'x', align: 'right' },
        { header: 'ok', align: 'left' },
      ],
      [
        ['10', '✓'],
        ['2', '✗'],
      ],
    );
    expect(out.split('\n')).toEqual([' x  ok', '10  ✓', ' 2  ✗']);
  });

  it('refuses a row with the wrong number of cells', () => {
    expect(() => renderTable([{ header: 'a', align: 'left' }], [['1', '2']])).toThrow('2 cells, expected 1');
  });
});
