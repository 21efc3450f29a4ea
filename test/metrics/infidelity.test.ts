/**
 * Infidelity against closed forms and against sample averages recomputed in this file.
 *
 * Oracles:
 * - A linear score f(x) = w·x + b (an ONNX model, and a JavaScript scorer): f(x) − f(x − I) = Iᵀw exactly,
 *   so with Φ = ∇f = w the infidelity is 0 up to the model's float32 rounding; with Φ = 2w it is
 *   E[(Iᵀw)²], and the optimal scale β = 1/2 makes the normalized value 0.
 * - The sample average: the test redraws the same noise from the documented order (Random(seed),
 *   sample by sample, element by element, normal() · σ · range_c) and averages (IᵀΦ − Δf)² itself in
 *   float64.
 * - The closed form E[(Iᵀw)²] = Σ_i σ_i² w_i² (I_i independent, zero mean): the sample mean of N values
 *   (Iᵀw)² = s² χ²₁ has standard deviation s² √(2/N); with N = 4000 the estimate must lie within
 *   5 √(2/N) ≈ 0.11 of the closed form, relatively (a 5-sigma band: fails by chance with probability
 *   below 1e-6).
 * Float tolerance of "0" on the ONNX model: each score carries a float32 rounding error of at most about
 * D · 2⁻²⁴ · S with S = |b| + Σ|w_i|(|x_i| + |I_i|), so each (IᵀΦ − Δf)² is at most (2 D 2⁻²⁴ S)².
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain } from '../../src/methods/explain.js';
import { infidelity, infidelityFromSamples, targetScorer } from '../../src/metrics/infidelity.js';
import { channelRanges } from '../../src/metrics/input-range.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { Random } from '../../src/util/random.js';
import { C, D, RANGES, S, linearModel, nchwChannel, oneInput, spec } from './linear-model.js';

/** The perturbations the metric draws, redrawn here: sample k, element i (NCHW), float64, as the model sees them. */
function noise(x: Float32Array, samples: number, sigma: number, seed: number, channelOfElement: (i: number) => number): Float64Array[] {
  const rnd = new Random(seed);
  return Array.from({ length: samples }, () => Float64Array.from(x, (v, i) => v - Math.fround(v - rnd.normal() * sigma * RANGES[channelOfElement(i)]!)));
}


test('channel ranges in model units: (hi - lo) / std', () => {
  assert.deepEqual([...channelRanges(spec)], RANGES);
  assert.deepEqual([...channelRanges({ channels: 3, range: [0, 255] })], [255, 255, 255]);
});

test('infidelityFromSamples: raw, optimal beta and normalized value by hand', () => {
  const r = infidelityFromSamples([1, 2, -1], [2, 4, -2]);
  assert.equal(r.raw, (1 + 4 + 1) / 3);
  assert.equal(r.beta, 2);
  assert.equal(r.normalized, 0);
  assert.equal(r.meanSquaredChange, (4 + 16 + 4) / 3);
  // an all-zero map: beta 0, normalized = E[d^2]
  const z = infidelityFromSamples([0, 0], [1, 3]);
  assert.deepEqual([z.beta, z.normalized, z.raw], [0, 5, 5]);
});

test('linear ONNX model: infidelity of the gradient is 0; of twice the gradient, the sample mean of (I^T w)^2', async () => {
  const { model, row, bias } = linearModel();
  const x = oneInput(7);
  const cls = 1;
  const r = await explain(model, x, { backend: nodeBackend, threads: 1, methods: ['gradient'], target: cls });
  const grad = r.results[0]!.map.data as Float32Array;
  assert.deepEqual([...grad], [...row(cls)]);
  const score = targetScorer(model, { index: cls }, { backend: nodeBackend, threads: 1 });
  const opts = { samples: 64, sigma: 0.1, seed: 3, ranges: channelRanges(model.input), batch: 10 };
  const exact = await infidelity(x, grad, score, opts);
  const w = row(cls);
  const I = noise(x.data as Float32Array, 64, 0.1, 3, nchwChannel);
  const Smax = Math.abs(bias[cls]!) + I.reduce((m, Ik) => Math.max(m, w.reduce((s, wi, i) => s + Math.abs(wi) * (Math.abs((x.data as Float32Array)[i]!) + Math.abs(Ik[i]!)), 0)), 0);
  const tol = (2 * D * 2 ** -24 * Smax) ** 2;
  assert.ok(exact.raw <= tol, `raw ${exact.raw} > ${tol}`);
  assert.ok(exact.normalized <= tol, `normalized ${exact.normalized} > ${tol}`);
  assert.ok(Math.abs(exact.beta - 1) < 1e-5, `beta ${exact.beta}`);
  assert.equal(exact.infidelity, exact.normalized);

  const twice = await infidelity(x, grad.map((v) => 2 * v), score, { ...opts, normalize: false });
  const want = I.reduce((s, Ik) => s + Ik.reduce((d, v, i) => d + v * w[i]!, 0) ** 2, 0) / I.length;
  assert.ok(Math.abs(twice.raw - want) <= 1e-4 * want, `raw ${twice.raw} vs sample mean ${want}`);
  assert.equal(twice.infidelity, twice.raw);
  assert.ok(Math.abs(twice.beta - 0.5) < 1e-5);
  assert.ok(twice.normalized <= tol * 4);
  // batching does not change the result
  const unbatched = await infidelity(x, grad.map((v) => 2 * v), score, { ...opts, normalize: false, batch: 64 });
  assert.equal(unbatched.raw, twice.raw);
});

test('linear score: the Monte Carlo infidelity of 2w approaches the closed form sum_i sigma_i^2 w_i^2', async () => {
  const w = Float64Array.from(new Random(11).normals(D));
  // f in float64 on what the model sees; Δf = Iᵀw up to float64 rounding
  const score = async (t: HostTensor) => Float32Array.from({ length: t.dims[0]! }, (_, b) => w.reduce((s, wi, i) => s + wi * (t.data as Float32Array)[b * D + i]!, 0));
  const x = oneInput(12);
  const sigma = 0.05;
  const N = 4000;
  // the scorer returns float32 scores: with |f| ~ 5 its rounding (~3e-7) is far below the noise scale
  const r = await infidelity(x, w.map((v) => 2 * v), score, { samples: N, sigma, seed: 1, ranges: RANGES, batch: 500, normalize: false });
  const closed = w.reduce((s, wi, i) => s + (sigma * RANGES[nchwChannel(i)]!) ** 2 * wi * wi, 0);
  assert.ok(Math.abs(r.raw / closed - 1) < 5 * Math.sqrt(2 / N), `estimate ${r.raw}, closed form ${closed}`);
});

for (const layout of ['NCHW', 'NHWC'] as const) {
  test(`a per-pixel map is broadcast across channels (${layout})`, async () => {
    const P = S * S;
    const channel = (i: number) => (layout === 'NCHW' ? Math.floor(i / P) : i % C);
    const pixel = (i: number) => (layout === 'NCHW' ? i % P : Math.floor(i / C));
    const dims = layout === 'NCHW' ? [1, C, S, S] : [1, S, S, C];
    const x: HostTensor = { ...oneInput(21), dims };
    const v = Float64Array.from(new Random(22).normals(D));
    // a nonlinear score, so the infidelity is not trivially 0
    const f = (d: ArrayLike<number>, off: number) => v.reduce((s, vi, i) => s + vi * d[off + i]! + 0.3 * d[off + i]! ** 2, 0);
    const score = async (t: HostTensor) => Float32Array.from({ length: t.dims[0]! }, (_, b) => f(t.data as Float32Array, b * D));
    const map = Float32Array.from(new Random(23).normals(P));
    const r = await infidelity(x, map, score, { samples: 20, sigma: 0.2, seed: 9, ranges: RANGES, layout, batch: 7 });
    const I = noise(x.data as Float32Array, 20, 0.2, 9, channel);
    const f0 = Math.fround(f(x.data as Float32Array, 0));
    const dots = I.map((Ik) => Ik.reduce((s, u, i) => s + u * map[pixel(i)]!, 0));
    const changes = I.map((Ik) => f0 - Math.fround(f(Float32Array.from(x.data as Float32Array, (xi, i) => xi - Ik[i]!), 0)));
    const raw = dots.reduce((s, a, k) => s + (a - changes[k]!) ** 2, 0) / 20;
    assert.ok(Math.abs(r.raw - raw) <= 1e-6 * raw, `${r.raw} vs ${raw}`);
    const beta = dots.reduce((s, a, k) => s + a * changes[k]!, 0) / dots.reduce((s, a) => s + a * a, 0);
    const normalized = dots.reduce((s, a, k) => s + (beta * a - changes[k]!) ** 2, 0) / 20;
    assert.ok(Math.abs(r.beta - beta) <= 1e-9 * Math.abs(beta), `beta ${r.beta} vs ${beta}`);
    assert.ok(Math.abs(r.normalized - normalized) <= 1e-9 * normalized, `normalized ${r.normalized} vs ${normalized}`);
    assert.ok(r.normalized <= r.raw, `normalized ${r.normalized} > raw ${r.raw}`);
  });
}

test('a map of the wrong size is refused with a typed error', async () => {
  await assert.rejects(infidelity(oneInput(1), new Float32Array(5), async () => new Float32Array(1)), /INPUT_SHAPE|the map has 5 values/);
});
