import * as os from 'os';
import { doctor, DoctorReport, faultThreadWarning, featureNames, formatDoctorReport, hasFeatureBit, sysfsChoice, unavailableReason } from './doctor';
import { NativeProbe } from './native-binding';

const denied: NativeProbe = {
  available: false,
  via: 'none',
  syscall: { ok: false, errno: 1, code: 'EPERM', message: 'Operation not permitted' },
  userModeOnly: { ok: false, errno: 1, code: 'EPERM', message: 'Operation not permitted' },
  device: { ok: false, errno: 13, code: 'EACCES', message: 'Permission denied' },
  api: { ok: false, errno: 0, code: '', message: '' },
  features: 0,
  ioctls: 0,
  featureNames: [],
};

describe('doctor', () => {
  test('names UFFD feature bits', () => {
    expect(featureNames(0)).toEqual([]);
    expect(featureNames(0x1ffff)).toHaveLength(17);
    expect(featureNames(0x1ffff).slice(-3)).toEqual(['POISON', 'WP_ASYNC', 'MOVE']);
    expect(featureNames((1 << 8) | (1 << 1))).toEqual(['EVENT_FORK', 'THREAD_ID']);
  });

  test('reads the selected choice of a sysfs file', () => {
    expect(sysfsChoice('always [madvise] never')).toBe('madvise');
    expect(sysfsChoice('always defer defer+madvise [madvise] never')).toBe('madvise');
    expect(sysfsChoice(null)).toBeNull();
  });

  test('explains a denied userfaultfd with the sysctl and the device', () => {
    const why = unavailableReason(denied);
    expect(why).toMatch(/EPERM/);
    expect(why).toMatch(/vm\.unprivileged_userfaultfd=1/);
    expect(why).toMatch(/\/dev\/userfaultfd/);
  });

  test('reports this machine consistently', () => {
    const r = doctor();
    expect(r.kernel.release).toBe(os.release());
    expect(r.platform).toBe(process.platform);
    if (r.ok) {
      expect(r.addon.loaded).toBe(true);
      expect(r.userfaultfd.available).toBe(true);
      expect(['syscall', 'syscall-user-mode-only', 'device']).toContain(r.userfaultfd.via);
      expect(r.userfaultfd.featureNames).toEqual(featureNames(r.userfaultfd.features));
    } else {
      expect(r.problems.length).toBeGreaterThan(0);
    }
    for (const p of r.problems) expect(p.fix.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  test('prints every problem with its fix', () => {
    const r: DoctorReport = {
      ...doctor(),
      ok: false,
      problems: [{ what: unavailableReason(denied), fix: 'sudo sysctl -w vm.unprivileged_userfaultfd=1' }],
    };
    const text = formatDoctorReport(r);
    expect(text).toMatch(/^restorelab doctor: the linux backend cannot run here/);
    expect(text).toMatch(/transparent huge pages/);
    expect(text).toMatch(/khugepaged: max_ptes_none=/);
    expect(text).toMatch(/- userfaultfd is not permitted/);
    expect(text).toMatch(/fix: sudo sysctl -w vm\.unprivileged_userfaultfd=1/);
  });

  test('says how the fault thread will be scheduled, and warns when it cannot be real-time', () => {
    const r = doctor();
    if (!r.addon.loaded) {
      expect(r.faultThread).toBeNull();
      return;
    }
    expect(['fifo', 'nice', 'default']).toContain(r.faultThread!.policy);
    expect(r.faultThread!.fifo.ok).toBe(r.faultThread!.policy === 'fifo');
    const warned = r.warnings.some((w) => /SCHED_FIFO/.test(w.what));
    expect(warned).toBe(r.faultThread!.policy !== 'fifo');
    expect(formatDoctorReport(r)).toMatch(/^fault thread +(SCHED_FIFO|nice -10|default priority)/m);
  });

  test('prints a refused real-time fault thread as a warning with its fix, not as a problem', () => {
    const refused = {
      policy: 'nice' as const,
      fifo: { ok: false, errno: 1, code: 'EPERM', message: 'Operation not permitted' },
    };
    const r: DoctorReport = { ...doctor(), faultThread: refused, warnings: [faultThreadWarning(refused)] };
    const text = formatDoctorReport(r);
    expect(text).toMatch(/fault thread +nice -10 \(SCHED_FIFO refused\)/);
    expect(text).toMatch(/warnings\n  - the fault thread cannot use SCHED_FIFO \(EPERM; it runs with nice -10\)/);
    expect(text).toMatch(/fix: run as root, or grant CAP_SYS_NICE/);
  });

  test('reads virtio feature bits, bit 0 first', () => {
    const balloon = '0110010100000000000000000000000010000000\n';
    expect([1, 2, 5, 7, 32].map((b) => hasFeatureBit(balloon, b))).toEqual([true, true, true, true, true]);
    expect([0, 3, 4, 6, 8, 200].map((b) => hasFeatureBit(balloon, b))).toEqual([false, false, false, false, false, false]);
    expect(hasFeatureBit(null, 5)).toBe(false);
  });
});
