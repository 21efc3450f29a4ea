/**
 * Baselines in pixel space pushed through the input spec, checked against values written out here:
 * black on an ImageNet-normalized model is -mean/std per channel, white (1 - mean)/std; uniform pixels
 * stay in the mapped [0, 255] range with the moments of U(0, 255); Gaussian noise has sigma 25.5 pixel
 * levels mapped to input units; the blur keeps constants and commutes with per-channel affine maps;
 * mean colours and images are mapped like pixels; .npy baselines of the accepted shapes are copied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CnnlensError, type ErrorCode } from '../errors.js';
import type { InputSpec } from '../model/input-spec.js';
import type { HostTensor } from '../runtime/backend.js';
import { Random } from '../util/random.js';
import { GAUSSIAN_SIGMA_PIXELS, gaussianBlur, makeBaseline, parseBaselines, parseMeanColour, type BaselineSpec, type MeanSource } from './baselines.js';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const H = 6;
const W = 5;

function spec(layout: 'NCHW' | 'NHWC', extra: Partial<InputSpec> = {}): InputSpec {
  return { layout, height: H, width: W, channels: 3, range: [0, 1], mean: MEAN, std: STD, resize: 'stretch', source: 'options', ...extra };
}

function input(s: InputSpec, n = 2, seed = 1): HostTensor {
  const r = new Random(seed);
  const dims = s.layout === 'NCHW' ? [n, 3, H, W] : [n, H, W, 3];
  return { type: 'float32', dims, data: Float32Array.from(r.normals(n * 3 * H * W)) };
}

/** channel of flat index j within an example */
const chan = (s: InputSpec, j: number) => (s.layout === 'NCHW' ? Math.floor(j / (H * W)) : j % 3);

function make(b: BaselineSpec, s: InputSpec, x: HostTensor, extra: { mean?: MeanSource; seed?: number } = {}) {
  return makeBaseline(b, { spec: s, input: x, random: new Random(extra.seed ?? 7), ...(extra.mean ? { mean: extra.mean } : {}) });
}

/** one stream per example, as integrated-gradients.ts makes them */
function seeded(seed: number) {
  const m = new Map<number, Random>();
  return (e: number) => m.get(e) ?? m.set(e, new Random(seed)).get(e)!;
}

const usage = (code: ErrorCode) => (e: unknown) => e instanceof CnnlensError && e.code === code;

test('black and white on an ImageNet-normalized model are -mean/std and (1 - mean)/std per channel', () => {
  for (const layout of ['NCHW', 'NHWC'] as const) {
    const s = spec(layout);
    const x = input(s);
    const black = make({ kind: 'black' }, s, x).data as Float32Array;
    const white = make({ kind: 'white' }, s, x).data as Float32Array;
    assert.deepEqual(make({ kind: 'black' }, s, x).dims, x.dims);
    for (let j = 0; j < black.length; j++) {
      const c = chan(s, j % (3 * H * W));
      assert.equal(black[j], Math.fround(-MEAN[c]! / STD[c]!), `${layout} black at ${j}`);
      assert.equal(white[j], Math.fround((1 - MEAN[c]!) / STD[c]!), `${layout} white at ${j}`);
    }
    assert.ok((make({ kind: 'zeros' }, s, x).data as Float32Array).every((v) => v === 0));
  }
  // range [-1, 1] without mean/std: black is -1, white 1
  const s = spec('NHWC', { range: [-1, 1], mean: undefined, std: undefined });
  assert.ok((make({ kind: 'black' }, s, input(s)).data as Float32Array).every((v) => v === -1));
  assert.ok((make({ kind: 'white' }, s, input(s)).data as Float32Array).every((v) => v === 1));
});

test('uniform: pixels in [0, 255] with U(0, 255) moments, seeded; gaussian: input + N(0, 25.5 pixel levels)', () => {
  const s = spec('NCHW');
  const n = 200;
  const x = input(s, n);
  const u = make({ kind: 'uniform' }, s, x).data as Float32Array;
  let m = 0;
  let m2 = 0;
  for (let j = 0; j < u.length; j++) {
    const c = chan(s, j % (3 * H * W));
    const p = ((u[j]! * STD[c]! + MEAN[c]!) * 255); // back to pixels
    assert.ok(p >= -1e-3 && p <= 255 + 1e-3, `pixel ${p}`);
    m += p / u.length;
    m2 += (p * p) / u.length;
  }
  const sd = Math.sqrt(m2 - m * m);
  // within 5 standard errors of the mean of U(0, 255)
  assert.ok(Math.abs(m - 127.5) < (5 * 255) / Math.sqrt(12 * u.length), `uniform mean ${m}`);
  assert.ok(Math.abs(sd - 255 / Math.sqrt(12)) < 1, `uniform sd ${sd}`);
  assert.deepEqual(make({ kind: 'uniform' }, s, x, { seed: 3 }).data, make({ kind: 'uniform' }, s, x, { seed: 3 }).data);
  assert.notDeepEqual(make({ kind: 'uniform' }, s, x, { seed: 3 }).data, make({ kind: 'uniform' }, s, x, { seed: 4 }).data);
  // a stream per example: example 1 of a batch gets what it gets alone
  const x2 = input(s, 2);
  const per = 3 * H * W;
  const alone: HostTensor = { ...x2, dims: [1, ...x2.dims.slice(1)], data: (x2.data as Float32Array).slice(per) };
  for (const kind of ['uniform', 'gaussian'] as const) {
    const both = makeBaseline({ kind }, { spec: s, input: x2, random: seeded(5) }).data as Float32Array;
    const one = makeBaseline({ kind }, { spec: s, input: alone, random: seeded(5) }).data as Float32Array;
    assert.deepEqual(both.slice(per), one);
  }

  const g = make({ kind: 'gaussian' }, s, x).data as Float32Array;
  const xd = x.data as Float32Array;
  let z = 0;
  let z2 = 0;
  for (let j = 0; j < g.length; j++) {
    const c = chan(s, j % (3 * H * W));
    const noisePixels = ((g[j]! - xd[j]!) * STD[c]!) * 255;
    z += noisePixels / g.length;
    z2 += (noisePixels * noisePixels) / g.length;
  }
  assert.equal(GAUSSIAN_SIGMA_PIXELS, 25.5);
  assert.ok(Math.abs(z) < (5 * 25.5) / Math.sqrt(g.length), `noise mean ${z}`);
  assert.ok(Math.abs(Math.sqrt(z2) - 25.5) < 0.5, `noise sd ${Math.sqrt(z2)}`);
});

test('blurred: a normalized Gaussian blur (constants kept, commutes with per-channel affine maps, smooths)', () => {
  for (const layout of ['NCHW', 'NHWC'] as const) {
    const s = spec(layout);
    const x = input(s);
    const xd = x.data as Float32Array;
    // constant per channel -> unchanged
    const k: HostTensor = { ...x, data: xd.map((_, j) => [0.3, -1.2, 2.5][chan(s, j % (3 * H * W))]!) };
    const bk = gaussianBlur(k, s, 1.7).data as Float32Array;
    for (let j = 0; j < bk.length; j++) assert.ok(Math.abs(bk[j]! - (k.data as Float32Array)[j]!) < 1e-6);
    // blur(a_c x + b_c) = a_c blur(x) + b_c
    const a = [2, -0.5, 3];
    const b = [1, 4, -2];
    const affine: HostTensor = { ...x, data: xd.map((v, j) => a[chan(s, j % (3 * H * W))]! * v + b[chan(s, j % (3 * H * W))]!) };
    const left = gaussianBlur(affine, s, 1.7).data as Float32Array;
    const right = gaussianBlur(x, s, 1.7).data as Float32Array;
    for (let j = 0; j < left.length; j++) {
      const c = chan(s, j % (3 * H * W));
      assert.ok(Math.abs(left[j]! - (a[c]! * right[j]! + b[c]!)) < 1e-5, `${layout} affine at ${j}`);
    }
    // the blur lowers the variance of noise, and keeps the channel sums roughly (edges replicate)
    const v = (d: Float32Array) => d.reduce((t, q) => t + q * q, 0);
    assert.ok(v(right) < 0.5 * v(xd));
    // the baseline 'blurred' uses sigma = max(H, W) / 20
    assert.deepEqual(make({ kind: 'blurred' }, s, x).data, gaussianBlur(x, s, Math.max(H, W) / 20).data);
  }
});

test('mean: a colour or a pixel-space image through the spec; files of the accepted shapes', () => {
  const s = spec('NHWC');
  const x = input(s);
  assert.deepEqual(parseMeanColour('124, 116,104'), [124, 116, 104]);
  assert.equal(parseMeanColour('data/mean.npy'), undefined);
  assert.throws(() => parseMeanColour('1,2'), usage('USAGE'));
  const colour = make({ kind: 'mean' }, s, x, { mean: { kind: 'colour', values: [124, 116, 104] } }).data as Float32Array;
  for (let j = 0; j < colour.length; j++) {
    const c = chan(s, j % (3 * H * W));
    assert.equal(colour[j], Math.fround(([124, 116, 104][c]! / 255 - MEAN[c]!) / STD[c]!));
  }
  const pixels = Float32Array.from({ length: H * W * 3 }, (_, i) => (i * 7) % 256);
  const img = make({ kind: 'mean' }, s, x, { mean: { kind: 'image', image: { dtype: 'float32', shape: [H, W, 3], data: pixels }, from: 'test' } }).data as Float32Array;
  for (let j = 0; j < img.length; j++) {
    const c = chan(s, j % (3 * H * W));
    assert.equal(img[j], Math.fround((pixels[j % (H * W * 3)]! / 255 - MEAN[c]!) / STD[c]!));
  }
  // grayscale model: RGB means reduce to BT.601 luma
  const g = { ...spec('NCHW'), channels: 1, mean: undefined, std: undefined };
  const gx: HostTensor = { type: 'float32', dims: [1, 1, H, W], data: new Float32Array(H * W) };
  const grey = make({ kind: 'mean' }, g, gx, { mean: { kind: 'colour', values: [100, 200, 50] } }).data as Float32Array;
  assert.ok(grey.every((v) => Math.abs(v - (0.299 * 100 + 0.587 * 200 + 0.114 * 50) / 255) < 1e-6));
  assert.throws(() => make({ kind: 'mean' }, s, x), usage('USAGE'));
  assert.throws(() => make({ kind: 'mean' }, s, x, { mean: { kind: 'image', image: { dtype: 'float32', shape: [2, 2, 3], data: new Float32Array(12) }, from: 'm.npy' } }), usage('USAGE'));

  // files: per-example shape, [1, ...] or [N, ...]
  const per = 3 * H * W;
  const data = Float32Array.from({ length: 2 * per }, (_, i) => i / 10);
  const files = new Map([
    ['a.npy', { dtype: 'float32' as const, shape: [H, W, 3], data: data.subarray(0, per) }],
    ['b.npy', { dtype: 'float64' as const, shape: [1, H, W, 3], data: Float64Array.from(data.subarray(0, per)) }],
    ['c.npy', { dtype: 'float32' as const, shape: [2, H, W, 3], data }],
    ['d.npy', { dtype: 'float32' as const, shape: [3, H, W], data: data.subarray(0, per) }],
  ]);
  const file = (path: string) => makeBaseline({ kind: 'file', path }, { spec: s, input: x, random: seeded(0), files }).data as Float32Array;
  assert.deepEqual(file('a.npy'), Float32Array.from([...data.subarray(0, per), ...data.subarray(0, per)]));
  assert.deepEqual(file('b.npy'), file('a.npy'));
  assert.deepEqual(file('c.npy'), data);
  assert.throws(() => file('d.npy'), usage('INPUT_SHAPE'));
});

test('parseBaselines: names and .npy files, several separated by commas; anything else is a usage error', () => {
  assert.deepEqual(parseBaselines('black'), [{ kind: 'black' }]);
  assert.deepEqual(parseBaselines('black, uniform,ref/x.npy'), [{ kind: 'black' }, { kind: 'uniform' }, { kind: 'file', path: 'ref/x.npy' }]);
  for (const bad of ['purple', 'black,', '', 'x.png']) assert.throws(() => parseBaselines(bad), usage('USAGE'), bad);
});
