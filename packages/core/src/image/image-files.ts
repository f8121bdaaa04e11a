import type { ValidateFunction } from 'ajv';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { fileError, FILE_LIMITS, openRegularFile, readFullyAt, readRegularFile } from '../io/regular-file';
import { contentPages, Image, ProcessImage, VmaImage } from '../model/image';
import { checkFreeDisk } from '../io/free-disk';
import { UsageError } from '../errors/usage-error';
import { IMAGE_FORMAT, IMAGE_FORMAT_VERSION, IMAGE_MANIFEST_SCHEMA, ImageManifest, ManifestProcess } from './image-manifest-schema';
import { decodePageFlags, encodePageFlags } from './page-flags-rle';
import { validateImage, validateImageLayout } from './validate-image';
import { writePagesBlob } from './pages-blob';

export { IMAGE_FORMAT, IMAGE_FORMAT_VERSION } from './image-manifest-schema';
export type { ImageManifest, ManifestProcess, ManifestVma } from './image-manifest-schema';

export const MANIFEST_FILE = 'manifest.json';
export const BLOB_FILE = 'pages.bin';

const HASH_CHUNK = 4 << 20;

export interface ImageFiles {
  readonly dir: string;
  readonly manifestPath: string;
  /** The pages blob: page p of a process is at blobOffset + p * pageSize; zero pages are holes. */
  readonly blobPath: string;
  readonly sha256: string;
}

export interface ReadImageOptions {
  /** Hash the whole blob and compare with the manifest (default true). The size is always checked. */
  readonly verifyChecksum?: boolean;
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Writes `image` as dir/manifest.json and dir/pages.bin. Pages without the Content flag are left as
 * holes of a sparse file; content pages go out in batched writes. Both files are written under a
 * temporary name and renamed, the manifest last.
 */
export function writeImage(image: Image, dir: string): ImageFiles {
  // an image no restore would accept is not written
  validateImage(image, `image ${image.name}`);
  const pageSize = image.pageSize;
  checkFreeDisk(dir, contentPages(image) * pageSize, `image ${image.name}`);
  fs.mkdirSync(dir, { recursive: true });
  const blobPath = path.join(dir, BLOB_FILE);
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const tmpBlob = `${blobPath}.tmp-${process.pid}`;
  const hash = createHash('sha256');
  const fd = fs.openSync(tmpBlob, 'w');
  try {
    writePagesBlob(image, fd, hash);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmpBlob, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  const sha256 = hash.digest('hex');
  const processes: ManifestProcess[] = image.processes.map((p) => ({
    pid: p.pid,
    parent: p.parent,
    blobOffset: p.blobOffset,
    totalPages: p.totalPages,
    pageFlags: encodePageFlags(p.pageFlags),
    pageFlagsSha256: sha256Hex(p.pageFlags),
    vmas: p.vmas.map(vmaToJson),
  }));
  const manifest: ImageManifest = {
    format: IMAGE_FORMAT,
    version: IMAGE_FORMAT_VERSION,
    name: image.name,
    pageSize,
    blob: { file: BLOB_FILE, bytes: image.blobBytes, sha256 },
    processes,
  };
  fs.renameSync(tmpBlob, blobPath);
  const tmpManifest = `${manifestPath}.tmp-${process.pid}`;
  fs.writeFileSync(tmpManifest, formatManifest(manifest));
  fs.renameSync(tmpManifest, manifestPath);
  return { dir, manifestPath, blobPath, sha256 };
}

/** Indented JSON, except that each process's page-flag runs stay on one line. */
function formatManifest(m: ImageManifest): string {
  const runs: string[] = [];
  const json = JSON.stringify(m, (key, value: unknown) => (key === 'pageFlags' ? `\u0000${runs.push(JSON.stringify(value)) - 1}` : value), 1);
  return json.replace(/"\\u0000(\d+)"/g, (_, i: string) => runs[Number(i)]) + '\n';
}

function vmaToJson(v: VmaImage): ManifestProcess['vmas'][number] {
  return {
    index: v.index,
    start: v.start,
    pages: v.pages,
    firstPage: v.firstPage,
    prot: v.prot,
    shared: v.shared,
    anon: v.anon,
    thp: v.thp,
    collapseBeforeRegister: v.collapseBeforeRegister,
    ...(v.hugetlb ? { hugetlb: true } : {}),
  };
}

let validator: ValidateFunction<ImageManifest> | undefined;
function validateManifest(): ValidateFunction<ImageManifest> {
  if (!validator) {
    // loaded on first use: ajv costs every CLI start ~0.3 s otherwise
    const Ajv = (require('ajv') as typeof import('ajv')).default;
    validator = new Ajv({ allErrors: false }).compile<ImageManifest>(IMAGE_MANIFEST_SCHEMA);
  }
  return validator;
}

/** An image on disk: the manifest in memory, pages read from the blob through an open descriptor. */
export class FileImage implements Image {
  readonly name: string;
  readonly pageSize: number;
  readonly processes: readonly ProcessImage[];
  readonly blobBytes: number;
  private readonly byPid: Map<number, ProcessImage>;
  private fd: number | null;

  constructor(
    readonly files: ImageFiles,
    readonly manifest: ImageManifest,
    processes: readonly ProcessImage[],
    fd: number,
  ) {
    this.name = manifest.name;
    this.pageSize = manifest.pageSize;
    this.blobBytes = manifest.blob.bytes;
    this.processes = processes;
    this.byPid = new Map(processes.map((p) => [p.pid, p]));
    this.fd = fd;
  }

  get dir(): string {
    return this.files.dir;
  }
  get manifestPath(): string {
    return this.files.manifestPath;
  }
  get blobPath(): string {
    return this.files.blobPath;
  }

  readPage(pid: number, page: number, dst: Uint8Array): void {
    const p = this.byPid.get(pid);
    if (!p) throw new Error(`image has no process ${pid}`);
    if (!(page >= 0 && page < p.totalPages)) throw new Error(`pid ${pid} has no page ${page}`);
    // a closed image (a workload keeps no descriptor between runs) opens its blob again on demand
    if (this.fd === null) {
      try {
        this.fd = openRegularFile(this.files.blobPath).fd;
      } catch (e) {
        throw new UsageError(`image blob ${this.files.blobPath}: cannot open it (${fileError(e)})`);
      }
    }
    const size = this.pageSize;
    const position = p.blobOffset + page * size;
    const got = readFullyAt(this.fd, dst, size, position);
    if (got < size) throw new UsageError(`image blob ${this.files.blobPath}: truncated at byte ${position + got}`);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Reads an image directory written by writeImage: validates the manifest (schema, version,
 * consistency, page-flag checksums), checks the blob's size and, unless told not to, its sha256.
 * Every problem is a one-line UsageError naming the file. Close the result when done.
 */
export function readImage(dir: string, options: ReadImageOptions = {}): FileImage {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const bad = (what: string): UsageError => new UsageError(`image manifest ${manifestPath}: ${what}`);
  let text: string;
  try {
    text = readRegularFile(manifestPath, FILE_LIMITS.imageManifest).toString('utf8');
  } catch (e) {
    throw bad(`cannot read it (${fileError(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`corrupt JSON (${oneLine((e as Error).message)})`);
  }
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if (o.format !== IMAGE_FORMAT) throw bad(`not a restorelab image (format ${JSON.stringify(o.format)}, expected "${IMAGE_FORMAT}")`);
    if (o.version !== IMAGE_FORMAT_VERSION)
      throw bad(`unsupported version ${JSON.stringify(o.version)} (this restorelab reads version ${IMAGE_FORMAT_VERSION})`);
  }
  const validate = validateManifest();
  if (!validate(json)) {
    const err = validate.errors?.[0];
    throw bad(`invalid: ${err ? `${err.instancePath || '/'} ${err.message}` : 'does not match the schema'}`);
  }
  const manifest = json;
  const blobPath = path.join(dir, manifest.blob.file);
  const badBlob = (what: string): UsageError => new UsageError(`image blob ${blobPath}: ${what}`);
  let fd: number;
  let size: number;
  try {
    ({ fd, size } = openRegularFile(blobPath));
  } catch (e) {
    throw badBlob(`cannot open it (${fileError(e)})`);
  }
  let processes: ProcessImage[];
  try {
    // the blob's real size first: a manifest's page counts are believed only once the pages are there
    const want = manifest.blob.bytes;
    if (size < want) throw badBlob(`truncated: ${size} bytes, the manifest says ${want}`);
    if (size > want) throw badBlob(`${size} bytes, the manifest says ${want}`);
    processes = manifestProcesses(manifest, `image manifest ${manifestPath}`, bad);
    if (options.verifyChecksum !== false) {
      const got = hashFile(fd, size);
      if (got !== manifest.blob.sha256) throw badBlob(`checksum mismatch: sha256 ${got}, the manifest says ${manifest.blob.sha256}`);
    }
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return new FileImage({ dir, manifestPath, blobPath, sha256: manifest.blob.sha256 }, manifest, processes, fd);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

function hashFile(fd: number, size: number): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(HASH_CHUNK, Math.max(size, 1)));
  let at = 0;
  while (at < size) {
    const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - at), at);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    at += n;
  }
  return hash.digest('hex');
}

/** The consistency rules the schema cannot say; returns the processes as the model has them. */
function manifestProcesses(m: ImageManifest, where: string, bad: (what: string) => UsageError): ProcessImage[] {
  validateImageLayout(m, where);
  let offset = 0;
  const out: ProcessImage[] = [];
  for (const p of m.processes) {
    const who = `process ${p.pid}`;
    if (p.blobOffset !== offset) throw bad(`${who}: blobOffset ${p.blobOffset}, expected ${offset} (processes are laid end to end)`);
    p.vmas.forEach((v, i) => {
      if (v.index !== i) throw bad(`${who}: VMA ${i} has index ${v.index}`);
    });
    // before anything is allocated for its pages: they must be in the blob (whose size is checked)
    if (offset + p.totalPages * m.pageSize > m.blob.bytes) throw bad(`blob.bytes is ${m.blob.bytes}, the processes need more (${who} ends at byte ${offset + p.totalPages * m.pageSize})`);
    const flags = decodePageFlags(p.pageFlags, p.totalPages);
    if (!flags) throw bad(`${who}: pageFlags runs do not add up to ${p.totalPages} pages`);
    if (p.pageFlagsSha256 !== undefined && sha256Hex(flags) !== p.pageFlagsSha256) throw bad(`${who}: pageFlags checksum mismatch`);
    const vmas: VmaImage[] = p.vmas.map((v) => ({ ...v, hugetlb: v.hugetlb ?? false }));
    out.push({ pid: p.pid, parent: p.parent, vmas, totalPages: p.totalPages, pageFlags: flags, blobOffset: p.blobOffset });
    offset += p.totalPages * m.pageSize;
  }
  if (offset !== m.blob.bytes) throw bad(`blob.bytes is ${m.blob.bytes}, the processes need ${offset}`);
  return out;
}

export interface MaterializedImage extends ImageFiles {
  /** False when the image already was a file image and its blob was reused. */
  readonly written: boolean;
}

/**
 * A pages file for `image` (what the Linux backend maps): the image's own files when it was read
 * from disk, otherwise writeImage(image, dir).
 */
export function materializeImage(image: Image, dir: string): MaterializedImage {
  if (image instanceof FileImage) return { ...image.files, written: false };
  return { ...writeImage(image, dir), written: true };
}
