/**
 * The idx format of MNIST and Fashion-MNIST (LeCun et al., "THE MNIST DATABASE", file formats): a
 * big-endian header — two zero bytes, a type byte, the number of dimensions — then one big-endian
 * uint32 per dimension, then the values, row-major, big-endian. Files may be gzipped (`.gz`).
 *
 * `readIdx` parses bytes held in memory; `openIdxFile` reads the header and streams records (one
 * record = one slice along the first dimension, e.g. one 28×28 image) in batches, so memory stays
 * bounded by the batch whatever the file's size. Every size is checked against the header: a file
 * shorter or longer than its header says is refused, naming the file and both sizes.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { fail } from '../errors.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** idx type byte → element type and size */
const TYPES: Readonly<Record<number, { type: IdxType; bytes: number }>> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxHeader {
  readonly type: IdxType;
  readonly dims: readonly number[];
  /** bytes before the values: 4 + 4 × dims */
  readonly headerBytes: number;
  /** bytes per element */
  readonly elementBytes: number;
  /** elements per record (the product of all but the first dimension) */
  readonly recordSize: number;
}

export interface IdxArray {
  readonly type: IdxType;
  readonly dims: readonly number[];
  readonly data: IdxData;
}

/** Largest file the header may announce: 16 GiB (a corrupt header must not ask for more). */
const MAX_BYTES = 2 ** 34;

/** Parses the header from the first bytes of an idx file (at least 4 + 4 × dims bytes). */
export function parseIdxHeader(bytes: Uint8Array, name: string): IdxHeader {
  if (bytes.length < 4) fail('IO', `'${name}' is ${bytes.length} bytes long, too short for an idx header (4 bytes at least).`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b;
    fail('INPUT_VALUE', `'${name}' is not an idx file: its magic number starts with ${hex(bytes[0]!)} ${hex(bytes[1]!)}, not 00 00${gz ? ' (it is gzipped: name it .gz)' : ''}.`);
  }
  const t = TYPES[bytes[2]!];
  if (!t) fail('INPUT_VALUE', `'${name}': unknown idx type byte ${hex(bytes[2]!)} (known: 08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64).`);
  const ndim = bytes[3]!;
  if (ndim < 1) fail('INPUT_VALUE', `'${name}': the idx header declares 0 dimensions.`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) fail('IO', `'${name}' ends inside its idx header (${ndim} dimensions need ${headerBytes} bytes, the file has ${bytes.length}).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (count * t.bytes > MAX_BYTES) fail('INPUT_VALUE', `'${name}': the idx header declares dimensions [${dims.join(', ')}] (${count * t.bytes} bytes of values), more than the ${MAX_BYTES} bytes cnnlens accepts; the header is likely corrupt.`);
  return { type: t.type, dims, headerBytes, elementBytes: t.bytes, recordSize: dims.slice(1).reduce((a, b) => a * b, 1) };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

/** Big-endian values → a typed array of the idx type (uint8/int8 are copied as they are). */
export function decodeIdxValues(type: IdxType, bytes: Uint8Array): IdxData {
  switch (type) {
    case 'uint8':
      return bytes.slice();
    case 'int8':
      return new Int8Array(bytes.slice().buffer);
    default: {
      const size = type === 'int16' ? 2 : type === 'float64' ? 8 : 4;
      const n = bytes.length / size;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (type === 'int16') return Int16Array.from({ length: n }, (_, i) => view.getInt16(i * 2, false));
      if (type === 'int32') return Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, false));
      if (type === 'float32') return Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, false));
      return Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, false));
    }
  }
}

/** Parses a whole idx file held in memory (already gunzipped). */
export function readIdx(bytes: Uint8Array, name = 'idx data'): IdxArray {
  const h = parseIdxHeader(bytes, name);
  const want = h.headerBytes + h.dims[0]! * h.recordSize * h.elementBytes;
  if (bytes.length !== want) fail('IO', `'${name}' has ${bytes.length} bytes, but its idx header [${h.dims.join(', ')}] ${h.type} needs exactly ${want}; the file is ${bytes.length < want ? 'truncated' : 'followed by extra bytes'}.`);
  return { type: h.type, dims: h.dims, data: decodeIdxValues(h.type, bytes.subarray(h.headerBytes)) };
}

export interface IdxRecords {
  /** index of the first record in the batch */
  readonly start: number;
  /** the records' values, `count × recordSize` elements */
  readonly data: IdxData;
  readonly count: number;
}

export interface IdxFile {
  readonly path: string;
  readonly header: IdxHeader;
  /** number of records (the first dimension) */
  readonly length: number;
  /**
   * Streams the records from `from` on, `batch` at a time (the last batch may be smaller). Memory
   * holds one batch plus the reader's buffer. Throws IO if the file ends early or runs on.
   */
  records(batch: number, from?: number): AsyncGenerator<IdxRecords>;
}

const isGzip = (path: string) => path.toLowerCase().endsWith('.gz');

async function* byteChunks(path: string, skip: number): AsyncGenerator<Uint8Array> {
  // plain files start reading at the first wanted byte; gzipped ones are decompressed from the start
  const gz = isGzip(path);
  const stream = gz ? createReadStream(path).pipe(createGunzip()) : createReadStream(path, { start: skip, highWaterMark: 1 << 20 });
  let toSkip = gz ? skip : 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let c = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      if (toSkip > 0) {
        const k = Math.min(toSkip, c.length);
        toSkip -= k;
        c = c.subarray(k);
        if (c.length === 0) continue;
      }
      yield c;
    }
  } catch (e) {
    fail('IO', `cannot read '${path}': ${e instanceof Error ? e.message : String(e)}`, e);
  } finally {
    stream.destroy();
  }
  if (toSkip > 0) fail('IO', `'${path}' ends before record data starts; the file is truncated.`);
}

async function readHead(path: string): Promise<Uint8Array> {
  // 4 + 4 × 255 bytes is the largest possible header
  const max = 4 + 4 * 255;
  if (isGzip(path)) {
    const parts: Uint8Array[] = [];
    let got = 0;
    const stream = createReadStream(path).pipe(createGunzip());
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        parts.push(new Uint8Array(chunk));
        got += chunk.length;
        if (got >= max) break;
      }
    } catch (e) {
      fail('IO', `cannot read '${path}' as gzip: ${e instanceof Error ? e.message : String(e)}`, e);
    } finally {
      stream.destroy();
    }
    const all = new Uint8Array(got);
    let o = 0;
    for (const p of parts) all.set(p, (o += p.length) - p.length);
    return all.subarray(0, Math.min(got, max));
  }
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => fail('IO', `cannot open '${path}': ${e.code ?? e.message}${e.code === 'ENOENT' ? ' (no such file)' : ''}.`, e));
  try {
    const buf = new Uint8Array(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Opens an idx file (plain or `.gz`): reads and checks the header; records are streamed on demand. */
export async function openIdxFile(path: string): Promise<IdxFile> {
  const head = await readHead(path);
  const header = parseIdxHeader(head, path);
  const length = header.dims[0]!;
  const recordBytes = header.recordSize * header.elementBytes;
  const total = header.headerBytes + length * recordBytes;
  if (!isGzip(path)) {
    const fh = await open(path, 'r');
    const size = (await fh.stat()).size;
    await fh.close();
    if (size !== total) fail('IO', `'${path}' has ${size} bytes, but its idx header [${header.dims.join(', ')}] ${header.type} needs exactly ${total}; the file is ${size < total ? 'truncated' : 'followed by extra bytes'}.`);
  }
  return {
    path,
    header,
    length,
    async *records(batch: number, from = 0) {
      if (!(Number.isInteger(batch) && batch >= 1)) fail('USAGE', `the batch size must be a positive integer, got ${batch}.`);
      if (!(Number.isInteger(from) && from >= 0 && from <= length)) fail('USAGE', `record ${from} is out of range: '${path}' holds ${length} records.`);
      let index = from;
      const buf = new Uint8Array(Math.max(1, Math.min(batch, length - from)) * recordBytes);
      let fill = 0;
      let consumed = 0;
      for await (let chunk of byteChunks(path, header.headerBytes + from * recordBytes)) {
        while (chunk.length > 0) {
          if (index >= length) fail('IO', `'${path}' is longer than its idx header [${header.dims.join(', ')}] says; the file is followed by extra bytes.`);
          const want = Math.min(batch, length - index) * recordBytes;
          const k = Math.min(want - fill, chunk.length);
          buf.set(chunk.subarray(0, k), fill);
          fill += k;
          consumed += k;
          chunk = chunk.subarray(k);
          if (fill === want) {
            const count = want / recordBytes;
            yield { start: index, count, data: decodeIdxValues(header.type, buf.subarray(0, want)) };
            index += count;
            fill = 0;
          }
        }
      }
      if (index < length) fail('IO', `'${path}' ends after ${from + Math.floor(consumed / recordBytes)} of the ${length} records its idx header declares; the file is truncated.`);
    },
  };
}
