import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { normalizeMap, normalizeMaps, percentile, type RawMap } from './normalize.js';

const map = (values: number[], h = 1): RawMap => ({ data: Float32Array.from(values), dims: [h, values.length / h] });
const close = (a: ArrayLike<number>, b: number[]) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `[${i}] ${a[i]} vs ${b[i]}`);
};
const typed = (code: string) => (e: unknown) => e instanceof CnnlensError && e.code === code;

describe('percentile', () => {
  it('interpolates linearly between ranks like NumPy', () => {
    const v = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(v, 100), 10);
    assert.equal(percentile(v, 50), 5);
    assert.equal(percentile([4, 1, 3, 2], 50), 2.5);
    // numpy.percentile(arange(11), 99.5) = 9.95
    assert.ok(Math.abs(percentile(v, 99.5) - 9.95) < 1e-12);
  });
});

describe('normalizeMaps', () => {
  const signed = map([-4, -1, 0, 2, 8, 1]);

  it('sign modes: positive, negative, absolute, all (closed form)', () => {
    const pos = normalizeMap(signed, { sign: 'positive' });
    assert.deepEqual(pos.domain, [0, 8]);
    close(pos.values, [0, 0, 0, 0.25, 1, 0.125]);
    const neg = normalizeMap(signed, { sign: 'negative' });
    assert.deepEqual(neg.domain, [0, -4]);
    close(neg.values, [1, 0.25, 0, 0, 0, 0]);
    const abs = normalizeMap(signed, { sign: 'absolute' });
    assert.deepEqual(abs.domain, [0, 8]);
    close(abs.values, [0.5, 0.125, 0, 0.25, 1, 0.125]);
    const all = normalizeMap(signed, { sign: 'all' });
    assert.deepEqual(all.domain, [-8, 8]);
    close(all.values, [0.25, 0.4375, 0.5, 0.625, 1, 0.5625]);
  });

  it('percentile clipping saturates the outliers', () => {
    const m = map([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000]);
    const d = normalizeMap(m, { sign: 'absolute', percentile: 90 });
    // 90th percentile of [0..9, 1000]: rank 0.9 * 10 = 9 exactly, the value 9
    assert.deepEqual(d.domain, [0, 9]);
    close(d.values.subarray(0, 3), [0, 1 / 9, 2 / 9]);
    assert.equal(d.values[10], 1);
    const sym = normalizeMap(map([-1000, -2, 0, 2, 4]), { sign: 'all', percentile: 75 });
    // |v| = [1000, 2, 0, 2, 4]; sorted [0, 2, 2, 4, 1000]; 75th percentile at rank 3 -> 4
    assert.deepEqual(sym.domain, [-4, 4]);
    close(sym.values, [0, 0.25, 0.5, 0.75, 1]);
  });

  it('shared uses one domain over all maps; per-image one each', () => {
    const a = map([0, 1, 2, 4]);
    const b = map([0, 8, 8, 8]);
    const shared = normalizeMaps([a, b], { mode: 'shared', sign: 'positive' });
    assert.deepEqual(shared.map((s) => s.domain), [[0, 8], [0, 8]]);
    close(shared[0]!.values, [0, 0.125, 0.25, 0.5]);
    const each = normalizeMaps([a, b], { mode: 'per-image', sign: 'positive' });
    assert.deepEqual(each.map((s) => s.domain), [[0, 4], [0, 8]]);
    close(each[0]!.values, [0, 0.25, 0.5, 1]);
  });

  it('raw maps a given domain in the map units and clamps', () => {
    const d = normalizeMap(map([-3, 0, 1, 2, 5]), { mode: 'raw', domain: [-1, 3], sign: 'all' });
    assert.deepEqual(d.domain, [-1, 3]);
    close(d.values, [0, 0.25, 0.5, 0.75, 1]);
    const pos = normalizeMap(map([-3, 0, 2]), { mode: 'raw', domain: [-2, 2], sign: 'positive' });
    close(pos.values, [0.5, 0.5, 1]); // negatives become 0 before the domain applies
  });

  it('an all-zero map shows as 0 (0.5 for signed display) with an empty domain', () => {
    const z = map([0, 0, 0, 0], 2);
    assert.deepEqual(normalizeMap(z, { sign: 'positive' }).domain, [0, 0]);
    close(normalizeMap(z, { sign: 'positive' }).values, [0, 0, 0, 0]);
    close(normalizeMap(z, { sign: 'all' }).values, [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(normalizeMap(z).dims, [2, 2]);
  });

  it('refuses NaN, bad dims and inconsistent options with typed errors', () => {
    assert.throws(() => normalizeMap(map([1, NaN, 2, 3], 2)), (e: unknown) => typed('INPUT_VALUE')(e) && /row 0, column 1/.test((e as Error).message));
    assert.throws(() => normalizeMap(map([1, Infinity])), typed('INPUT_VALUE'));
    assert.throws(() => normalizeMap({ data: new Float32Array(5), dims: [2, 2] }), typed('INPUT_SHAPE'));
    assert.throws(() => normalizeMap(map([1, 2]), { mode: 'raw' }), typed('USAGE'));
    assert.throws(() => normalizeMap(map([1, 2]), { mode: 'raw', domain: [1, 1] }), typed('USAGE'));
    assert.throws(() => normalizeMap(map([1, 2]), { domain: [0, 1] }), typed('USAGE'));
    assert.throws(() => normalizeMap(map([1, 2]), { percentile: 0 }), typed('USAGE'));
    assert.throws(() => normalizeMap(map([1, 2]), { sign: 'both' as never }), typed('USAGE'));
  });
});
