/** Making and reading IR tensors. */
import { fail } from '../errors.js';
import { DType, dtypeName, dtypeSize, type Tensor } from './ir.js';

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

export function floatTensor(name: string, dims: readonly number[], data: ArrayLike<number>): Tensor {
  return { name, dataType: DType.FLOAT, dims: [...dims], raw: bytesOf(Float32Array.from(data)) };
}

export function doubleTensor(name: string, dims: readonly number[], data: ArrayLike<number>): Tensor {
  return { name, dataType: DType.DOUBLE, dims: [...dims], raw: bytesOf(Float64Array.from(data)) };
}

export function int64Tensor(name: string, dims: readonly number[], data: ArrayLike<number>): Tensor {
  const b = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) b[i] = toInt64(data[i]!);
  return { name, dataType: DType.INT64, dims: [...dims], raw: bytesOf(b) };
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** A number as int64, saturating (ONNX uses +-2^63 sentinels such as Slice's "to the end"). */
function toInt64(v: number): bigint {
  if (Number.isNaN(v)) return 0n;
  if (v >= 9223372036854775807) return INT64_MAX;
  if (v <= -9223372036854775808) return INT64_MIN;
  return BigInt(Math.trunc(v));
}

/** A tensor of the given floating element type (float32 or float64). */
export function realTensor(name: string, dataType: number, dims: readonly number[], data: ArrayLike<number>): Tensor {
  if (dataType === DType.DOUBLE) return doubleTensor(name, dims, data);
  if (dataType === DType.FLOAT) return floatTensor(name, dims, data);
  fail('ONNX_UNSUPPORTED', `cannot make a constant of element type ${dtypeName(dataType)}; cnnlens differentiates float32 and float64 graphs.`);
}

export function renamed(t: Tensor, name: string): Tensor {
  return { ...t, name };
}

/** Reads a numeric tensor as plain numbers (int64 values beyond 2^53 lose precision, as the ONNX sentinels do harmlessly). */
export function tensorValues(t: Tensor): number[] {
  const n = numel(t.dims);
  const size = dtypeSize(t.dataType);
  if (size === 0 || t.raw.length < n * size) fail('ONNX_UNSUPPORTED', `tensor '${t.name}' of type ${dtypeName(t.dataType)} cannot be read as numbers.`);
  const dv = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (t.dataType) {
      case DType.FLOAT: out[i] = dv.getFloat32(i * 4, true); break;
      case DType.DOUBLE: out[i] = dv.getFloat64(i * 8, true); break;
      case DType.INT64: out[i] = Number(dv.getBigInt64(i * 8, true)); break;
      case DType.UINT64: out[i] = Number(dv.getBigUint64(i * 8, true)); break;
      case DType.INT32: out[i] = dv.getInt32(i * 4, true); break;
      case DType.UINT32: out[i] = dv.getUint32(i * 4, true); break;
      case DType.INT16: out[i] = dv.getInt16(i * 2, true); break;
      case DType.UINT16: out[i] = dv.getUint16(i * 2, true); break;
      case DType.INT8: out[i] = dv.getInt8(i); break;
      case DType.UINT8: case DType.BOOL: out[i] = dv.getUint8(i); break;
      case DType.FLOAT16: out[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
      default: fail('ONNX_UNSUPPORTED', `tensor '${t.name}' of type ${dtypeName(t.dataType)} cannot be read as numbers.`);
    }
  }
  return out;
}

/** An IEEE 754 half-precision value (its 16 bits) as a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
