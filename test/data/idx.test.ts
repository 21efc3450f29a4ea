/**
 * The idx reader: headers of every type, big-endian values, streamed records equal to a whole read,
 * gzipped files, and typed errors for bad magic numbers, unknown types and truncated or overlong files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CnnlensError } from '../../src/errors.js';
import { openIdxFile, parseIdxHeader, readIdx } from '../../src/data/idx.js';
import { idxDataset, mnistDataDir } from '../../src/data/idx-dataset.js';

function idxBytes(type: number, dims: number[], values: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const v = new DataView(out.buffer);
  v.setUint8(2, type);
  v.setUint8(3, dims.length);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(values, 4 + 4 * dims.length);
  return out;
}

const code = (c: string) => (e: unknown) => e instanceof CnnlensError && e.code === c;

test('headers and big-endian values of every idx type', () => {
  const u8 = readIdx(idxBytes(0x08, [2, 3], Uint8Array.from([0, 1, 2, 253, 254, 255])));
  assert.deepEqual(u8.dims, [2, 3]);
  assert.equal(u8.type, 'uint8');
  assert.deepEqual([...u8.data], [0, 1, 2, 253, 254, 255]);
  const i8 = readIdx(idxBytes(0x09, [2], Uint8Array.from([0xff, 0x7f])));
  assert.deepEqual([...i8.data], [-1, 127]);
  const i16 = readIdx(idxBytes(0x0b, [2], Uint8Array.from([0x01, 0x02, 0xff, 0xfe])));
  assert.deepEqual([...i16.data], [0x0102, -2]);
  const i32 = readIdx(idxBytes(0x0c, [1], Uint8Array.from([0x00, 0x01, 0x00, 0x00])));
  assert.deepEqual([...i32.data], [65536]);
  const f32 = new Uint8Array(8);
  new DataView(f32.buffer).setFloat32(0, 1.5, false);
  new DataView(f32.buffer).setFloat32(4, -0.25, false);
  assert.deepEqual([...readIdx(idxBytes(0x0d, [2], f32)).data], [1.5, -0.25]);
  const f64 = new Uint8Array(8);
  new DataView(f64.buffer).setFloat64(0, Math.PI, false);
  assert.deepEqual([...readIdx(idxBytes(0x0e, [1], f64)).data], [Math.PI]);
  const h = parseIdxHeader(idxBytes(0x08, [10, 28, 28], new Uint8Array(0)), 'x');
  assert.deepEqual(h, { type: 'uint8', dims: [10, 28, 28], headerBytes: 16, elementBytes: 1, recordSize: 784 });
});

test('bad magic numbers, unknown types, truncated and overlong files are typed errors', async () => {
  const good = idxBytes(0x08, [4, 2], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  const bad = good.slice();
  bad[0] = 1;
  assert.throws(() => readIdx(bad, 'bad'), code('INPUT_VALUE'));
  assert.throws(() => readIdx(gzipSync(good), 'gz'), /gzipped/);
  const type = good.slice();
  type[2] = 0x07;
  assert.throws(() => readIdx(type, 't'), /unknown idx type byte 07/);
  assert.throws(() => readIdx(good.subarray(0, 2)), code('IO'));
  assert.throws(() => readIdx(good.subarray(0, 10)), /ends inside its idx header/);
  assert.throws(() => readIdx(good.subarray(0, 15)), /truncated/);
  assert.throws(() => readIdx(Uint8Array.from([...good, 9])), /extra bytes/);
  assert.throws(() => parseIdxHeader(idxBytes(0x0e, [65536, 65536, 65536], new Uint8Array(0)), 'huge'), /likely corrupt/);

  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-idx-'));
  const write = (name: string, bytes: Uint8Array) => { writeFileSync(join(dir, name), bytes); return join(dir, name); };
  await assert.rejects(openIdxFile(write('short', good.subarray(0, 12))), /truncated/);
  await assert.rejects(openIdxFile(write('long', Uint8Array.from([...good, 0]))), /extra bytes/);
  await assert.rejects(openIdxFile(join(dir, 'missing')), code('IO'));
  // a gzipped file's size is only known at its end: streaming it finds the truncation
  const gz = await openIdxFile(write('short.gz', gzipSync(good.subarray(0, 14))));
  await assert.rejects(async () => { for await (const _ of gz.records(2)) void _; }, /ends after 1 of the 4 records/);
  const gzLong = await openIdxFile(write('long.gz', gzipSync(Uint8Array.from([...good, 0, 0]))));
  await assert.rejects(async () => { for await (const _ of gzLong.records(3)) void _; }, /extra bytes/);
});

test('streamed records equal the whole file, from any start, plain and gzipped', async () => {
  const n = 37;
  const values = Uint8Array.from({ length: n * 6 }, (_, i) => (i * 37 + 11) & 255);
  const bytes = idxBytes(0x08, [n, 2, 3], values);
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-idx-'));
  writeFileSync(join(dir, 'a-ubyte'), bytes);
  writeFileSync(join(dir, 'a-ubyte.gz'), gzipSync(bytes));
  for (const file of ['a-ubyte', 'a-ubyte.gz']) {
    const f = await openIdxFile(join(dir, file));
    assert.equal(f.length, n);
    for (const [batch, from] of [[1, 0], [5, 0], [8, 13], [100, 36], [4, 37]] as const) {
      const got: number[] = [];
      let next = from;
      for await (const r of f.records(batch, from)) {
        assert.equal(r.start, next);
        assert.ok(r.count <= batch);
        next += r.count;
        got.push(...r.data);
      }
      assert.equal(next, n);
      assert.deepEqual(got, [...values.subarray(from * 6)], `${file} batch ${batch} from ${from}`);
    }
  }
});

test('the MNIST test set: 10,000 28x28 images with labels, streamed in batches', async () => {
  const dir = mnistDataDir();
  const d = await idxDataset(join(dir, 't10k-images-idx3-ubyte'), { labels: join(dir, 't10k-labels-idx1-ubyte') });
  assert.equal(d.length, 10000);
  const counts = new Array(10).fill(0);
  let seen = 0;
  for await (const b of d.batches(999)) {
    assert.equal(b.start, seen);
    seen += b.images.length;
    for (const l of b.labels) counts[l]++;
    assert.equal(b.images[0]!.width, 28);
  }
  assert.equal(seen, 10000);
  // the published class counts of the MNIST test set
  assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  const some = await d.picturesAt([9999, 0, 5000]);
  assert.equal(some.get(0)!.label, 7);
  assert.equal(some.get(9999)!.label, 6);
  assert.equal(some.size, 3);
});
