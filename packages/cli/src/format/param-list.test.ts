import { ParamSchema } from '@restorelab/core';
import { paramList, paramRange, renderListing } from './param-list';

const schema: ParamSchema = {
  window: { type: 'integer', default: 8, minimum: 1, maximum: 4096, description: 'pages each way' },
  direction: { type: 'string', default: 'forward', enum: ['forward', 'both'], description: 'which side' },
  rate: { type: 'number', default: 0.5, minimum: 0, description: 'a fraction' },
  on: { type: 'boolean', default: true, description: 'a switch' },
};

describe('parameter listings', () => {
  it('lists parameters in declaration order with only the constraints they have', () => {
    expect(paramList(schema)).toEqual([
      { name: 'window', type: 'integer', default: 8, minimum: 1, maximum: 4096, description: 'pages each way' },
      { name: 'direction', type: 'string', default: 'forward', enum: ['forward', 'both'], description: 'which side' },
      { name: 'rate', type: 'number', default: 0.5, minimum: 0, description: 'a fraction' },
      { name: 'on', type: 'boolean', default: true, description: 'a switch' },
    ]);
  });

  it('spells ranges and enums', () => {
    expect(paramList(schema).map(paramRange)).toEqual(['1..4096', 'forward|both', '>= 0', '']);
  });

  it('renders a name with tags, the description and an indented table', () => {
    const text = renderListing([
      { name: 'neighbor-prefetch', description: 'copy the neighbours', params: schema, tags: ['deterministic'] },
      { name: 'demand-only', description: 'nothing', params: {} },
    ]);
    expect(text.split('\n')).toEqual([
      'neighbor-prefetch  (deterministic)',
      '  copy the neighbours',
      '  parameter  type     default  range         description',
      '  window     integer        8  1..4096       pages each way',
      '  direction  string   forward  forward|both  which side',
      '  rate       number       0.5  >= 0          a fraction',
      '  on         boolean     true                a switch',
      '',
      'demand-only',
      '  nothing',
      '  no parameters',
    ]);
  });
});
