/**
 * gradient-x-input and integrated-gradients against oracles that do not use the code under test.
 *
 * - Linear model, logits = W flatten(x) + b: gradient-x-input = W[c] * x (bit-exact: the float32 product
 *   of a copied weight and the input); IG = (x - x') * W[c] for every rule and step count, because the
 *   integrand is constant and every rule's weights sum to 1 (criterion max|ours - oracle| / max|oracle|
 *   <= 1e-6); delta = sum(IG) - (F(x) - F(x')) ~ 0 (|delta| <= 1e-5 sum_i |W[c]_i (x - x')_i|, float32
 *   rounding of the forward sums). Baselines black / white / mean colour are computed here from the
 *   InputSpec numbers (ImageNet mean/std: black = -mean/std, not 0).
 * - The IG paper's example (Sundararajan et al. 2017, Sec. 2.1, Remark): F(x) = 1 - ReLU(1 - x), x = 2,
 *   baseline 0. The gradient at x is 0, but IG = 2 int_0^1 [2a < 1] da = 1. With an even step count n,
 *   riemann-left, riemann-middle, riemann-trapezoid and gauss-legendre put exactly half of their weight
 *   on nodes below a = 1/2 (gauss-legendre by the symmetry of its nodes and weights), so they give 1 to
 *   float rounding (1e-6); riemann-right's node a = 1/2 sits on the kink, where the ReLU's backward pass
 *   (like PyTorch's) passes 0, so it gives 1 - 2/n exactly.
 * - Completeness on real networks: |delta| <= 1% of |F(x) - F(x')| from the black baseline, with 64
 *   Gauss-Legendre steps on the torchvision resnet18 and squeezenet1_1 of the IG parity fixtures (seeded
 *   random weights; a photo and a noise image), and with 256 steps on the default model (nsfwjs's
 *   fine-tuned MobileNetV2) for two photos (a third is reported; see the test for why 64 steps and that
 *   photo are not held to 1%). The torchvision MobileNetV2 fixture is not used: with its seeded random
 *   weights its logits vary by ~3e-9 between inputs, below float32's resolution, so its F(x) - F(x') is
 *   rounding noise.
 * - Implementation invariance (Sec. 2.1, Axiom): two functionally equal graphs (one with an Identity, a
 *   Mul by 1, and its Conv split into two Convs whose outputs are added) give the same gradient and IG
 *   (1e-5, float32 rounding of the split weights).
 * - Tolerance mode reaches the requested delta and reports the steps; half the steps does not.
 * - Batched = unbatched: a 1-byte memory budget (chunks of one example) gives the same maps (1e-6).
 * - Seeds reproduce; bad options are usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/data/npy.js';
import { CnnlensError, type ErrorCode } from '../../src/errors.js';
import { readImageFile } from '../../src/image/read-file.js';
import { preprocess } from '../../src/image/preprocess.js';
import { explain, type ExplainOptions, type ExplainResult } from '../../src/methods/explain.js';
import { imageModel, type ImageModel } from '../../src/model/image-model.js';
import type { InputSpec } from '../../src/model/input-spec.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { loadModelFile } from '../../src/onnx/load-file.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { Random } from '../../src/util/random.js';
import { attrs } from '../util/build.js';
import { relErr, result } from '../util/map-checks.js';
import { gemmLinear, imageGraph, randomImages } from '../util/micro-models.js';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const C = 3;
const S = 8;
const RULES = ['riemann-left', 'riemann-right', 'riemann-middle', 'riemann-trapezoid', 'gauss-legendre'] as const;

function spec(size = S, channels = C, norm = true): InputSpec {
  return { layout: 'NCHW', height: size, width: size, channels, range: [0, 1], ...(norm ? { mean: MEAN, std: STD } : {}), resize: 'stretch', source: 'options' };
}

const graph = (seed: number, channels = C, size = S) => imageGraph(seed, channels, size);

const images = (batch: number, seed: number) => randomImages([batch, C, S, S], seed);

const run = (model: ImageModel, x: HostTensor, o: Omit<ExplainOptions, 'backend'>) => explain(model, x, { backend: nodeBackend, threads: 2, ...o });

const rejects = (code: ErrorCode, re?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof CnnlensError, String(e));
  assert.equal(e.code, code, e.message);
  if (re) assert.match(e.message, re);
  return true;
};

// ---------------------------------------------------------------------------------------------
// linear model

const UNITS = 4;
const D = C * S * S;

function linearModel(seed = 5) {
  const g = graph(seed);
  const { logits, w, bias } = gemmLinear(g, D, UNITS, 0.3, 0.2);
  return { model: imageModel(g.model(logits), { name: 'linear', source: 'test', input: spec() }), w, bias };
}

/** the baseline in input space, from the spec's numbers: pixel p of channel c -> (p/255 - mean[c]) / std[c] */
function pixelBaseline(batch: number, pixel: (c: number) => number): Float64Array {
  const out = new Float64Array(batch * D);
  for (let i = 0; i < out.length; i++) {
    const c = Math.floor((i % D) / (S * S));
    out[i] = Math.fround((pixel(c) / 255 - MEAN[c]!) / STD[c]!);
  }
  return out;
}

test('linear model: gradient-x-input = W[c] * x; IG = (x - x\') * W[c] for every rule and step count, delta ~ 0', async (t) => {
  const { model, w, bias } = linearModel();
  const x = images(2, 3);
  const xd = x.data as Float32Array;
  const target = 2;
  const r = await run(model, x, { methods: ['gradient-x-input'], target });
  const gxi = result(r, 'gradient-x-input').map.data as Float32Array;
  for (let i = 0; i < gxi.length; i++) assert.equal(gxi[i], Math.fround(w[target * D + (i % D)]! * xd[i]!), `gradient-x-input at ${i}`);

  const baselines: Record<string, Float64Array> = {
    zeros: new Float64Array(2 * D),
    black: pixelBaseline(2, () => 0),
    white: pixelBaseline(2, () => 255),
  };
  const F = (v: ArrayLike<number>, b: number) => {
    let s = bias[target]!;
    for (let i = 0; i < D; i++) s += w[target * D + i]! * v[b * D + i]!;
    return s;
  };
  for (const rule of RULES) {
    for (const steps of [1, 2, 7, 32]) {
      if (rule === 'riemann-trapezoid' && steps === 1) continue;
      for (const [name, xb] of Object.entries(baselines)) {
        const q = await run(model, x, { methods: ['integrated-gradients'], target, methodOptions: { 'ig-rule': rule, 'ig-steps': steps, baseline: name } });
        const ig = result(q, 'integrated-gradients');
        const want = Float64Array.from(xd, (v, i) => (v - xb[i]!) * w[target * D + (i % D)]!);
        const err = relErr(ig.map.data as Float32Array, want);
        assert.ok(err <= 1e-6, `${rule} ${steps} ${name}: error ${err}`);
        const v = ig.extra!.values!;
        assert.deepEqual(v.steps, [steps, steps]);
        for (let b = 0; b < 2; b++) {
          let scale = 0;
          for (let i = 0; i < D; i++) scale += Math.abs(want[b * D + i]!);
          assert.ok(Math.abs(v.delta![b]!) <= 1e-5 * scale, `${rule} ${steps} ${name} example ${b}: delta ${v.delta![b]} (scale ${scale})`);
          assert.ok(Math.abs(v.scoreInput![b]! - F(xd, b)) <= 1e-5 * scale);
          assert.ok(Math.abs(v.scoreBaseline![b]! - F(xb, b)) <= 1e-5 * scale);
          assert.ok(Math.abs(v.relativeDelta![b]! - Math.abs(v.delta![b]!) / Math.abs(v.scoreInput![b]! - v.scoreBaseline![b]!)) < 1e-12);
        }
      }
    }
  }
  // several baselines: the attributions are averaged; a mean colour of pixel 0 is the black baseline
  const both = await run(model, x, { methods: ['integrated-gradients'], target, methodOptions: { baseline: 'black,white', 'ig-steps': 3 } });
  const avg = Float64Array.from(xd, (v, i) => (v - (baselines.black![i]! + baselines.white![i]!) / 2) * w[target * D + (i % D)]!);
  assert.ok(relErr(result(both, 'integrated-gradients').map.data as Float32Array, avg) <= 1e-6);
  const black = await run(model, x, { methods: ['integrated-gradients'], target, methodOptions: { baseline: 'black', 'ig-steps': 3 } });
  const mean0 = await run(model, x, { methods: ['integrated-gradients'], target, methodOptions: { baseline: 'mean', 'baseline-mean': '0,0,0', 'ig-steps': 3 } });
  assert.deepEqual(result(mean0, 'integrated-gradients').map.data, result(black, 'integrated-gradients').map.data);
  t.diagnostic('linear: gradient-x-input bit-exact; IG within 1e-6 for 5 rules x 4 step counts x 3 baselines');
});

test('a baseline .npy in input space equals the named baseline it holds; wrong shapes and missing files are refused', async () => {
  const { model } = linearModel();
  const x = images(2, 3);
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-ig-'));
  try {
    const black = Float32Array.from(pixelBaseline(1, () => 0));
    const file = join(dir, 'black.npy');
    writeFileSync(file, writeNpy({ dtype: 'float32', shape: [C, S, S], data: black }));
    const a = await run(model, x, { methods: ['integrated-gradients'], methodOptions: { baseline: file, 'ig-steps': 4 } });
    const b = await run(model, x, { methods: ['integrated-gradients'], methodOptions: { baseline: 'black', 'ig-steps': 4 } });
    assert.deepEqual(result(a, 'integrated-gradients').map.data, result(b, 'integrated-gradients').map.data);
    const bad = join(dir, 'bad.npy');
    writeFileSync(bad, writeNpy({ dtype: 'float32', shape: [S, S, C], data: black }));
    await assert.rejects(run(model, x, { methods: ['integrated-gradients'], methodOptions: { baseline: bad } }), rejects('INPUT_SHAPE', /\[3, 8, 8\]/));
    await assert.rejects(run(model, x, { methods: ['integrated-gradients'], methodOptions: { baseline: join(dir, 'none.npy') } }), rejects('IO', /does not exist/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// the IG paper's example

test('IG paper example F(x) = 1 - ReLU(1 - x): gradient 0 at x = 2, IG from 0 is 1 (riemann-right: 1 - 2/n)', async (t) => {
  const g = graph(1, 1, 1);
  const one = g.value([1], [1]);
  const flat = g.op('Flatten', ['x']);
  const logits = g.op('Sub', [one, g.op('Relu', [g.op('Sub', [one, flat])])]);
  const model = imageModel(g.model(logits), { name: 'ig-paper', source: 'test', input: { ...spec(1, 1, false) } });
  const x: HostTensor = { type: 'float32', dims: [1, 1, 1, 1], data: Float32Array.of(2) };
  const grad = await run(model, x, { methods: ['gradient', 'gradient-x-input'] });
  assert.equal((result(grad, 'gradient').map.data as Float32Array)[0], 0);
  assert.equal((result(grad, 'gradient-x-input').map.data as Float32Array)[0], 0);
  for (const n of [2, 8, 50]) {
    for (const rule of RULES) {
      const r = await run(model, x, { methods: ['integrated-gradients'], methodOptions: { 'ig-rule': rule, 'ig-steps': n, baseline: 'zeros' } });
      const ig = result(r, 'integrated-gradients');
      const got = (ig.map.data as Float32Array)[0]!;
      const want = rule === 'riemann-right' ? 1 - 2 / n : 1;
      t.diagnostic(`${rule} n=${n}: IG ${got} (want ${want}), delta ${ig.extra!.values!.delta![0]}`);
      assert.ok(Math.abs(got - want) <= 1e-6, `${rule} n=${n}: IG ${got}, want ${want}`);
      assert.deepEqual(ig.extra!.values!.scoreInput, [1]);
      assert.deepEqual(ig.extra!.values!.scoreBaseline, [0]);
      assert.ok(Math.abs(ig.extra!.values!.delta![0]! - (want - 1)) <= 1e-6);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// implementation invariance, batching, seeds, errors on a small conv net

const K = 4;
const UNITS2 = 5;

/** conv 3x3 (pad 1) -> relu -> GAP -> flatten -> gemm; `variant` adds an Identity, a Mul by 1 and splits the conv in two. */
function convNet(variant: boolean): ImageModel {
  const g = graph(21);
  const w = g.rnd.normals(K * C * 9, 0.5).map(Math.fround);
  const b = g.rnd.normals(K, 0.1).map(Math.fround);
  const fc = g.rnd.normals(UNITS2 * K).map(Math.fround);
  const fb = g.rnd.normals(UNITS2, 0.1).map(Math.fround);
  const convAttrs = [attrs.ints('kernel_shape', [3, 3]), attrs.ints('pads', [1, 1, 1, 1])];
  let conv: string;
  if (!variant) {
    conv = g.op('Conv', ['x', g.value([K, C, 3, 3], w), g.value([K], b)], convAttrs);
  } else {
    const input = g.op('Identity', ['x']);
    const r = new Random(99);
    const w1 = w.map((v) => Math.fround(v * r.uniform(0.2, 0.8)));
    const w2 = w.map((v, i) => Math.fround(v - w1[i]!));
    const b1 = b.map((v) => Math.fround(v / 2));
    const b2 = b.map((v, i) => Math.fround(v - b1[i]!));
    conv = g.op('Add', [g.op('Conv', [input, g.value([K, C, 3, 3], w1), g.value([K], b1)], convAttrs), g.op('Conv', [input, g.value([K, C, 3, 3], w2), g.value([K], b2)], convAttrs)]);
  }
  let a = g.op('Relu', [conv]);
  if (variant) a = g.op('Mul', [a, g.value([1], [1])]);
  const logits = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [a])]), g.value([UNITS2, K], fc), g.value([UNITS2], fb)], [attrs.int('transB', 1)]);
  return imageModel(g.model(logits), { name: variant ? 'variant' : 'plain', source: 'test', input: spec() });
}

test('implementation invariance: functionally equal graphs give equal gradients and IG', async (t) => {
  const x = images(2, 8);
  const opts = { methods: ['gradient', 'gradient-x-input', 'integrated-gradients'], target: 1, methodOptions: { 'ig-steps': 16, baseline: 'black,uniform' } };
  const a = await run(convNet(false), x, opts);
  const b = await run(convNet(true), x, opts);
  for (const m of opts.methods) {
    const err = relErr(result(b, m).map.data as Float32Array, result(a, m).map.data as Float32Array);
    t.diagnostic(`${m}: relative difference ${err.toExponential(2)}`);
    assert.ok(err <= 1e-5, `${m}: ${err}`);
  }
  const da = result(a, 'integrated-gradients').extra!.values!;
  const db = result(b, 'integrated-gradients').extra!.values!;
  for (let e = 0; e < 2; e++) assert.ok(Math.abs(da.scoreBaseline![e]! - db.scoreBaseline![e]!) <= 1e-5 * Math.abs(da.scoreBaseline![e]!) + 1e-6);
});

test('batched = unbatched: chunks of one example give the same IG; progress is reported and ends at the total', async () => {
  const model = convNet(false);
  const x = images(3, 9);
  const o = { methods: ['integrated-gradients'], methodOptions: { 'ig-steps': 6, 'ig-rule': 'riemann-trapezoid', baseline: 'black,uniform,blurred' } };
  const whole = await run(model, x, o);
  const calls: [number, number][] = [];
  const chunked = await run(model, x, { ...o, memoryBudgetBytes: 1, onProgress: (d, n) => calls.push([d, n]) });
  const err = relErr(result(chunked, 'integrated-gradients').map.data as Float32Array, result(whole, 'integrated-gradients').map.data as Float32Array);
  assert.ok(err <= 1e-6, `chunked vs whole: ${err}`);
  // 3 examples x 3 baselines x 6 steps, one gradient per chunk (plus the forward pass of explain)
  const ig = calls.filter(([, n]) => n === 54);
  assert.equal(ig.length, 54);
  assert.deepEqual(ig.at(-1), [54, 54]);
  for (let i = 1; i < ig.length; i++) assert.ok(ig[i]![0] > ig[i - 1]![0]);
});

test('seeds: the same seed gives the same random baselines, another seed others', async () => {
  const model = convNet(false);
  const x = images(1, 10);
  const ig = async (seed: number) => result(await run(model, x, { methods: ['integrated-gradients'], methodOptions: { baseline: 'uniform,gaussian', 'ig-steps': 4, seed } }), 'integrated-gradients').map.data;
  assert.deepEqual(await ig(3), await ig(3));
  assert.notDeepEqual(await ig(3), await ig(4));
});

test('bad options are usage errors that say what to give', async () => {
  const model = convNet(false);
  const x = images(1, 11);
  const ig = (methodOptions: Record<string, unknown>) => run(model, x, { methods: ['integrated-gradients'], methodOptions });
  await assert.rejects(ig({ 'ig-steps': 0 }), rejects('USAGE', /--ig-steps must be at least 1/));
  await assert.rejects(ig({ 'ig-steps': '2.5' }), rejects('USAGE', /integer/));
  await assert.rejects(ig({ 'ig-rule': 'simpson' }), rejects('USAGE', /gauss-legendre/));
  await assert.rejects(ig({ 'ig-rule': 'riemann-trapezoid', 'ig-steps': 1 }), rejects('USAGE', /at least 2/));
  await assert.rejects(ig({ baseline: 'purple' }), rejects('USAGE', /black, white, uniform/));
  await assert.rejects(ig({ baseline: 'mean' }), rejects('USAGE', /--baseline-mean/));
  await assert.rejects(ig({ 'baseline-mean': '1,2,3' }), rejects('USAGE', /--baseline mean/));
  await assert.rejects(ig({ baseline: 'mean', 'baseline-mean': '1,2' }), rejects('USAGE', /R,G,B/));
  await assert.rejects(ig({ 'ig-tolerance': -1 }), rejects('USAGE', /at least 0/));
  await assert.rejects(ig({ 'ig-tolerance': 0.1, 'ig-steps': 64, 'ig-max-steps': 32 }), rejects('USAGE', /--ig-max-steps/));
  await assert.rejects(run(model, x, { methods: ['gradient'], methodOptions: { 'ig-steps': 4 } }), rejects('USAGE', /integrated-gradients/));
});

// ---------------------------------------------------------------------------------------------
// completeness and tolerance on real networks

const PHOTOS = ['coffee.png', 'grace_hopper.jpg', 'chelsea.png'].map((f) => new URL(`../../examples/images/${f}`, import.meta.url).pathname);
const FIXTURES = new URL('../fixtures/torch-ig/', import.meta.url);

/** a torchvision model of the IG parity fixtures (seeded random weights) and its [photo, noise] input */
function fixture(name: string): { model: ImageModel; x: HostTensor } {
  const onnx = new URL(`${name}.onnx`, FIXTURES);
  if (!existsSync(onnx)) assert.fail(`missing fixture ${onnx.pathname}: run scripts/torch_ig_fixtures.py (scripts/test.sh does)`);
  const model = imageModel(loadModelFile(onnx.pathname), { name, source: 'fixture', input: { ...spec(224), resize: 'center-crop' } });
  const a = readNpy(new Uint8Array(readFileSync(new URL(`${name}.input.npy`, FIXTURES))));
  return { model, x: { type: 'float32', dims: a.shape, data: a.data } };
}

function checkCompleteness(t: { diagnostic(s: string): void }, what: string, ig: ExplainResult['results'][number], steps: number, check: (b: number) => boolean = () => true) {
  const v = ig.extra!.values!;
  v.delta!.forEach((d, b) => {
    const gap = v.scoreInput![b]! - v.scoreBaseline![b]!;
    t.diagnostic(`${what} example ${b}: F(x) - F(x') = ${gap.toFixed(4)}, delta ${d.toExponential(2)} (relative ${v.relativeDelta![b]!.toExponential(2)})${check(b) ? '' : ' (not checked)'}`);
    assert.equal(v.steps![b], steps);
    if (!check(b)) return;
    assert.ok(Math.abs(gap) > 1e-2, `${what}: the score must change along the path for the check to mean something`);
    assert.ok(Math.abs(d) <= 0.01 * Math.abs(gap), `${what} example ${b}: |delta| ${Math.abs(d)} > 1% of ${Math.abs(gap)}`);
  });
}

test('completeness: |delta| <= 1% of |F(x) - F(black)| at 64 Gauss-Legendre steps (resnet18, squeezenet1_1)', async (t) => {
  for (const name of ['resnet18', 'squeezenet1_1']) {
    const { model, x } = fixture(name);
    const r = await explain(model, x, { backend: nodeBackend, threads: 2, methods: ['integrated-gradients'], methodOptions: { 'ig-steps': 64 } });
    checkCompleteness(t, name, result(r, 'integrated-gradients'), 64);
  }
});

test('completeness on the default model (trained MobileNetV2): 1% at 256 Gauss-Legendre steps for two photos', async (t) => {
  const { model } = await loadImageModel(undefined);
  const x = preprocess(await Promise.all(PHOTOS.map((p) => readImageFile(p))), model.input);
  const r = await explain(model, x, { backend: nodeBackend, threads: 2, methods: ['integrated-gradients'], methodOptions: { 'ig-steps': 256 } });
  // chelsea.png (example 2) is reported, not checked: along the path from black, the Neutral logit rises
  // by 0.77 within a = 0.390..0.396 with a gradient that swings from -95 to 456 over steps of 1.5e-4
  // (the gradient integrates that ramp to within 1% of the forward passes' rise, so the gradient is
  // right); no fixed grid of up to 1024 nodes samples it well (relative delta ~0.12 at 64, 256 and 1024
  // Gauss-Legendre steps). At 64 steps coffee and grace_hopper are at 0.23 and 0.04.
  checkCompleteness(t, 'default model', result(r, 'integrated-gradients'), 256, (b) => b < 2);
});

test('tolerance mode: the steps double until |delta| <= T |F(x) - F(x\')|, and are reported', async (t) => {
  const { model, x } = fixture('squeezenet1_1');
  const T = 0.005;
  const r = await explain(model, x, { backend: nodeBackend, threads: 2, methods: ['integrated-gradients'], methodOptions: { 'ig-steps': 4, 'ig-tolerance': T, 'ig-rule': 'riemann-trapezoid' } });
  const v = result(r, 'integrated-gradients').extra!.values!;
  const per = x.data.length / 2;
  for (let b = 0; b < 2; b++) {
    const steps = v.steps![b]!;
    const gap = Math.abs(v.scoreInput![b]! - v.scoreBaseline![b]!);
    t.diagnostic(`example ${b}: ${steps} steps, |delta| ${Math.abs(v.delta![b]!).toExponential(2)} <= ${(T * gap).toExponential(2)}`);
    assert.deepEqual(v.converged![b], 1);
    assert.ok(Math.abs(v.delta![b]!) <= T * gap);
    assert.ok([4, 8, 16, 32, 64, 128, 256, 512, 1024].includes(steps));
    if (steps > 4) {
      // half as many steps, without tolerance mode, did not reach it
      const one = { type: 'float32' as const, dims: [1, ...x.dims.slice(1)], data: (x.data as Float32Array).slice(b * per, (b + 1) * per) };
      const h = await explain(model, one, { backend: nodeBackend, threads: 2, methods: ['integrated-gradients'], methodOptions: { 'ig-steps': steps / 2, 'ig-rule': 'riemann-trapezoid' } });
      const hv = result(h, 'integrated-gradients').extra!.values!;
      assert.ok(Math.abs(hv.delta![0]!) > T * Math.abs(hv.scoreInput![0]! - hv.scoreBaseline![0]!), `example ${b}: ${steps / 2} steps already reached the tolerance`);
    }
  }
  // a tolerance the step cap cannot reach: stops at the cap and says it did not converge
  const small = convNet(false);
  const capped = await run(small, images(2, 12), { methods: ['integrated-gradients'], methodOptions: { 'ig-steps': 2, 'ig-max-steps': 6, 'ig-tolerance': 0, baseline: 'uniform' } });
  const cv = result(capped, 'integrated-gradients').extra!.values!;
  assert.deepEqual(cv.steps, [6, 6]);
  assert.deepEqual(cv.converged, [0, 0]);
});
