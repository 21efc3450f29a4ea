import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { hostTensor } from '../runtime/backend.js';
import { readNpy, toHostTensor, writeNpy, type NpyArray } from './npy.js';

/** Encodes a .npy file by hand from the format spec (numpy.lib.format). */
function encode(header: string, payload: Uint8Array, version = 1, pad = true): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let h = header;
  if (pad) h += ' '.repeat(64 - ((pre + h.length + 1) % 64)) + '\n';
  const out = new Uint8Array(pre + h.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[pre + i] = h.charCodeAt(i);
  out.set(payload, pre + h.length);
  return out;
}

const le = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function npyError(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CnnlensError, String(e));
    assert.equal(e.code, 'NPY');
    assert.match(e.message, pattern);
    return true;
  });
}

describe('writeNpy / readNpy', () => {
  const cases: NpyArray[] = [
    { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, -2.5, 3e-8, Infinity, NaN, -0]) },
    { dtype: 'float64', shape: [3], data: new Float64Array([Math.PI, -1e300, 5e-324]) },
    { dtype: 'int64', shape: [2, 1], data: new BigInt64Array([-(2n ** 63n), 2n ** 62n + 1n]) },
    { dtype: 'int32', shape: [1, 1, 2], data: new Int32Array([-7, 2 ** 31 - 1]) },
    { dtype: 'uint8', shape: [4], data: new Uint8Array([0, 1, 128, 255]) },
    { dtype: 'bool', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
    { dtype: 'float32', shape: [], data: new Float32Array([42]) },
    { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
  ];

  it('round-trips every dtype, scalars and empty arrays bit for bit', () => {
    for (const c of cases) {
      const back = readNpy(writeNpy(c));
      assert.equal(back.dtype, c.dtype);
      assert.deepEqual(back.shape, c.shape);
      assert.equal(back.data.constructor, c.data.constructor);
      assert.deepEqual(le(back.data), le(c.data), `${c.dtype} [${c.shape.join(',')}]`);
    }
  });

  it('writes exactly what np.save writes (hand-encoded from the spec)', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    // np.save pads the shape with spare room for dim 0 to grow: 21 - len(repr(shape[0])) spaces
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + ' '.repeat(20);
    const golden = encode(header, le(data));
    assert.deepEqual(writeNpy({ dtype: 'float32', shape: [2, 3], data }), golden);
    assert.equal(golden.length % 64, 24, 'data starts on a 64-byte boundary');
    const scalarHeader = "{'descr': '<i8', 'fortran_order': False, 'shape': (), }";
    assert.deepEqual(writeNpy(hostTensor('int64', [], new BigInt64Array([5n]))), encode(scalarHeader, le(new BigInt64Array([5n]))));
    const oneD = "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }" + ' '.repeat(20);
    assert.deepEqual(writeNpy({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 7]) }), encode(oneD, new Uint8Array([1, 0, 1])));
  });

  it('accepts HostTensors and converts back', () => {
    const t = hostTensor('float32', [1, 2], new Float32Array([3, 4]));
    const back = toHostTensor(readNpy(writeNpy(t)));
    assert.deepEqual(back, { type: 'float32', dims: [1, 2], data: new Float32Array([3, 4]) });
  });

  it('writes format 2.0 when the header exceeds 65535 bytes, and reads 2.0 and 3.0', () => {
    const shape = Array.from({ length: 25000 }, () => 1);
    const bytes = writeNpy({ dtype: 'uint8', shape, data: new Uint8Array([9]) });
    assert.equal(bytes[6], 2);
    const back = readNpy(bytes);
    assert.equal(back.shape.length, 25000);
    assert.deepEqual([...back.data], [9]);
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    const d = new Float64Array([1.5, -2]);
    assert.deepEqual([...readNpy(encode(header, le(d), 2)).data], [1.5, -2]);
    assert.deepEqual([...readNpy(encode(header, le(d), 3)).data], [1.5, -2]);
  });

  it('reads unpadded headers, extra whitespace and old-style tuples', () => {
    const d = new Int32Array([1, 2, 3]);
    const r = readNpy(encode("{ 'shape':(3,) ,'fortran_order':False,'descr':'<i4'}", le(d), 1, false));
    assert.deepEqual(r.shape, [3]);
    assert.deepEqual([...r.data], [1, 2, 3]);
    const r2 = readNpy(encode("{'descr': '<u1', 'fortran_order': False, 'shape': (2L, 1L), }", new Uint8Array([4, 5])));
    assert.deepEqual(r2.shape, [2, 1]);
  });

  it('converts big-endian input', () => {
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setFloat32(0, 1.25, false);
    new DataView(payload.buffer).setFloat32(4, -3, false);
    const r = readNpy(encode("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", payload));
    assert.deepEqual([...r.data], [1.25, -3]);
    const p64 = new Uint8Array(8);
    new DataView(p64.buffer).setBigInt64(0, -5n, false);
    assert.deepEqual([...readNpy(encode("{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }", p64)).data], [-5n]);
  });

  it('never modifies the caller\'s bytes, even a Buffer whose slice() is a view', () => {
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setFloat64(0, 0.1, false);
    const buf = Buffer.from(encode("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", payload));
    const copy = Buffer.from(buf);
    assert.deepEqual([...readNpy(buf).data], [0.1]);
    assert.ok(buf.equals(copy));
  });

  it('returns aligned data as a view and copies unaligned data', () => {
    const bytes = writeNpy({ dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) });
    const a = readNpy(bytes);
    assert.equal(a.data.buffer, bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const b = readNpy(shifted.subarray(1));
    assert.deepEqual([...b.data], [1, 2]);
  });

  it('rejects bad input with NPY errors that say what to do', () => {
    const good = writeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
    npyError(() => readNpy(new Uint8Array(0)), /magic/);
    npyError(() => readNpy(new TextEncoder().encode('PK\x03\x04 this is a zip')), /not a \.npy file/);
    npyError(() => readNpy(good.subarray(0, good.length - 1)), /needs 24 bytes.*has 23: the file is truncated/);
    npyError(() => readNpy(good.subarray(0, 40)), /header claims \d+ bytes.*truncated/);
    npyError(() => readNpy(good.subarray(0, 9)), /magic|truncated/);
    const withExtra = new Uint8Array(good.length + 4);
    withExtra.set(good);
    npyError(() => readNpy(withExtra), /needs 24 bytes.*has 28/);
    npyError(() => readNpy(encode("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", new Uint8Array(24))), /Fortran.*np\.ascontiguousarray/);
    npyError(() => readNpy(encode("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000, 1000000000), }", new Uint8Array(4))), /absurdly large/);
    npyError(() => readNpy(encode("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", new Uint8Array(4))), /needs 40000000000 bytes/);
    npyError(() => readNpy(encode("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", new Uint8Array(4))), /invalid shape/);
    npyError(() => readNpy(encode("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(4))), /dtype '<f2' is not supported.*astype/);
    npyError(() => readNpy(encode("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4))), /structured/);
    npyError(() => readNpy(encode("{'descr': '<f4', 'shape': (1,), }", new Uint8Array(4))), /lacks 'fortran_order'/);
    npyError(() => readNpy(encode("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", new Uint8Array(4))), /malformed/);
    npyError(() => readNpy(encode("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", new Uint8Array(4))), /malformed/);
    const v9 = good.slice();
    v9[6] = 9;
    npyError(() => readNpy(v9), /version 9\.0/);
  });

  it('rejects inconsistent arrays on write', () => {
    npyError(() => writeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }), /4 elements but the data has 3/);
    npyError(() => writeNpy({ dtype: 'int64', shape: [1], data: new Float64Array(1) }), /declared int64/);
  });
});
