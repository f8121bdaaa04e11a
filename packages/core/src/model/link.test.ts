import { formatBandwidth, formatLink, linkAnswerNs, parseBandwidth, parseLink } from './link';

describe('links', () => {
  it('reads rates in bits, bytes or binary bytes per second', () => {
    expect(['1gbit', '200mbit', '125MB', '1GiB', '1000000', '2.5gbit', 'off', '0', '1Gbps', '125MB/s'].map((t) => parseBandwidth(t))).toEqual([
      125e6, 25e6, 125e6, 2 ** 30, 1e6, 312.5e6, 0, 0, 125e6, 125e6,
    ]);
    for (const bad of ['fast', '1tbit', '-1gbit', '1e9', '', ' 1gbit']) expect(() => parseBandwidth(bad)).toThrow(/^--bandwidth must be a rate such as 1gbit/);
    expect(() => parseBandwidth('100kbit')).toThrow(/^--bandwidth must be at least 1mbit \(125000 bytes\/s\), got '100kbit'$/);
    expect([formatBandwidth(125e6), formatBandwidth(25e6), formatBandwidth(0)]).toEqual(['1 Gbit/s', '200 Mbit/s', 'unshaped']);
  });

  it('reads and writes link specs', () => {
    expect(parseLink('latency-us=200,bandwidth=1gbit')).toEqual({ latencyUs: 200, bandwidth: 125e6, channels: 2 });
    expect(parseLink('channels=1')).toEqual({ latencyUs: 0, bandwidth: 0, channels: 1 });
    expect(parseLink('bandwidth=1gbit,shared=1')).toEqual({ latencyUs: 0, bandwidth: 125e6, channels: 2, sharedBandwidth: true });
    expect(parseLink('shared=0')).toEqual({ latencyUs: 0, bandwidth: 0, channels: 2 });
    for (const l of ['latency-us=200,bandwidth=1gbit,channels=2,shared=1', 'latency-us=200,bandwidth=1gbit,channels=2', 'latency-us=0,bandwidth=off,channels=1', 'latency-us=50,bandwidth=100mbit,channels=2', 'latency-us=1,bandwidth=1000001,channels=1'])
      expect(formatLink(parseLink(l))).toBe(l);
    for (const bad of ['latency=200', 'latency-us=-1', 'latency-us=2e2', 'channels=3', 'bandwidth=fast', 'latency-us=1,latency-us=2', '', 'latency-us=200000'])
      expect(() => parseLink(bad)).toThrow(/link/);
  });

  it('an answer takes two latencies and its bytes at the bandwidth', () => {
    expect(linkAnswerNs({ latencyUs: 200, bandwidth: 125e6, channels: 2 }, 4096, 10)).toBe(400_000 + 32_768 + 10);
    expect(linkAnswerNs({ latencyUs: 0, bandwidth: 0, channels: 1 }, 1 << 20)).toBe(0);
  });
});
