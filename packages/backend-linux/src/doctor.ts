import * as fs from 'fs';
import * as os from 'os';
import { BackendAvailability } from '@restorelab/core';
import { ErrnoInfo, FaultThreadProbe, loadNative, NativeLoad, NativeProbe } from './native-binding';

/** What `restorelab doctor` reports: can this machine run the linux backend, and if not, why. */
export interface DoctorReport {
  readonly platform: string;
  readonly kernel: { readonly release: string; readonly version: string };
  readonly addon: { readonly loaded: boolean; readonly reason?: string };
  readonly userfaultfd: {
    readonly available: boolean;
    /** How this process got one: syscall, syscall-user-mode-only, device, or none. */
    readonly via: string;
    readonly syscall?: ErrnoInfo;
    readonly userModeOnly?: ErrnoInfo;
    readonly device?: ErrnoInfo;
    /** vm.unprivileged_userfaultfd (null: unreadable). */
    readonly unprivilegedSysctl: number | null;
    readonly devicePath: string;
    /** e.g. crw------- root:root; null when the device does not exist. */
    readonly deviceMode: string | null;
    readonly root: boolean;
    readonly features: number;
    readonly featureNames: readonly string[];
    /** Features the backend uses that this kernel lacks. */
    readonly missingFeatures: readonly string[];
  };
  readonly thp: {
    readonly enabled: string | null;
    readonly defrag: string | null;
    readonly khugepaged: Readonly<Record<string, number | null>>;
    /** MADV_COLLAPSE (Linux 6.1+), used to play khugepaged's part of seed 001. */
    readonly madvCollapse: boolean;
  };
  /** How the fault thread will be scheduled; null when the addon did not load. */
  readonly faultThread: FaultThreadProbe | null;
  /** What makes Linux timings less trustworthy without stopping the backend, each with a fix. */
  readonly warnings: readonly { readonly what: string; readonly fix: string }[];
  /** Everything that stops the backend or part of it, each with how to fix it. */
  readonly problems: readonly { readonly what: string; readonly fix: string }[];
  readonly ok: boolean;
}

const SYSCTL = '/proc/sys/vm/unprivileged_userfaultfd';
const DEVICE = '/dev/userfaultfd';
const THP = '/sys/kernel/mm/transparent_hugepage';
const KHUGEPAGED_KEYS = [
  'max_ptes_none',
  'max_ptes_swap',
  'max_ptes_shared',
  'pages_to_scan',
  'scan_sleep_millisecs',
  'alloc_sleep_millisecs',
  'full_scans',
  'pages_collapsed',
  'defrag',
];
/** Features the backend asks for, by UFFD_FEATURE_* name, and what they are for. */
const WANTED_FEATURES: Readonly<Record<string, string>> = {
  THREAD_ID: 'thread ids in fault events',
  EVENT_REMAP: 'following mremap of restored memory',
  EVENT_REMOVE: 'following MADV_DONTNEED of restored memory',
  EVENT_UNMAP: 'following munmap of restored memory',
};
const FEATURE_NAMES = [
  'PAGEFAULT_FLAG_WP',
  'EVENT_FORK',
  'EVENT_REMAP',
  'EVENT_REMOVE',
  'MISSING_HUGETLBFS',
  'MISSING_SHMEM',
  'EVENT_UNMAP',
  'SIGBUS',
  'THREAD_ID',
  'MINOR_HUGETLBFS',
  'MINOR_SHMEM',
  'EXACT_ADDRESS',
  'WP_HUGETLBFS_SHMEM',
  'WP_UNPOPULATED',
  'POISON',
  'WP_ASYNC',
  'MOVE',
];

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function readNumber(file: string): number | null {
  const t = readText(file);
  if (t === null || t === '' || !/^-?\d+$/.test(t)) return null;
  return Number(t);
}

/** The bracketed choice of a sysfs multiple-choice file: "always [madvise] never" -> madvise. */
export function sysfsChoice(text: string | null): string | null {
  if (text === null) return null;
  const m = /\[([^\]]+)\]/.exec(text);
  return m ? m[1] : text;
}

export function featureNames(bits: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < FEATURE_NAMES.length; i++) if (Math.floor(bits / 2 ** i) % 2 === 1) out.push(FEATURE_NAMES[i]);
  const known = 2 ** FEATURE_NAMES.length;
  if (bits >= known) out.push(`unknown bits 0x${Math.floor(bits / known).toString(16)}<<${FEATURE_NAMES.length}`);
  return out;
}

function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

function deviceMode(): string | null {
  try {
    const st = fs.statSync(DEVICE);
    const bits = st.mode & 0o777;
    const rwx = (n: number) => `${n & 4 ? 'r' : '-'}${n & 2 ? 'w' : '-'}${n & 1 ? 'x' : '-'}`;
    return `c${rwx(bits >> 6)}${rwx((bits >> 3) & 7)}${rwx(bits & 7)} uid ${st.uid} gid ${st.gid}`;
  } catch {
    return null;
  }
}

const SYSCTL_FIX =
  'allow it with `sudo sysctl -w vm.unprivileged_userfaultfd=1` (persist in /etc/sysctl.d/), ' +
  `or give your user access to ${DEVICE} (e.g. \`sudo setfacl -m u:$USER:rw ${DEVICE}\`), or run as root`;

/** Whether the native side loaded and userfaultfd works: what the Linux backends say of themselves. */
export function nativeAvailability(native: NativeLoad): BackendAvailability {
  if (!native.ok) return { available: false, reason: native.reason };
  const probe = native.binding.probe();
  if (!probe.available) return { available: false, reason: unavailableReason(probe) };
  return { available: true };
}

/** One line on why userfaultfd cannot be used, with what to do. */
export function unavailableReason(probe: NativeProbe): string {
  if (probe.available) return '';
  const sysctl = readNumber(SYSCTL);
  const parts = [`userfaultfd(2) failed with ${probe.syscall.code || 'an error'}`];
  if (probe.userModeOnly.errno) parts.push(`in user-mode-only too (${probe.userModeOnly.code})`);
  parts.push(`${DEVICE}: ${probe.device.code || 'unusable'}`);
  if (probe.syscall.code === 'ENOSYS' && probe.device.code === 'ENOENT')
    return `this kernel has no userfaultfd (${parts.join('; ')}): it needs CONFIG_USERFAULTFD=y (Linux 4.3+, 5.11+ for user-mode-only)`;
  if (!probe.api.ok && probe.api.errno) return `UFFDIO_API failed with ${probe.api.code}: the kernel refuses the userfaultfd handshake`;
  const why = sysctl === 0 ? ` and vm.unprivileged_userfaultfd is 0 (only privileged processes may use it)` : '';
  return `userfaultfd is not permitted for this user (${parts.join('; ')})${why}; ${SYSCTL_FIX}`;
}

/** Facts for the run log's metadata: kernel, how uffd is opened, its features, THP mode. */
export function describeHost(): Record<string, unknown> {
  const native = loadNative();
  const probe = native.ok ? native.binding.probe() : undefined;
  return {
    kernel: os.release(),
    userfaultfd: probe ? probe.via : 'unknown',
    uffdFeatures: probe ? featureNames(probe.features) : [],
    thp: sysfsChoice(readText(`${THP}/enabled`)),
    thpDefrag: sysfsChoice(readText(`${THP}/defrag`)),
    faultThread: native.ok ? native.binding.probeFaultThread().policy : 'unknown',
    khugepagedMaxPtesNone: readNumber(`${THP}/khugepaged/max_ptes_none`),
    addon: native.ok ? 'loaded' : native.reason,
  };
}

const VIRTIO_DEVICES = '/sys/bus/virtio/devices';
const VIRTIO_ID_BALLOON = 5;
const VIRTIO_BALLOON_F_REPORTING = 5;

/** `features` of a virtio device: one character per feature bit, bit 0 first. */
export function hasFeatureBit(features: string | null, bit: number): boolean {
  return features !== null && features.trim().charAt(bit) === '1';
}

/** A virtio balloon on this VM hands freed guest pages back to the host (free page reporting). */
function balloonReportsFreePages(): boolean {
  let devices: string[];
  try {
    devices = fs.readdirSync(VIRTIO_DEVICES);
  } catch {
    return false;
  }
  return devices.some(
    (d) =>
      Number(readText(`${VIRTIO_DEVICES}/${d}/device`)) === VIRTIO_ID_BALLOON &&
      hasFeatureBit(readText(`${VIRTIO_DEVICES}/${d}/features`), VIRTIO_BALLOON_F_REPORTING),
  );
}

export const FREE_PAGE_REPORTING_WARNING = {
  what:
    'this VM reports free pages to its host (virtio balloon free page reporting): a page the restore allocates may first fault in the host, ' +
    'so copy and fault costs vary with what was freed recently; compare runs made close together, with repetitions, and calibrate on the same machine',
  fix: "disable free page reporting for this VM on the host (e.g. Firecracker's balloon free_page_reporting: false), or measure on bare metal",
} as const;

/** The fault thread cannot be real-time: fault latencies then include waiting for a CPU. */
export function faultThreadWarning(f: FaultThreadProbe): { what: string; fix: string } {
  return {
    what:
      `the fault thread cannot use SCHED_FIFO (${f.fifo.code || 'refused'}; it runs with ${f.policy === 'nice' ? 'nice -10' : 'the default priority'}): ` +
      'on a busy machine fault latencies then include time spent waiting for a CPU, and the simulator (calibrate, fidelity) is compared with that',
    fix: 'run as root, or grant CAP_SYS_NICE (`sudo setcap cap_sys_nice+ep "$(command -v node)"`), or allow a real-time priority (`rtprio 10` in /etc/security/limits.conf)',
  };
}

/** Checks this machine for the linux backend: kernel, userfaultfd, features, THP, the addon. */
export function doctor(): DoctorReport {
  const release = os.release();
  const native = loadNative();
  const probe = native.ok ? native.binding.probe() : undefined;
  const problems: { what: string; fix: string }[] = [];
  const isLinux = process.platform === 'linux';
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sysctl = readNumber(SYSCTL);
  const devMode = deviceMode();

  if (!isLinux) problems.push({ what: `this is ${process.platform}: userfaultfd is Linux only`, fix: 'run the linux backend on Linux; the simulator works everywhere' });
  if (!native.ok && isLinux)
    problems.push({ what: `the native addon did not load: ${native.reason}`, fix: 'run `npm run build:native -w @restorelab/backend-linux` (needs g++, make, python3)' });
  if (probe && !probe.available) problems.push({ what: unavailableReason(probe), fix: SYSCTL_FIX });

  const features = probe?.features ?? 0;
  const names = featureNames(features);
  const missing = probe?.available ? Object.keys(WANTED_FEATURES).filter((f) => !names.includes(f)) : [];
  for (const f of missing)
    problems.push({ what: `UFFD_FEATURE_${f} is missing (${WANTED_FEATURES[f]})`, fix: 'upgrade the kernel (Linux 4.14+ has every feature the backend uses)' });

  const thpEnabled = sysfsChoice(readText(`${THP}/enabled`));
  const thpDefrag = sysfsChoice(readText(`${THP}/defrag`));
  const khugepaged: Record<string, number | null> = {};
  for (const k of KHUGEPAGED_KEYS) khugepaged[k] = readNumber(`${THP}/khugepaged/${k}`);
  const madvCollapse = isLinux && kernelAtLeast(release, 6, 1);
  if (isLinux && thpEnabled === null)
    problems.push({ what: 'transparent huge pages are not available (no /sys/kernel/mm/transparent_hugepage)', fix: 'use a kernel with CONFIG_TRANSPARENT_HUGEPAGE=y to study seed 001' });
  else if (thpEnabled === 'never')
    problems.push({
      what: 'transparent huge pages are disabled (enabled = never): THP workloads (seed 001) cannot collapse',
      fix: 'echo madvise | sudo tee /sys/kernel/mm/transparent_hugepage/enabled',
    });
  if (isLinux && !madvCollapse)
    problems.push({ what: `Linux ${release} has no MADV_COLLAPSE: collapseBeforeRegister VMAs are not collapsed`, fix: 'use Linux 6.1 or newer' });

  const faultThread = native.ok ? native.binding.probeFaultThread() : null;
  const warnings: { what: string; fix: string }[] = [];
  if (faultThread && faultThread.policy !== 'fifo') warnings.push(faultThreadWarning(faultThread));
  if (isLinux && balloonReportsFreePages()) warnings.push(FREE_PAGE_REPORTING_WARNING);

  const available = !!probe?.available;
  return {
    platform: process.platform,
    kernel: { release, version: os.version() },
    addon: native.ok ? { loaded: true } : { loaded: false, reason: native.reason },
    userfaultfd: {
      available,
      via: probe?.via ?? 'none',
      syscall: probe?.syscall,
      userModeOnly: probe?.userModeOnly,
      device: probe?.device,
      unprivilegedSysctl: sysctl,
      devicePath: DEVICE,
      deviceMode: devMode,
      root,
      features,
      featureNames: names,
      missingFeatures: missing,
    },
    thp: { enabled: thpEnabled, defrag: thpDefrag, khugepaged, madvCollapse },
    faultThread,
    warnings,
    problems,
    ok: available && native.ok,
  };
}

function errnoText(e: ErrnoInfo | undefined): string {
  if (!e) return 'not tried';
  if (e.ok) return 'ok';
  return e.code ? `${e.code} (${e.message})` : 'not tried';
}

/** The text form of `restorelab doctor`. */
export function formatDoctorReport(r: DoctorReport): string {
  const u = r.userfaultfd;
  const lines: string[] = [];
  lines.push(`restorelab doctor: ${r.ok ? 'the linux backend can run here' : 'the linux backend cannot run here'}`);
  lines.push('');
  lines.push(`kernel          ${r.platform} ${r.kernel.release}`);
  lines.push(`native addon    ${r.addon.loaded ? 'loaded' : `not loaded: ${r.addon.reason}`}`);
  lines.push(`userfaultfd     ${u.available ? `available via ${u.via}` : 'not available'}`);
  lines.push(`  syscall               ${errnoText(u.syscall)}`);
  lines.push(`  user-mode-only        ${errnoText(u.userModeOnly)}`);
  lines.push(`  ${u.devicePath}     ${u.deviceMode ?? 'absent'}; ${errnoText(u.device)}`);
  lines.push(`  vm.unprivileged_userfaultfd = ${u.unprivilegedSysctl ?? 'unknown'}${u.root ? ' (running as root)' : ''}`);
  lines.push(`  features 0x${u.features.toString(16)}: ${u.featureNames.join(' ') || 'none'}`);
  lines.push(`transparent huge pages`);
  lines.push(`  enabled ${r.thp.enabled ?? 'unknown'}, defrag ${r.thp.defrag ?? 'unknown'}, MADV_COLLAPSE ${r.thp.madvCollapse ? 'yes' : 'no'}`);
  const k = r.thp.khugepaged;
  lines.push(
    `  khugepaged: ${Object.entries(k)
      .map(([key, v]) => `${key}=${v ?? '?'}`)
      .join(' ')}`,
  );
  if (r.faultThread) lines.push(`fault thread    ${r.faultThread.policy === 'fifo' ? 'SCHED_FIFO' : r.faultThread.policy === 'nice' ? 'nice -10 (SCHED_FIFO refused)' : 'default priority (SCHED_FIFO and nice refused)'}`);
  lines.push(...listWithFixes('warnings', r.warnings), ...listWithFixes('problems', r.problems));
  return lines.join('\n') + '\n';
}

/** A titled list of findings, each with its fix, after a blank line; nothing when there are none. */
function listWithFixes(title: string, items: readonly { what: string; fix: string }[]): string[] {
  if (items.length === 0) return [];
  return ['', title, ...items.flatMap((x) => [`  - ${x.what}`, `    fix: ${x.fix}`])];
}

/** Why the real backend cannot run here (addon not loaded, userfaultfd refused), or undefined when it can. */
export function linuxUnavailableReason(): string | undefined {
  const native = loadNative();
  if (!native.ok) return native.reason;
  const probe = native.binding.probe();
  return probe.available ? undefined : unavailableReason(probe);
}
