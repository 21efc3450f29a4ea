/**
 * smoothgrad, smoothgrad-squared and vargrad against closed forms on a linear model,
 * logits = W flatten(x) + b, with noise g ~ N(0, sigma^2), sigma = noise * (max(x) - min(x)):
 * - base gradient: every noisy map is W[c], so smoothgrad = W[c], smoothgrad-squared = W[c]^2 and
 *   vargrad = 0 (to float rounding: 1e-6 relative; vargrad <= 1e-10 W^2);
 * - base gradient-x-input: maps W[c] (x + g_k), so E = W x, E[sq] = W^2 (x^2 + sigma^2), Var = W^2 sigma^2;
 *   checked statistically with 4000 samples: the mean over elements of vargrad / (W^2 sigma^2) is 1
 *   within 5 standard errors, and smoothgrad - W x has the spread of W sigma / sqrt(n);
 * - base integrated-gradients with --baseline zeros equals base gradient-x-input with the same seed
 *   (linear model: IG from 0 = x W), which also shows IG's options reach the base.
 * Plus: noise 0 gives the base map; chunks of one example (1-byte memory budget) = one batch; seeds
 * reproduce; a non-input-space or recursive base is refused with a usage error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CnnlensError, type ErrorCode } from '../../src/errors.js';
import { explain, type ExplainOptions, type ExplainResult } from '../../src/methods/explain.js';
import { imageModel, type ImageModel } from '../../src/model/image-model.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { attrs } from '../util/build.js';
import { relErr, result } from '../util/map-checks.js';
import { conv3x3, gemmLinear, imageGraph, randomImages } from '../util/micro-models.js';

const C = 3;
const S = 6;
const D = C * S * S;
const UNITS = 3;

function linear(): { model: ImageModel; w: number[] } {
  const g = imageGraph(4, C, S);
  const { logits, w } = gemmLinear(g, D, UNITS, 0.3, 0.1);
  const model = imageModel(g.model(logits), { name: 'linear', source: 'test', input: { layout: 'NCHW', height: S, width: S, channels: C, range: [0, 1], resize: 'stretch', source: 'options' } });
  return { model, w };
}

/** a small nonlinear net: conv -> relu -> GAP -> gemm */
function convNet(): ImageModel {
  const g = imageGraph(6, C, S);
  const conv = conv3x3(g, 'x', C, 4).out;
  const logits = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [g.op('Relu', [conv])])]), g.weight([UNITS, 4]), g.weight([UNITS], 0.1)], [attrs.int('transB', 1)]);
  return imageModel(g.model(logits), { name: 'conv', source: 'test', input: { layout: 'NCHW', height: S, width: S, channels: C, range: [0, 1], resize: 'stretch', source: 'options' } });
}

const images = (batch: number, seed: number) => randomImages([batch, C, S, S], seed);

const run = (model: ImageModel, x: HostTensor, o: Omit<ExplainOptions, 'backend'>) => explain(model, x, { backend: nodeBackend, threads: 2, ...o });

const map = (r: ExplainResult, method: string) => result(r, method).map.data as Float32Array;

const rejects = (code: ErrorCode, re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof CnnlensError, String(e));
  assert.equal(e.code, code, e.message);
  assert.match(e.message, re);
  return true;
};

const ALL = ['smoothgrad', 'smoothgrad-squared', 'vargrad'];

test('linear model, base gradient: smoothgrad = W[c], smoothgrad-squared = W[c]^2, vargrad = 0', async () => {
  const { model, w } = linear();
  const x = images(2, 1);
  const r = await run(model, x, { methods: ALL, target: 1, methodOptions: { samples: 10 } });
  const wc = Float64Array.from({ length: 2 * D }, (_, i) => w[D + (i % D)]!);
  assert.ok(relErr(map(r, 'smoothgrad'), wc) <= 1e-6);
  assert.ok(relErr(map(r, 'smoothgrad-squared'), wc.map((v) => v * v)) <= 1e-6);
  map(r, 'vargrad').forEach((v, i) => assert.ok(v >= 0 && v <= 1e-10 * wc[i]! ** 2 + 1e-12, `vargrad ${v} at ${i}`));
});

test('linear model, base gradient-x-input: the moments of W (x + g) with g ~ N(0, sigma^2)', async (t) => {
  const { model, w } = linear();
  const x = images(1, 2);
  const xd = x.data as Float32Array;
  const n = 4000;
  const noise = 0.1;
  const r = await run(model, x, { methods: ALL, target: 0, methodOptions: { samples: n, noise, 'smooth-base': 'gradient-x-input', seed: 5 } });
  const sigma = noise * (Math.max(...xd) - Math.min(...xd));
  const reported = r.results[0]!.extra!.values!.noiseSigma![0]!;
  assert.ok(Math.abs(reported - sigma) <= 1e-6 * sigma, `sigma ${reported} vs ${sigma}`);
  // vargrad / (W^2 sigma^2): each element ~ chi^2_n / n, mean 1, sd sqrt(2/n); their mean over D elements
  const vg = map(r, 'vargrad');
  const ratio = Array.from(vg, (v, i) => v / (w[i]! ** 2 * sigma ** 2));
  const mean = ratio.reduce((a, b) => a + b, 0) / D;
  const se = Math.sqrt(2 / n / D);
  t.diagnostic(`vargrad / (W^2 sigma^2): mean ${mean.toFixed(4)} (standard error ${se.toExponential(1)})`);
  assert.ok(Math.abs(mean - 1) <= 5 * se);
  // smoothgrad - W x = W mean(g): standardized by W sigma / sqrt(n), a standard normal per element
  const sg = map(r, 'smoothgrad');
  const z = Array.from(sg, (v, i) => (v - w[i]! * xd[i]!) / (Math.abs(w[i]!) * sigma / Math.sqrt(n)));
  const zVar = z.reduce((a, b) => a + b * b, 0) / D;
  t.diagnostic(`standardized smoothgrad - W x: mean square ${zVar.toFixed(3)} over ${D} elements`);
  assert.ok(Math.abs(zVar - 1) <= 5 * Math.sqrt(2 / D));
  // smoothgrad-squared = vargrad + smoothgrad^2 (the definitions)
  const sq = map(r, 'smoothgrad-squared');
  for (let i = 0; i < D; i++) assert.ok(Math.abs(sq[i]! - (vg[i]! + sg[i]! ** 2)) <= 1e-5 * sq[i]! + 1e-12);
});

test('base integrated-gradients (zeros baseline, its options given as flags) = base gradient-x-input on a linear model', async () => {
  const { model } = linear();
  const x = images(2, 3);
  const a = await run(model, x, { methods: ALL, methodOptions: { samples: 6, 'smooth-base': 'integrated-gradients', baseline: 'zeros', 'ig-steps': 3, 'ig-rule': 'riemann-middle', seed: 2 } });
  const b = await run(model, x, { methods: ALL, methodOptions: { samples: 6, 'smooth-base': 'gradient-x-input', seed: 2 } });
  for (const m of ALL) assert.ok(relErr(map(a, m), map(b, m)) <= 1e-5, m);
});

test('noise 0 gives the base map; chunks of one example = one batch; seeds reproduce', async () => {
  const model = convNet();
  const x = images(2, 4);
  const base = await run(model, x, { methods: ['gradient'] });
  const zero = await run(model, x, { methods: ALL, methodOptions: { noise: 0, samples: 3 } });
  assert.ok(relErr(map(zero, 'smoothgrad'), map(base, 'gradient')) <= 1e-6);
  assert.ok(map(zero, 'vargrad').every((v) => v <= 1e-12));

  const o = { methods: ALL, methodOptions: { samples: 7, seed: 9 } };
  const whole = await run(model, x, o);
  const progress: number[] = [];
  const chunked = await run(model, x, { ...o, memoryBudgetBytes: 1, onProgress: (d) => progress.push(d) });
  for (const m of ALL) assert.ok(relErr(map(chunked, m), map(whole, m)) <= 1e-6, m);
  assert.ok(progress.length > 14);
  const again = await run(model, x, o);
  for (const m of ALL) assert.deepEqual(map(again, m), map(whole, m));
  const other = await run(model, x, { ...o, methodOptions: { samples: 7, seed: 10 } });
  assert.notDeepEqual(map(other, 'smoothgrad'), map(whole, 'smoothgrad'));
});

test('bases that are not input-space methods, or smoothing methods, are refused', async () => {
  const model = convNet();
  const x = images(1, 5);
  const sg = (base: string) => run(model, x, { methods: ['smoothgrad'], methodOptions: { 'smooth-base': base, samples: 2 } });
  await assert.rejects(sg('saliency'), rejects('USAGE', /one value per input element.*gradient-x-input/));
  await assert.rejects(sg('gradcam'), rejects('USAGE', /weights a layer/));
  await assert.rejects(sg('vargrad'), rejects('USAGE', /itself a smoothing method/));
  await assert.rejects(sg('nope'), rejects('UNKNOWN_METHOD', /nope/));
  await assert.rejects(run(model, x, { methods: ['smoothgrad'], methodOptions: { samples: 0 } }), rejects('USAGE', /--samples must be at least 1/));
  await assert.rejects(run(model, x, { methods: ['vargrad'], methodOptions: { noise: -0.1 } }), rejects('USAGE', /--noise must be at least 0/));
});
