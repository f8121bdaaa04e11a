import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { UsageError } from '@restorelab/core';
import { copyCostNs, defaultCostModel, faultCopyCostNs, loadCostModel, parseCostModel } from './cost-model';

describe('cost model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cost-model-'));
  const file = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('defaults reproduce the calibrated fault: ~3 us seen by the monitor, ~10.5 us waited by the process', () => {
    const m = defaultCostModel;
    expect(m.faultOverheadNs + faultCopyCostNs(m, 1)).toBe(2950);
    expect(m.faultOverheadNs + faultCopyCostNs(m, 1) + m.faultWakeNs).toBe(10650);
    // a 9-page window: ~1.5 us a page more
    expect(faultCopyCostNs(m, 9) - faultCopyCostNs(m, 1)).toBe(8 * 1500);
    expect(copyCostNs(m, 512) / 512).toBeLessThan(1700);
  });

  it('loads a calibrated file: missing keys default, _comments are ignored', () => {
    const m = loadCostModel(file('ok.json', JSON.stringify({ faultOverheadNs: 9000, processBaseBytes: 123, _measuredOn: 'x' })));
    expect(m).toEqual({ ...defaultCostModel, faultOverheadNs: 9000, processBaseBytes: 123 });
  });

  it.each([
    ['unknown.json', '{"faultNs": 1}', /cost model .*unknown key 'faultNs' \(known: faultOverheadNs, /],
    ['negative.json', '{"copyPageNs": -1}', /'copyPageNs' must be a number >= 0, got -1/],
    ['string.json', '{"copyPageNs": "1"}', /'copyPageNs' must be a number >= 0, got "1"/],
    ['array.json', '[1]', /expected a JSON object/],
    ['broken.json', '{"copyPageNs": ', /is not valid JSON/],
  ])('rejects %s with a one-line UsageError', (name, text, message) => {
    const f = file(name, text);
    expect(() => loadCostModel(f)).toThrow(UsageError);
    expect(() => loadCostModel(f)).toThrow(message);
    try {
      loadCostModel(f);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('reports a missing file as a UsageError', () => {
    expect(() => loadCostModel(join(dir, 'nope.json'))).toThrow(/cannot read cost model .*nope\.json: ENOENT/);
  });

  it('parseCostModel names its source', () => {
    expect(() => parseCostModel(null, 'from-test')).toThrow(/cost model from-test/);
  });
});
