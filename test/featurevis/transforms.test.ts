import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageBatch, type ImageBatch } from '../../src/featurevis/image-batch.js';
import { compose, fitTo, jitter, pad, randomRotate, randomScale, sampleAffine, standardTransforms, type Transform } from '../../src/featurevis/transforms.js';
import { Random } from '../../src/util/random.js';

const batch = (h: number, w: number, values: number[], n = 1, c = 1) => imageBatch(n, c, h, w, Float32Array.from(values));
const arr = (x: ImageBatch) => [...x.data];

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** <T x, g> = <x, T* g> for random x and g: the backward pass is the exact adjoint. */
function checkAdjoint(t: Transform | Transform[], n: number, c: number, h: number, w: number, seed: number): void {
  const rng = new Random(seed);
  const x = imageBatch(n, c, h, w, Float32Array.from(rng.normals(n * c * h * w)));
  const applied = compose(Array.isArray(t) ? t : [t], x, new Random(seed + 1));
  const g = imageBatch(applied.out.n, applied.out.c, applied.out.h, applied.out.w, Float32Array.from(rng.normals(applied.out.data.length)));
  // the fill value is an affine offset, not part of the linear map: measure it with x = 0
  const zero = compose(Array.isArray(t) ? t : [t], imageBatch(n, c, h, w), new Random(seed + 1)).out;
  const lhs = dot(applied.out.data, g.data) - dot(zero.data, g.data);
  const rhs = dot(x.data, applied.backward(g).data);
  assert.ok(Math.abs(lhs - rhs) <= 1e-4 * (Math.abs(lhs) + 1), `adjoint mismatch: ${lhs} vs ${rhs}`);
}

describe('transforms: exact values on small inputs', () => {
  const x = batch(2, 2, [1, 2, 3, 4]);

  it('pad: constant and reflect', () => {
    const p = pad(1, { value: 0.5 }).apply(x, new Random(0)).out;
    assert.deepEqual([p.h, p.w], [4, 4]);
    assert.deepEqual(arr(p), [0.5, 0.5, 0.5, 0.5, 0.5, 1, 2, 0.5, 0.5, 3, 4, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const r = pad(1, { mode: 'reflect' }).apply(batch(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]), new Random(0)).out;
    assert.deepEqual(arr(r).slice(0, 5), [5, 4, 5, 6, 5]);
    assert.deepEqual(arr(r).slice(20, 25), [5, 4, 5, 6, 5]);
  });

  it('jitter: a crop at offsets drawn from the generator, the same for the same seed', () => {
    const big = batch(4, 4, Array.from({ length: 16 }, (_, i) => i));
    const a = jitter(2).apply(big, new Random(7)).out;
    const b = jitter(2).apply(big, new Random(7)).out;
    assert.deepEqual(arr(a), arr(b));
    const rng = new Random(7);
    const dy = Math.floor(rng.next() * 3), dx = Math.floor(rng.next() * 3);
    const want = [0, 1].flatMap((y) => [0, 1].map((xx) => (y + dy) * 4 + xx + dx));
    assert.deepEqual([a.h, a.w], [2, 2]);
    assert.deepEqual(arr(a), want);
  });

  it('scale: x2 about the centre reads the input at half the distance from the centre', () => {
    // 3x3 ramp v = 10 y + x; centre (1, 1); output (0, 0) reads (0.5, 0.5) = 5.5
    const ramp = batch(3, 3, [0, 1, 2, 10, 11, 12, 20, 21, 22]);
    const s = randomScale([2]).apply(ramp, new Random(0)).out;
    assert.deepEqual(arr(s), [5.5, 6, 6.5, 10.5, 11, 11.5, 15.5, 16, 16.5]);
    // x0.5: the corners read 2 pixels beyond the centre, outside: the fill value
    const half = randomScale([0.5], { fill: 0 }).apply(ramp, new Random(0)).out;
    assert.equal(half.data[4], 11);
    assert.equal(half.data[0], 0);
  });

  it('rotate: 90 degrees permutes pixels exactly; 0 degrees is the identity', () => {
    const g = batch(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const r = randomRotate([90]).apply(g, new Random(0)).out;
    // counter-clockwise as displayed: the right column becomes the top row
    assert.deepEqual(arr(r), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
    assert.deepEqual(arr(randomRotate([0]).apply(g, new Random(0)).out), arr(g));
    assert.deepEqual(arr(randomRotate([180]).apply(g, new Random(0)).out), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('fit: centre crop of a larger image, constant padding of a smaller one', () => {
    const big = batch(4, 4, Array.from({ length: 16 }, (_, i) => i));
    assert.deepEqual(arr(fitTo(2, 2).apply(big, new Random(0)).out), [5, 6, 9, 10]);
    assert.deepEqual(arr(fitTo(4, 4, { fill: 0 }).apply(x, new Random(0)).out), [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
  });

  it('compose: consecutive affine maps are sampled once, equal to applying them in turn where both are exact', () => {
    const g = batch(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const one = compose([pad(1, { value: 0 }), randomRotate([90]), fitTo(3, 3)], g, new Random(0)).out;
    assert.deepEqual(arr(one), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  });

  it('every transform and the standard chain are exact adjoints (dot-product test)', () => {
    checkAdjoint(pad(2), 2, 3, 5, 6, 1);
    checkAdjoint(pad(2, { mode: 'reflect' }), 2, 3, 5, 6, 2);
    checkAdjoint(jitter(3), 2, 3, 9, 8, 3);
    checkAdjoint(randomScale([0.9, 1.1, 1.3]), 2, 3, 9, 8, 4);
    checkAdjoint(randomRotate([-10, 7, 33]), 2, 3, 9, 8, 5);
    checkAdjoint(fitTo(6, 11), 2, 1, 9, 8, 6);
    checkAdjoint(standardTransforms(32), 3, 3, 32, 32, 7);
  });

  it('sampleAffine reads the fill outside the input', () => {
    const out = sampleAffine(x, 1, 3, [[0, 0, 0, 0, 1, -1]], 9).out;
    assert.deepEqual(arr(out), [9, 1, 2]);
  });
});
