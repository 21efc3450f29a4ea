/**
 * Max-sensitivity against closed forms on a linear model f(x) = w·x + b.
 *
 * Oracles:
 * - the gradient of a linear model is w everywhere, so Φ(y) = Φ(x) and every ratio is exactly 0;
 * - gradient × input: Φ(y) − Φ(x) = w ⊙ (y − x), so each ratio is ‖w ⊙ (y_k − x)‖ / ‖w ⊙ x‖, computed
 *   here in float64 from points redrawn in the documented order (Random(seed), sample by sample, element
 *   by element, y_i = fl32(x_i + uniform(−r_c, r_c))); and since |y_i − x_i| ≤ r_c,
 *   SENS_MAX ≤ √(Σ_i w_i² r_c(i)²) / ‖w ⊙ x‖.
 * Tolerance: the maps are float32 products w_i y_i (relative rounding 2⁻²⁴ per element); the ratio's
 * numerator is a difference of such products, so it is held to 1e-4 relative plus 1e-6 absolute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain } from '../../src/methods/explain.js';
import { ballSamples, maxSensitivity, relativeChange } from '../../src/metrics/sensitivity.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { Random } from '../../src/util/random.js';
import { D, RANGES, linearModel, nchwChannel, oneInput } from './linear-model.js';

test('relativeChange: Frobenius ratio, unnormalized when the reference map is 0', () => {
  assert.deepEqual(relativeChange([3, 4], [3, 4]), { ratio: 0, normalized: true });
  assert.deepEqual(relativeChange([3, 4], [6, 8]), { ratio: 1, normalized: true });
  assert.deepEqual(relativeChange([0, 0], [3, 4]), { ratio: 5, normalized: false });
});

test('linear model: the gradient never changes (max-sensitivity 0)', async () => {
  const { model } = linearModel();
  const [r] = await maxSensitivity(model, oneInput(3), ['gradient'], { backend: nodeBackend, threads: 1, samples: 6, radius: 0.1, seed: 4 });
  assert.equal(r!.maxSensitivity, 0);
  assert.deepEqual([...r!.ratios], [0, 0, 0, 0, 0, 0]);
  assert.ok(r!.normalized);
});

test('linear model: gradient x input changes by w (.) (y - x), as computed here, within the bound', async () => {
  const { model, row } = linearModel();
  const x = oneInput(8);
  const xd = x.data as Float32Array;
  const radius = 0.05;
  const seed = 12;
  const samples = 7;
  const reference = await explain(model, x, { backend: nodeBackend, threads: 1, methods: ['gradient', 'gradient-x-input'] });
  const cls = reference.targets[0]!.index;
  const results = await maxSensitivity(model, x, ['gradient', 'gradient-x-input'], { backend: nodeBackend, threads: 1, samples, radius, seed, batch: 3, reference });
  const r = results[1]!;
  assert.equal(results[0]!.maxSensitivity, 0);
  const w = row(cls);
  const rnd = new Random(seed);
  const norm = Math.sqrt(w.reduce((s, wi, i) => s + (wi * xd[i]!) ** 2, 0));
  const want = Array.from({ length: samples }, () => {
    const y = Float64Array.from(xd, (v, i) => Math.fround(v + rnd.uniform(-radius * RANGES[nchwChannel(i)]!, radius * RANGES[nchwChannel(i)]!)));
    return Math.sqrt(w.reduce((s, wi, i) => s + (wi * (y[i]! - xd[i]!)) ** 2, 0)) / norm;
  });
  assert.equal(r.ratios.length, samples);
  r.ratios.forEach((got, k) => assert.ok(Math.abs(got - want[k]!) <= 1e-4 * want[k]! + 1e-6, `sample ${k}: ${got} vs ${want[k]}`));
  assert.equal(r.maxSensitivity, Math.max(...r.ratios));
  const bound = Math.sqrt(w.reduce((s, wi, i) => s + (wi * radius * RANGES[nchwChannel(i)]!) ** 2, 0)) / norm;
  assert.ok(r.maxSensitivity <= bound * (1 + 1e-4), `${r.maxSensitivity} > bound ${bound}`);
  assert.ok(r.maxSensitivity > 0.3 * bound, 'uniform samples in 32 dimensions reach a good part of the bound');
  // without a reference, the same result (the reference is recomputed)
  const again = await maxSensitivity(model, x, ['gradient-x-input'], { backend: nodeBackend, threads: 1, samples, radius, seed });
  assert.deepEqual([...again[0]!.ratios], [...r.ratios]);
  assert.equal(D, w.length);
});

test('the target stays the original class at the perturbed points', async () => {
  const { model, row } = linearModel();
  const x = oneInput(8);
  // a large radius moves the top class; the gradient must still be the original class's row
  const ref = await explain(model, x, { backend: nodeBackend, threads: 1, methods: ['gradient'] });
  const [r] = await maxSensitivity(model, x, ['gradient'], { backend: nodeBackend, threads: 1, samples: 8, radius: 5, seed: 1, reference: ref });
  assert.equal(r!.maxSensitivity, 0);
  assert.deepEqual([...(ref.results[0]!.map.data as Float32Array)], [...row(ref.targets[0]!.index)]);
  // the same points, explained for their own top class: some of them have another one
  const ys = ballSamples(x, 8, RANGES.map((v) => 5 * v), 'NCHW', new Random(1));
  const own = await explain(model, ys, { backend: nodeBackend, threads: 1, methods: ['gradient'] });
  assert.ok(own.targets.some((t) => t.index !== ref.targets[0]!.index), 'the radius is large enough to change the top class');
});
