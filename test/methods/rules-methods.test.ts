/**
 * The methods that change backward rules: guided-backprop, deconvnet, deeplift (rescale), lrp.
 *
 * Oracles (independent of the code under test):
 * - guided-backprop and deconvnet on resnet18, mobilenet_v2 and vgg11_bn (seeded random weights)
 *   against the plain-PyTorch float64 references of scripts/torch_fixtures.py (see
 *   test/autodiff/torch-parity.test.ts). Criterion (DESIGN.md): max |ours - ref64| / max |ref64| <=
 *   max(1e-3, 2 e32), e32 = PyTorch float32's own error against the same reference.
 * - DeepLIFT-rescale and LRP (epsilon, z+) on 2-layer dense networks and on a max-pool layer, computed
 *   in float64 in this file from the float32 weights by the papers' equations (Shrikumar et al. 2017,
 *   Sec. 3.5.2; Montavon et al. 2019, Eq. 5; Bach et al. 2015 alpha1beta0). Criterion: max error
 *   relative to the oracle's max magnitude <= 1e-5 (float32 sums of a few hundred products).
 * - Axioms: DeepLIFT's summation-to-delta sum C = F(x) - F(x0) on a ReLU CNN with Conv, Relu, an
 *   overlapping MaxPool, a residual Add, GlobalAveragePool and Gemm (all with biases) and on resnet18;
 *   LRP's conservation sum R = logit on the same CNN without biases. Criterion: |residual| /
 *   |F(x) - F(x0)| (resp. / |logit|) <= 1e-5 on the micro CNN (float32 sums of ~200 terms) and
 *   <= 1e-4 on resnet18 (150,528 float32 terms through 20 layers; for LRP the z+ rule, which ignores
 *   biases and so conserves on a network with biases).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readNpy } from '../../src/data/npy.js';
import { CnnlensError } from '../../src/errors.js';
import { explain, type ExplainOptions } from '../../src/methods/explain.js';
import { imageModel, type ImageModel } from '../../src/model/image-model.js';
import type { InputSpec } from '../../src/model/input-spec.js';
import type { Model } from '../../src/onnx/ir.js';
import { loadModelFile } from '../../src/onnx/load-file.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { TestGraph, attrs } from '../util/build.js';
import { relErr, result } from '../util/map-checks.js';
import { imageGraph, randomImages } from '../util/micro-models.js';

const run = (model: ImageModel, x: HostTensor, o: Omit<ExplainOptions, 'backend'>) => explain(model, x, { backend: nodeBackend, threads: 2, ...o });

function sum(a: ArrayLike<number>, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]!;
  return s;
}

// ---------------------------------------------------------------------------------------------
// (a) guided backprop and deconvnet against PyTorch

const TORCH = new URL('../fixtures/torch/', import.meta.url);
const IMAGENET: InputSpec = {
  layout: 'NCHW', height: 224, width: 224, channels: 3, range: [0, 1],
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'center-crop', source: 'options',
};

function torchNpy(name: string) {
  return readNpy(new Uint8Array(readFileSync(new URL(name, TORCH))));
}

function torchModel(name: string): { model: ImageModel; input: HostTensor; targets: number[]; e32: Record<string, number> } {
  const path = new URL(`${name}.onnx`, TORCH);
  if (!existsSync(path)) assert.fail(`missing fixture ${path.pathname}: run scripts/torch-fixtures.sh (scripts/test.sh does)`);
  const meta = JSON.parse(readFileSync(new URL(`${name}.json`, TORCH), 'utf8')) as { targets: number[]; f32Error: Record<string, number> };
  const model = imageModel(loadModelFile(path.pathname), { name, source: path.pathname, input: IMAGENET });
  const x = torchNpy(`${name}.input.npy`);
  return { model, input: { type: 'float32', dims: x.shape, data: x.data as Float32Array }, targets: meta.targets, e32: meta.f32Error };
}

/** Examples [from, to) of a batch. */
function examples(x: HostTensor, from: number, to: number): HostTensor {
  const per = x.data.length / x.dims[0]!;
  return { type: 'float32', dims: [to - from, ...x.dims.slice(1)], data: (x.data as Float32Array).slice(from * per, to * per) };
}

for (const name of ['resnet18', 'mobilenet_v2', 'vgg11_bn']) {
  test(`guided-backprop and deconvnet equal PyTorch: ${name}`, async (t) => {
    const { model, input, targets, e32 } = torchModel(name);
    const n = input.dims[0]!;
    const per = input.data.length / n;
    // runs of consecutive examples with the same target class (explain takes one target per call)
    const groups: [number, number][] = [];
    for (let b = 0; b < n; b++) {
      if (b > 0 && targets[b] === targets[b - 1]) groups[groups.length - 1]![1] = b + 1;
      else groups.push([b, b + 1]);
    }
    const batches: [number, number][] = [...groups, [0, 1]];
    for (const [from, to] of batches) {
      const r = await run(model, examples(input, from, to), { methods: ['guided-backprop', 'deconvnet'], target: targets[from]! });
      for (const [method, kind] of [['guided-backprop', 'guided'], ['deconvnet', 'deconvnet']] as const) {
        const got = result(r, method).map;
        assert.deepEqual(got.dims, [to - from, ...input.dims.slice(1)]);
        const ref = torchNpy(`${name}.${kind}.f64.npy`).data as Float64Array;
        const err = relErr(got.data as Float32Array, ref.subarray(from * per, to * per));
        const bound = Math.max(1e-3, 2 * e32[kind]!);
        t.diagnostic(`${method} examples ${from}..${to - 1}: error ${err.toExponential(2)} (bound ${bound.toExponential(2)}, PyTorch float32 ${e32[kind]!.toExponential(2)})`);
        assert.ok(err <= bound, `${name} ${method} examples ${from}..${to - 1}: error ${err.toExponential(3)} > ${bound.toExponential(3)}`);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// micro-models

const C = 2;
const S = 4;
const D = C * S * S;
/** inputs normalized with a mean and std, so that 'black' (pixel 0) is not 0 in input space */
const SPEC: InputSpec = { layout: 'NCHW', height: S, width: S, channels: C, range: [0, 1], mean: [0.5, 0.4], std: [0.25, 0.5], resize: 'stretch', source: 'options' };

const graph = (seed: number, channels = C, size = S) => ({ g: imageGraph(seed, channels, size), x: 'x' });

function wrap(onnx: Model, spec: InputSpec = SPEC): ImageModel {
  return imageModel(onnx, { name: 'micro', source: 'test', input: spec });
}

const images = (batch: number, seed: number, per = D) => randomImages(per === D ? [batch, C, S, S] : [batch, CNN_C, CNN_S, CNN_S], seed);

/** The 'black' reference in input space: pixel 0 -> (0 - mean[c]) / std[c]. */
function black(spec: InputSpec, per: number): Float64Array {
  const plane = spec.height * spec.width;
  return Float64Array.from({ length: per }, (_, i) => (0 - spec.mean![Math.floor(i / plane)]!) / spec.std![Math.floor(i / plane)]!);
}

interface Dense {
  onnx: Model;
  w1: number[]; // [H1, D]
  b1: number[];
  w2: number[]; // [U, H1]
  b2: number[];
  act: (z: number) => number;
}

const H1 = 6;
const U = 3;

/** x -> Flatten -> Gemm(transB) -> act -> Gemm(transB) -> logits. */
function dense(seed: number, act: 'Relu' | 'Tanh', bias: boolean): Dense {
  const { g, x } = graph(seed);
  const w1 = g.rnd.normals(H1 * D, 0.4).map(Math.fround);
  const b1 = bias ? g.rnd.normals(H1, 0.3).map(Math.fround) : new Array<number>(H1).fill(0);
  const w2 = g.rnd.normals(U * H1, 0.6).map(Math.fround);
  const b2 = bias ? g.rnd.normals(U, 0.3).map(Math.fround) : new Array<number>(U).fill(0);
  const gemm = (a: string, w: number[], b: number[], rows: number, cols: number) =>
    g.op('Gemm', bias ? [a, g.value([rows, cols], w), g.value([rows], b)] : [a, g.value([rows, cols], w)], [attrs.int('transB', 1)]);
  const h = g.op(act, [gemm(g.op('Flatten', [x]), w1, b1, H1, D)]);
  const logits = gemm(h, w2, b2, U, H1);
  return { onnx: g.model(logits), w1, b1, w2, b2, act: act === 'Relu' ? (z) => Math.max(0, z) : Math.tanh };
}

function hidden(m: Dense, x: ArrayLike<number>, off: number): Float64Array {
  return Float64Array.from({ length: H1 }, (_, j) => {
    let z = m.b1[j]!;
    for (let i = 0; i < D; i++) z += m.w1[j * D + i]! * x[off + i]!;
    return z;
  });
}

function logit(m: Dense, a: ArrayLike<number>, c: number): number {
  let z = m.b2[c]!;
  for (let j = 0; j < H1; j++) z += m.w2[c * H1 + j]! * a[j]!;
  return z;
}

/** DeepLIFT-rescale, Shrikumar et al. 2017 Sec. 3.5.2: C_i = (x_i - x0_i) sum_j w1_ji s_j w2_cj, s_j the secant. */
function deepliftOracle(m: Dense, x: ArrayLike<number>, off: number, x0: ArrayLike<number>, c: number): Float64Array {
  const z = hidden(m, x, off);
  const z0 = hidden(m, x0, 0);
  const s = Array.from(z, (zj, j) => {
    const dz = zj - z0[j]!;
    if (Math.abs(dz) > 1e-7) return (m.act(zj) - m.act(z0[j]!)) / dz;
    return m.act === Math.tanh ? 1 - Math.tanh(zj) ** 2 : zj > 0 ? 1 : 0;
  });
  return Float64Array.from({ length: D }, (_, i) => {
    let acc = 0;
    for (let j = 0; j < H1; j++) acc += m.w1[j * D + i]! * s[j]! * m.w2[c * H1 + j]!;
    return (x[off + i]! - x0[i]!) * acc;
  });
}

const sgn = (z: number) => (z >= 0 ? 1 : -1);

/** LRP on the dense ReLU net: epsilon (Montavon 2019 Eq. 5) or z+ (alpha1beta0: (x w)^+). */
function lrpOracle(m: Dense, x: ArrayLike<number>, off: number, c: number, rule: 'epsilon' | 'zplus', eps: number): Float64Array {
  const z = hidden(m, x, off);
  const a = Array.from(z, (v) => Math.max(0, v));
  const zc = logit(m, a, c);
  const rHidden = new Float64Array(H1);
  if (rule === 'epsilon') {
    for (let j = 0; j < H1; j++) rHidden[j] = (a[j]! * m.w2[c * H1 + j]! * zc) / (zc + eps * sgn(zc));
  } else {
    const q = a.map((aj, j) => Math.max(0, aj * m.w2[c * H1 + j]!));
    const total = q.reduce((p, v) => p + v, 0);
    for (let j = 0; j < H1; j++) rHidden[j] = total > 0 ? (q[j]! / total) * zc : 0;
  }
  const out = new Float64Array(D);
  for (let j = 0; j < H1; j++) {
    if (rHidden[j] === 0) continue;
    if (rule === 'epsilon') {
      const f = rHidden[j]! / (z[j]! + eps * sgn(z[j]!));
      for (let i = 0; i < D; i++) out[i] = out[i]! + x[off + i]! * m.w1[j * D + i]! * f;
    } else {
      const q = Array.from({ length: D }, (_, i) => Math.max(0, x[off + i]! * m.w1[j * D + i]!));
      const total = q.reduce((p, v) => p + v, 0);
      if (total > 0) for (let i = 0; i < D; i++) out[i] = out[i]! + (q[i]! / total) * rHidden[j]!;
    }
  }
  return out;
}

test('deeplift equals the rescale rule computed by hand on 2-layer dense networks (ReLU, tanh)', async (t) => {
  for (const act of ['Relu', 'Tanh'] as const) {
    const m = dense(3, act, true);
    const model = wrap(m.onnx);
    const x = images(3, 5);
    for (const [baseline, x0] of [['black', black(SPEC, D)], ['zeros', new Float64Array(D)]] as const) {
      const r = await run(model, x, { methods: ['deeplift'], target: 1, methodOptions: { 'deeplift-baseline': baseline } });
      const got = result(r, 'deeplift');
      for (let b = 0; b < 3; b++) {
        const want = deepliftOracle(m, x.data as Float32Array, b * D, x0, 1);
        const err = relErr((got.map.data as Float32Array).subarray(b * D, (b + 1) * D), want);
        t.diagnostic(`${act}, ${baseline} reference, example ${b}: error ${err.toExponential(2)}, delta ${got.extra!.values!['delta']![b]!.toExponential(2)}`);
        assert.ok(err <= 1e-5, `${act} ${baseline} example ${b}: error ${err}`);
        // summation-to-delta against logits computed here
        const fx = logit(m, Array.from(hidden(m, x.data as Float32Array, b * D), m.act), 1);
        const f0 = logit(m, Array.from(hidden(m, x0, 0), m.act), 1);
        assert.ok(Math.abs(sum(want) - (fx - f0)) <= 1e-9 * Math.abs(fx - f0) + 1e-12, 'the oracle itself sums to delta');
        assert.ok(Math.abs(got.extra!.values!['delta']![b]!) <= 1e-5 * Math.abs(fx - f0), `delta ${got.extra!.values!['delta']![b]}`);
        assert.ok(Math.abs(got.extra!.values!['reference-score']![b]! - f0) <= 1e-5 * Math.abs(f0));
      }
    }
  }
});

test('deeplift through a max pool: the output difference goes to the winners of input and reference', async () => {
  // x [N, 2, 4, 4] -> MaxPool 2x2/2 -> Flatten [N, 8] -> Gemm (no bias)
  const { g, x } = graph(7);
  const w = g.rnd.normals(U * 8).map(Math.fround);
  const logits = g.op('Gemm', [g.op('Flatten', [g.op('MaxPool', [x], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])])]), g.value([U, 8], w)], [attrs.int('transB', 1)]);
  const model = wrap(g.model(logits));
  const input = images(2, 8);
  const x0 = black(SPEC, D);
  const r = await run(model, input, { methods: ['deeplift'], target: 2 });
  const got = result(r, 'deeplift');
  for (let b = 0; b < 2; b++) {
    const xs = (input.data as Float32Array).subarray(b * D, (b + 1) * D);
    const want = new Float64Array(D);
    for (let c = 0; c < C; c++) {
      for (let oi = 0; oi < 2; oi++) {
        for (let oj = 0; oj < 2; oj++) {
          const cells = [0, 1, 2, 3].map((k) => (c * S + 2 * oi + (k >> 1)) * S + 2 * oj + (k & 1));
          const arg = (v: ArrayLike<number>) => cells.reduce((best, p) => (v[p]! > v[best]! ? p : best), cells[0]!);
          const px = arg(xs);
          const p0 = arg(x0);
          const y = xs[px]!;
          const y0 = x0[p0]!;
          const wo = w[2 * 8 + c * 4 + oi * 2 + oj]!;
          want[px] = want[px]! + wo * (Math.max(y, y0) - y0);
          want[p0] = want[p0]! + wo * (y - Math.max(y, y0));
        }
      }
    }
    const err = relErr((got.map.data as Float32Array).subarray(b * D, (b + 1) * D), want);
    assert.ok(err <= 1e-5, `example ${b}: error ${err}`);
  }
});

const CNN_C = 3;
const CNN_S = 8;
const CNN_SPEC: InputSpec = { ...SPEC, height: CNN_S, width: CNN_S, channels: CNN_C, mean: [0.5, 0.4, 0.3], std: [0.25, 0.5, 0.2] };

/** Conv -> Relu -> MaxPool 3x3/2 pad 1 -> Conv -> Relu -> Add (residual) -> [Relu] -> pool -> GAP -> Flatten -> Gemm. */
function cnn(seed: number, bias: boolean, pool: 'none' | 'avg'): Model {
  const { g, x } = graph(seed, CNN_C, CNN_S);
  const conv = (a: string, cin: number, cout: number) =>
    g.op('Conv', bias ? [a, g.weight([cout, cin, 3, 3], 0.4), g.weight([cout], 0.2)] : [a, g.weight([cout, cin, 3, 3], 0.4)], [attrs.ints('kernel_shape', [3, 3]), attrs.ints('pads', [1, 1, 1, 1])]);
  const a1 = g.op('Relu', [conv(x, CNN_C, 4)]);
  const p1 = g.op('MaxPool', [a1], [attrs.ints('kernel_shape', [3, 3]), attrs.ints('strides', [2, 2]), attrs.ints('pads', [1, 1, 1, 1])]);
  const a2 = g.op('Relu', [conv(p1, 4, 4)]);
  let h = g.op('Relu', [g.op('Add', [a2, p1])]);
  if (pool === 'avg') h = g.op('AveragePool', [h], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])]);
  const flat = g.op('Flatten', [g.op('GlobalAveragePool', [h])]);
  const logits = g.op('Gemm', bias ? [flat, g.weight([U, 4], 0.8), g.weight([U], 0.2)] : [flat, g.weight([U, 4], 0.8)], [attrs.int('transB', 1)]);
  return g.model(logits);
}

test('deeplift: summation-to-delta on a ReLU CNN (Conv, overlapping MaxPool, Add, GAP, Gemm), batched or not', async (t) => {
  const model = wrap(cnn(21, true, 'none'), CNN_SPEC);
  const per = CNN_C * CNN_S * CNN_S;
  const x = images(3, 22, per);
  const r = await run(model, x, { methods: ['deeplift'], target: 0 });
  const got = result(r, 'deeplift');
  const x0 = new Float32Array(3 * per);
  for (let b = 0; b < 3; b++) x0.set(black(CNN_SPEC, per), b * per);
  const ref = await run(model, { type: 'float32', dims: x.dims, data: x0 }, { methods: [], target: 0 });
  for (let b = 0; b < 3; b++) {
    const diff = r.targets[b]!.score - ref.targets[b]!.score;
    const s = sum(got.map.data as Float32Array, b * per, (b + 1) * per);
    const rel = Math.abs(s - diff) / Math.abs(diff);
    t.diagnostic(`example ${b}: F(x) - F(x0) = ${diff.toFixed(6)}, sum of attributions ${s.toFixed(6)}, |delta|/|F(x)-F(x0)| = ${rel.toExponential(2)}`);
    assert.ok(rel <= 1e-5, `example ${b}: ${rel}`);
    assert.ok(Math.abs(got.extra!.values!['delta']![b]! - (s - diff)) <= 1e-5 * Math.abs(diff));
  }
  // with the max pool's plain gradient the residual is not float rounding (the winners differ)
  const grad = result(await run(model, x, { methods: ['deeplift'], target: 0, methodOptions: { 'deeplift-maxpool': 'gradient' } }), 'deeplift');
  t.diagnostic(`--deeplift-maxpool gradient: deltas ${grad.extra!.values!['delta']!.map((d) => d.toExponential(2)).join(', ')}`);
  // one pair per runtime call gives the same attributions, with progress after each pair
  const progress: [number, number][] = [];
  const small = result(await run(model, x, { methods: ['deeplift'], target: 0, memoryBudgetBytes: 1, onProgress: (d, n) => progress.push([d, n]) }), 'deeplift');
  const err = relErr(small.map.data as Float32Array, got.map.data as Float32Array);
  t.diagnostic(`one pair per call vs one call: ${err.toExponential(2)}`);
  assert.ok(err <= 1e-6, `batched vs unbatched: ${err}`);
  // (explain's forward pass reports first)
  assert.deepEqual(progress.slice(-3), [[1, 3], [2, 3], [3, 3]]);
});

test('deeplift: summation-to-delta on resnet18', async (t) => {
  const { model, input, targets } = torchModel('resnet18');
  const x = examples(input, 0, 2);
  const r = await run(model, x, { methods: ['deeplift'], target: targets[0]! });
  const got = result(r, 'deeplift');
  const per = x.data.length / 2;
  for (let b = 0; b < 2; b++) {
    const diff = r.targets[b]!.score - got.extra!.values!['reference-score']![b]!;
    const delta = got.extra!.values!['delta']![b]!;
    const s = sum(got.map.data as Float32Array, b * per, (b + 1) * per);
    const rel = Math.abs(delta) / Math.abs(diff);
    t.diagnostic(`example ${b}: F(x) - F(black) = ${diff.toFixed(5)}, |delta| = ${Math.abs(delta).toExponential(2)}, |delta|/|F(x)-F(x0)| = ${rel.toExponential(2)}`);
    assert.ok(Math.abs(s - diff - delta) <= 1e-4 * Math.abs(diff), 'delta is sum - (F(x) - F(x0))');
    assert.ok(rel <= 1e-4, `example ${b}: ${rel}`);
  }
});

test('lrp on resnet18: z+ conserves the logit (biases ignored); epsilon reports what biases absorb', async (t) => {
  const { model, input, targets } = torchModel('resnet18');
  const x = examples(input, 0, 2);
  const per = x.data.length / 2;
  for (const rule of ['zplus', 'epsilon']) {
    const r = await run(model, x, { methods: ['lrp'], target: targets[0]!, methodOptions: { 'lrp-rule': rule } });
    const got = result(r, 'lrp');
    for (let b = 0; b < 2; b++) {
      const score = r.targets[b]!.score;
      const residual = sum(got.map.data as Float32Array, b * per, (b + 1) * per) - score;
      t.diagnostic(`${rule} example ${b}: logit ${score.toFixed(4)}, sum R - logit = ${residual.toExponential(2)} (${(Math.abs(residual) / Math.abs(score)).toExponential(2)} of the logit)`);
      assert.ok(Math.abs(got.extra!.values!['delta']![b]! - residual) <= 1e-5 * Math.abs(score));
      if (rule === 'zplus') assert.ok(Math.abs(residual) <= 1e-4 * Math.abs(score), `z+ example ${b}: ${residual}`);
    }
  }
});

test('lrp equals the epsilon and z+ rules computed by hand on a 2-layer dense ReLU network', async (t) => {
  for (const bias of [false, true]) {
    const m = dense(13, 'Relu', bias);
    const model = wrap(m.onnx);
    const x = images(3, 14);
    for (const [rule, eps] of [['epsilon', 1e-6], ['epsilon', 0.5], ['zplus', 0]] as const) {
      const r = await run(model, x, { methods: ['lrp'], target: 2, methodOptions: { 'lrp-rule': rule, ...(rule === 'epsilon' ? { 'lrp-epsilon': eps } : {}) } });
      const got = result(r, 'lrp');
      for (let b = 0; b < 3; b++) {
        const want = lrpOracle(m, x.data as Float32Array, b * D, 2, rule, eps);
        const err = relErr((got.map.data as Float32Array).subarray(b * D, (b + 1) * D), want);
        const score = r.targets[b]!.score;
        const residual = sum(got.map.data as Float32Array, b * D, (b + 1) * D) - score;
        t.diagnostic(`${rule}${rule === 'epsilon' ? ` ${eps}` : ''}, ${bias ? 'with' : 'without'} biases, example ${b}: error ${err.toExponential(2)}, sum R - logit = ${residual.toExponential(2)}`);
        assert.ok(err <= 1e-5, `${rule} ${eps} bias ${bias} example ${b}: error ${err}`);
        assert.ok(Math.abs(got.extra!.values!['delta']![b]! - residual) <= 1e-5 * Math.abs(score));
        // conservation without biases (with biases, they and eps absorb relevance; z+ drops a layer's
        // relevance where no input contributes positively, e.g. a logit made only of negative terms)
        if (!bias && !(rule === 'epsilon' && eps === 0.5)) assert.ok(Math.abs(residual) <= 1e-5 * Math.abs(score), `conservation: ${residual}`);
      }
    }
  }
});

test('lrp: relevance is conserved through a bias-free CNN (Conv, MaxPool, Add, AveragePool, GAP, Gemm)', async (t) => {
  const model = wrap(cnn(31, false, 'avg'), CNN_SPEC);
  const per = CNN_C * CNN_S * CNN_S;
  const x = images(3, 32, per);
  for (const rule of ['epsilon', 'zplus']) {
    const r = await run(model, x, { methods: ['lrp'], target: 1, methodOptions: { 'lrp-rule': rule } });
    const got = result(r, 'lrp');
    for (let b = 0; b < 3; b++) {
      const score = r.targets[b]!.score;
      const rel = Math.abs(sum(got.map.data as Float32Array, b * per, (b + 1) * per) - score) / Math.abs(score);
      t.diagnostic(`${rule} example ${b}: logit ${score.toFixed(5)}, |sum R - logit| / |logit| = ${rel.toExponential(2)}`);
      assert.ok(rel <= 1e-5, `${rule} example ${b}: ${rel}`);
    }
  }
});

test('ops without a rule in the deeplift or lrp rule sets are refused, naming the op and the rule set', async () => {
  const expectRefusal = async (model: ImageModel, method: string, op: RegExp, rules: RegExp) =>
    assert.rejects(run(model, images(1, 1), { methods: [method], target: 0 }), (e: unknown) => {
      assert.ok(e instanceof CnnlensError && e.code === 'NO_GRADIENT_RULE', String(e));
      assert.match(e.message, op);
      assert.match(e.message, rules);
      return true;
    });
  const build = (middle: (g: TestGraph, h: string) => string) => {
    const { g, x } = graph(41);
    const h = g.op('Gemm', [g.op('Flatten', [x]), g.weight([H1, D])], [attrs.int('transB', 1)]);
    return wrap(g.model(g.op('Gemm', [middle(g, h), g.weight([U, H1])], [attrs.int('transB', 1)])));
  };
  const sigmoid = build((g, h) => g.op('Sigmoid', [h]));
  await expectRefusal(sigmoid, 'lrp', /Sigmoid/, /'lrp-epsilon'/);
  const swish = build((g, h) => g.op('Mul', [h, g.op('Sigmoid', [h])]));
  await expectRefusal(swish, 'deeplift', /Mul/, /'rescale'/);
  const softmax = build((g, h) => g.op('Softmax', [h], [attrs.int('axis', 1)]));
  await expectRefusal(softmax, 'deeplift', /Softmax/, /'rescale'/);
});
