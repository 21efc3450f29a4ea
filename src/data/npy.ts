/**
 * NumPy .npy files from and to bytes (platform neutral). Format: numpy.lib.format, versions 1.0,
 * 2.0 and 3.0; C order only; little- or big-endian input, little-endian output.
 */
import { fail } from '../errors.js';
import type { HostData, HostTensor } from '../runtime/backend.js';

export type NpyDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** row-major; bool is one byte per value (0 or 1) */
  readonly data: HostData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface DtypeInfo {
  readonly dtype: NpyDtype;
  readonly size: number;
  readonly descr: string;
}

const BY_KIND: Readonly<Record<string, DtypeInfo>> = {
  f4: { dtype: 'float32', size: 4, descr: '<f4' },
  f8: { dtype: 'float64', size: 8, descr: '<f8' },
  i8: { dtype: 'int64', size: 8, descr: '<i8' },
  i4: { dtype: 'int32', size: 4, descr: '<i4' },
  u1: { dtype: 'uint8', size: 1, descr: '|u1' },
  b1: { dtype: 'bool', size: 1, descr: '|b1' },
};

const BY_DTYPE: Readonly<Record<NpyDtype, DtypeInfo>> = Object.fromEntries(Object.values(BY_KIND).map((i) => [i.dtype, i])) as Record<NpyDtype, DtypeInfo>;

const CONVERT_HINT = 'convert it in NumPy first, e.g. np.save(path, arr.astype(np.float32))';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// reading

type PyValue = string | boolean | number | null | PyValue[] | { [key: string]: PyValue };

/** Parses the header: a Python literal dict of strings, booleans, ints and tuples. */
function parseHeader(text: string): Record<string, PyValue> {
  let i = 0;
  const err = (what: string): never => fail('NPY', `malformed .npy header (${what} at character ${i}): ${JSON.stringify(text.slice(0, 200))}`);
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) err('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) { i++; return items; }
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) err(`expected ',' or '${close}'`);
      }
    }
    if (c === '{') {
      i++;
      const obj: Record<string, PyValue> = {};
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return obj; }
        const k = value();
        if (typeof k !== 'string') err('dict key is not a string');
        ws();
        if (text[i] !== ':') err("expected ':'");
        i++;
        obj[k as string] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') err("expected ',' or '}'");
      }
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i, i + 40));
    if (!m) return err('unexpected token');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', ''));
  };
  const v = value();
  ws();
  if (i !== text.length) err('trailing characters');
  if (typeof v !== 'object' || v === null || Array.isArray(v)) err('not a dict');
  return v as Record<string, PyValue>;
}

function parseDescr(descr: PyValue): { info: DtypeInfo; bigEndian: boolean } {
  if (typeof descr !== 'string') fail('NPY', `.npy arrays of structured dtype (${JSON.stringify(descr)}) are not supported; save a plain numeric array.`);
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const info = m ? BY_KIND[`${m[2]}${m[3]}`] : undefined;
  if (!m || !info) {
    fail('NPY', `.npy dtype '${descr}' is not supported; cnnlens reads float32, float64, int64, int32, uint8 and bool — ${CONVERT_HINT}.`);
  }
  // '=' (native order) does not occur in files NumPy writes; it is read as little-endian
  return { info, bigEndian: m[1] === '>' && info.size > 1 };
}

function byteSwap(bytes: Uint8Array, size: number): void {
  for (let o = 0; o < bytes.length; o += size) {
    for (let a = o, b = o + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

function view(dtype: NpyDtype, buf: ArrayBuffer, offset: number, n: number): HostData {
  switch (dtype) {
    case 'float32': return new Float32Array(buf, offset, n);
    case 'float64': return new Float64Array(buf, offset, n);
    case 'int64': return new BigInt64Array(buf, offset, n);
    case 'int32': return new Int32Array(buf, offset, n);
    case 'uint8':
    case 'bool': return new Uint8Array(buf, offset, n);
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let k = 0; k < b.length; k += 8192) s += String.fromCharCode(...b.subarray(k, k + 8192));
  return s;
}

/**
 * Reads a .npy file's bytes. The returned data views `bytes` when the payload is aligned and in
 * native byte order, and is a copy otherwise.
 */
export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, k) => bytes[k] === b)) {
    fail('NPY', 'not a .npy file (the magic string \\x93NUMPY is missing); save arrays with np.save.');
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) fail('NPY', `.npy format version ${major}.${minor} is not supported (1.0, 2.0 and 3.0 are).`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('NPY', '.npy file is truncated inside its preamble.');
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.length) fail('NPY', `.npy header claims ${headerLen} bytes but the file has only ${bytes.length - 8 - lenBytes} after the preamble: the file is truncated or corrupt.`);
  const headerBytes = bytes.subarray(8 + lenBytes, dataStart);
  // versions 1 and 2 store the header in latin-1, version 3 in UTF-8
  const text = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : latin1(headerBytes);
  const header = parseHeader(text.trim());
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in header)) fail('NPY', `.npy header lacks '${key}': ${JSON.stringify(text.trim())}`);
  }
  const { info, bigEndian } = parseDescr(header.descr!);
  if (header.fortran_order === true) {
    fail('NPY', '.npy array is in Fortran (column-major) order; cnnlens reads C order only — save np.ascontiguousarray(arr) instead.');
  }
  if (header.fortran_order !== false) fail('NPY', `.npy header has fortran_order ${JSON.stringify(header.fortran_order)}; expected True or False.`);
  const shapeV = header.shape;
  if (!Array.isArray(shapeV) || !shapeV.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    fail('NPY', `.npy header has an invalid shape ${JSON.stringify(shapeV)}.`);
  }
  const shape = shapeV as number[];
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) fail('NPY', `.npy shape (${shape.join(', ')}) is absurdly large.`);
  }
  const payload = bytes.length - dataStart;
  if (n * info.size !== payload) {
    fail('NPY', `.npy shape (${shape.join(', ')}) of ${info.dtype} needs ${n * info.size} bytes of data but the file has ${payload}${payload < n * info.size ? ': the file is truncated' : ''}.`);
  }
  const swap = info.size > 1 && bigEndian === LITTLE_ENDIAN;
  const abs = bytes.byteOffset + dataStart;
  let data: HostData;
  if (!swap && abs % info.size === 0) {
    data = view(info.dtype, bytes.buffer as ArrayBuffer, abs, n);
  } else {
    // a fresh copy (Buffer#slice would return a view of the caller's bytes)
    const copy = new Uint8Array(payload);
    copy.set(bytes.subarray(dataStart));
    if (swap) byteSwap(copy, info.size);
    data = view(info.dtype, copy.buffer, 0, n);
  }
  return { dtype: info.dtype, shape, data };
}

// ---------------------------------------------------------------------------------------------
// writing

function dataMatches(dtype: NpyDtype, data: HostData): boolean {
  switch (dtype) {
    case 'float32': return data instanceof Float32Array;
    case 'float64': return data instanceof Float64Array;
    case 'int64': return data instanceof BigInt64Array;
    case 'int32': return data instanceof Int32Array;
    case 'uint8':
    case 'bool': return data instanceof Uint8Array;
  }
}

/** Accepts an NpyArray or a HostTensor (same element type names). */
export function toNpyArray(t: NpyArray | HostTensor): NpyArray {
  return 'dtype' in t ? t : { dtype: t.type, shape: t.dims, data: t.data };
}

export function toHostTensor(a: NpyArray): HostTensor {
  return { type: a.dtype, dims: [...a.shape], data: a.data };
}

/** The header NumPy's np.save writes for the same array (byte for byte). */
function headerText(info: DtypeInfo, shape: readonly number[], preambleLen: number): string {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  // spare room so dim 0 can grow in place (NumPy's GROWTH_AXIS_MAX_DIGITS = 21)
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  // spaces and a final newline so the data starts at a multiple of 64 bytes (always 1–64 spaces, as NumPy)
  const pad = 64 - ((preambleLen + dict.length + 1) % 64);
  return dict + ' '.repeat(pad) + '\n';
}

/** Encodes an array as .npy bytes (format 1.0, or 2.0 when the header exceeds 65535 bytes). */
export function writeNpy(t: NpyArray | HostTensor): Uint8Array {
  const a = toNpyArray(t);
  const info = BY_DTYPE[a.dtype];
  if (!info) fail('NPY', `cannot write dtype '${String(a.dtype)}' to .npy.`);
  if (!dataMatches(a.dtype, a.data)) fail('NPY', `array declared ${a.dtype} holds a ${a.data.constructor.name}.`);
  if (!a.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail('NPY', `invalid shape (${a.shape.join(', ')}).`);
  const n = a.shape.reduce((p, d) => p * d, 1);
  if (n !== a.data.length) fail('NPY', `shape (${a.shape.join(', ')}) has ${n} elements but the data has ${a.data.length}.`);
  let major = 1;
  let header = headerText(info, a.shape, 10);
  if (header.length > 0xffff) {
    major = 2;
    header = headerText(info, a.shape, 12);
  }
  const pre = major === 1 ? 10 : 12;
  const out = new Uint8Array(pre + header.length + n * info.size);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  for (let k = 0; k < header.length; k++) out[pre + k] = header.charCodeAt(k);
  const payload = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  out.set(payload, pre + header.length);
  if (a.dtype === 'bool') {
    // NumPy bools are exactly 0 or 1
    const body = out.subarray(pre + header.length);
    for (let k = 0; k < body.length; k++) body[k] = body[k] ? 1 : 0;
  }
  if (!LITTLE_ENDIAN && info.size > 1) byteSwap(out.subarray(pre + header.length), info.size);
  return out;
}
