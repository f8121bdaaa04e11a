import { ThpAdvice } from '../model/image';

export const IMAGE_FORMAT = 'restorelab-image';
export const IMAGE_FORMAT_VERSION = 1;

export interface ManifestVma {
  index: number;
  start: number;
  pages: number;
  firstPage: number;
  prot: 'r' | 'rw';
  shared: boolean;
  anon: boolean;
  thp: ThpAdvice;
  collapseBeforeRegister: boolean;
  /** Backed by 2 MiB hugetlbfs pages; absent: false. */
  hugetlb?: boolean;
}

export interface ManifestProcess {
  pid: number;
  parent: number | null;
  blobOffset: number;
  totalPages: number;
  /** Run-length encoded PageFlag bits: [[count, flags], ...] covering totalPages pages. */
  pageFlags: [number, number][];
  /** sha256 (hex) of the decoded flags, one byte per page. */
  pageFlagsSha256?: string;
  vmas: ManifestVma[];
}

/** manifest.json of an image directory (docs/image-format.md). */
export interface ImageManifest {
  format: typeof IMAGE_FORMAT;
  version: typeof IMAGE_FORMAT_VERSION;
  name: string;
  pageSize: number;
  blob: { file: string; bytes: number; sha256: string };
  processes: ManifestProcess[];
}

const uint = { type: 'integer', minimum: 0 } as const;
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

const vmaSchema = {
  type: 'object',
  required: ['index', 'start', 'pages', 'firstPage', 'prot', 'shared', 'anon', 'thp', 'collapseBeforeRegister'],
  additionalProperties: false,
  properties: {
    index: uint,
    start: uint,
    pages: { type: 'integer', minimum: 1 },
    firstPage: uint,
    prot: { enum: ['r', 'rw'] },
    shared: { type: 'boolean' },
    anon: { type: 'boolean' },
    thp: { enum: ['default', 'hugepage', 'nohugepage'] },
    collapseBeforeRegister: { type: 'boolean' },
    hugetlb: { type: 'boolean' },
  },
} as const;

const processSchema = {
  type: 'object',
  required: ['pid', 'parent', 'blobOffset', 'totalPages', 'pageFlags', 'vmas'],
  additionalProperties: false,
  properties: {
    pid: { type: 'integer', minimum: 1 },
    parent: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] },
    blobOffset: uint,
    totalPages: uint,
    pageFlags: {
      type: 'array',
      items: {
        type: 'array',
        items: [{ type: 'integer', minimum: 1 }, { type: 'integer', minimum: 0, maximum: 7 }],
        minItems: 2,
        additionalItems: false,
      },
    },
    pageFlagsSha256: sha256,
    vmas: { type: 'array', items: vmaSchema },
  },
} as const;

/** JSON Schema (draft-07) of manifest.json, checked with ajv. */
export const IMAGE_MANIFEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['format', 'version', 'name', 'pageSize', 'blob', 'processes'],
  additionalProperties: false,
  properties: {
    format: { const: IMAGE_FORMAT },
    version: { const: IMAGE_FORMAT_VERSION },
    name: { type: 'string' },
    pageSize: { const: 4096 },
    blob: {
      type: 'object',
      required: ['file', 'bytes', 'sha256'],
      additionalProperties: false,
      properties: {
        file: { type: 'string', pattern: '^[^/\\\\]+$' },
        bytes: uint,
        sha256,
      },
    },
    processes: { type: 'array', minItems: 1, items: processSchema },
  },
} as const;
