/**
 * The first explanation methods (gradient, saliency, cam, gradcam) on micro-models whose answers are
 * known in closed form, plus the typed errors of `explain`.
 *
 * Oracles, computed in float64 in this file from the models' float32 weights and inputs:
 * - GAP + linear head (conv -> relu -> GlobalAveragePool -> Flatten -> Gemm, or MatMul + Add):
 *   CAM = sum_k w_kc A_k (Zhou et al. 2016, Eq. 2), with A computed here by a direct convolution;
 *   Grad-CAM's alpha_k = w_kc / (h w), so Grad-CAM = ReLU(CAM) / (h w).
 *   Upsampled maps are compared with a bilinear resize written here (half-pixel centres, PyTorch's
 *   align_corners=False formula).
 * - Grad-CAM at a conv inside a residual block (the head above it also reads the skip connection):
 *   d y_c / d A_k(p) = w_kc / (h w) where the block's output ReLU is active, else 0.
 * - logits = W x + b: gradient = W[c] (reshaped to the input), saliency = max over channels |W[c]|.
 * - a single sigmoid unit: class 1 is +logit, class 0 is -logit; probabilities are [1 - p, p].
 * - a final Softmax is looked through: the score is the pre-softmax logit.
 * Criteria: maps that are sums of float32 products are held to max|ours - oracle| / max|oracle| <= 1e-5
 * (float32 rounding of short sums is ~1e-7); maps that are copies of weights (linear models) must be
 * bit-exact; Grad-CAM against ReLU(CAM)/(h w) from the same run is held to 1e-6.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, type ExplainOptions } from '../../src/methods/explain.js';
import { methodIds } from '../../src/methods/registry.js';
import { imageModel, type ImageModel } from '../../src/model/image-model.js';
import type { InputSpec } from '../../src/model/input-spec.js';
import type { Model } from '../../src/onnx/ir.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { attrs } from '../util/build.js';
import { example, relErr, result } from '../util/map-checks.js';
import { rejects } from '../util/rejects.js';
import { conv3, resize } from '../util/map-oracles.js';
import { conv3x3, imageGraph, matmulLinear, randomImages, residualBlock } from '../util/micro-models.js';

const C = 3; // input channels
const S = 8; // input height and width
const K = 4; // feature maps
const H = 4; // feature map height and width (3x3 conv, stride 2, pad 1)

function spec(size = S, channels = C): InputSpec {
  return { layout: 'NCHW', height: size, width: size, channels, range: [0, 1], resize: 'stretch', source: 'options' };
}

/** A TestGraph (float32) whose image input has a symbolic batch dimension. */
const graph = (seed: number, channels = C, size = S) => ({ g: imageGraph(seed, channels, size), x: 'x' });

function wrap(onnx: Model, labels?: string[], size = S, channels = C): ImageModel {
  return imageModel(onnx, { name: 'micro', source: 'test', input: spec(size, channels), ...(labels ? { labels } : {}) });
}

const images = (batch: number, seed: number, size = S, channels = C) => randomImages([batch, channels, size, size], seed);

const run = (model: ImageModel, x: HostTensor, o: Omit<ExplainOptions, 'backend'>) => explain(model, x, { backend: nodeBackend, threads: 1, ...o });

// ---------------------------------------------------------------------------------------------
// (a) GAP + linear head

interface GapModel {
  onnx: Model;
  convW: number[]; // [K, C, 3, 3]
  convB: number[]; // [K]
  /** w[k][c]: the linear layer's weight from feature k to unit c */
  fc: (k: number, c: number) => number;
  units: number;
  layer: string;
}

/** conv(3x3, stride 2, pad 1) -> relu -> GAP -> Flatten -> Gemm(transB) | MatMul + Add [-> final]. */
function gapModel(linear: 'gemm' | 'gemm-kxu' | 'matmul', units: number, final?: 'Sigmoid' | 'Softmax', seed = 11): GapModel {
  const { g, x } = graph(seed);
  const { out: conv, w: convW, b: convB } = conv3x3(g, x, C, K, 2);
  const layer = g.op('Relu', [conv]);
  const flat = g.op('Flatten', [g.op('GlobalAveragePool', [layer])]);
  const wData = g.rnd.normals(units * K).map(Math.fround);
  let logits: string;
  let fc: (k: number, c: number) => number;
  if (linear === 'gemm') {
    // weight stored [units, K] with transB = 1, and alpha = 0.5 (the head must fold the scale in)
    logits = g.op('Gemm', [flat, g.value([units, K], wData), g.weight([units], 0.1)], [attrs.int('transB', 1), attrs.float('alpha', 0.5)]);
    fc = (k, c) => 0.5 * wData[c * K + k]!;
  } else if (linear === 'gemm-kxu') {
    // weight stored [K, units], transB = 0
    logits = g.op('Gemm', [flat, g.value([K, units], wData), g.weight([units], 0.1)]);
    fc = (k, c) => wData[k * units + c]!;
  } else {
    logits = g.op('Add', [g.op('MatMul', [flat, g.value([K, units], wData)]), g.weight([units], 0.1)]);
    fc = (k, c) => wData[k * units + c]!;
  }
  const out = final ? g.op(final, [logits]) : logits;
  return { onnx: g.model(out), convW, convB, fc, units, layer };
}

/** A = relu(conv(x)) for example b, by direct summation: [K, H, H]. */
function featureMap(m: GapModel, x: HostTensor, b: number): Float64Array {
  return conv3(example(x, b), C, S, m.convW, m.convB, K, 2).map((v) => Math.max(0, v));
}

/** sum_k w_kc A_k (sign * for a binary sigmoid's class 0): [H * H]. */
function camByHand(m: GapModel, a: Float64Array, unit: number, sign = 1): Float64Array {
  const out = new Float64Array(H * H);
  for (let k = 0; k < K; k++) for (let p = 0; p < H * H; p++) out[p] += sign * m.fc(k, unit) * a[k * H * H + p]!;
  return out;
}

for (const linear of ['gemm', 'gemm-kxu', 'matmul'] as const) {
  test(`(a) GAP + ${linear} head: CAM = sum_k w_kc A_k and Grad-CAM = ReLU(CAM)/(h w)`, async (t) => {
    const m = gapModel(linear, 5);
    const model = wrap(m.onnx);
    const x = images(3, 21);
    for (const target of ['top', 0, 3] as const) {
      const r = await run(model, x, { methods: ['cam', 'gradcam'], layer: m.layer, target });
      assert.equal(r.layer?.tensor, m.layer);
      const cam = result(r, 'cam');
      const gradcam = result(r, 'gradcam');
      assert.deepEqual(cam.layerMap?.dims, [3, H, H]);
      assert.deepEqual(cam.map.dims, [3, S, S]);
      for (let b = 0; b < 3; b++) {
        const c = r.targets[b]!.index;
        if (target !== 'top') assert.equal(c, target);
        const want = camByHand(m, featureMap(m, x, b), c);
        const e1 = relErr(example(cam.layerMap!, b), want);
        const e2 = relErr(example(cam.map, b), resize(want, H, S));
        const relu = want.map((v) => Math.max(0, v) / (H * H));
        const e3 = relErr(example(gradcam.layerMap!, b), relu);
        const e4 = relErr(example(gradcam.map, b), resize(relu, H, S));
        // Grad-CAM against the same run's CAM: alpha_k = w_kc / (h w) exactly
        const fromCam = Float64Array.from(example(cam.layerMap!, b), (v) => Math.max(0, v) / (H * H));
        const e5 = relErr(example(gradcam.layerMap!, b), fromCam);
        t.diagnostic(`target ${target} example ${b} (class ${c}): cam ${e1.toExponential(1)} / upsampled ${e2.toExponential(1)}; gradcam ${e3.toExponential(1)} / upsampled ${e4.toExponential(1)}; gradcam vs ReLU(cam)/hw ${e5.toExponential(1)}`);
        assert.ok(Math.max(e1, e2, e3, e4) <= 1e-5, `example ${b}: errors ${[e1, e2, e3, e4]}`);
        assert.ok(e5 <= 1e-6, `gradcam vs ReLU(cam)/(h w): ${e5}`);
      }
    }
  });
}

test('(a) a single-sigmoid GAP head: class 0 CAM is minus class 1 CAM; Grad-CAM follows', async () => {
  const m = gapModel('gemm', 1, 'Sigmoid', 12);
  const model = wrap(m.onnx);
  assert.equal(model.output.kind, 'sigmoid-binary');
  const x = images(2, 22);
  for (const cls of [0, 1]) {
    const r = await run(model, x, { methods: ['cam', 'gradcam'], layer: m.layer, target: cls });
    for (let b = 0; b < 2; b++) {
      const want = camByHand(m, featureMap(m, x, b), 0, cls === 1 ? 1 : -1);
      assert.ok(relErr(example(result(r, 'cam').layerMap!, b), want) <= 1e-5);
      const relu = want.map((v) => Math.max(0, v) / (H * H));
      // one of the two classes may have an all-zero Grad-CAM; compare in absolute terms then
      const got = example(result(r, 'gradcam').layerMap!, b);
      const scale = Math.max(...want.map(Math.abs)) / (H * H);
      for (let p = 0; p < relu.length; p++) assert.ok(Math.abs(got[p]! - relu[p]!) <= 1e-5 * scale, `class ${cls} example ${b} pixel ${p}`);
    }
  }
});

test('(a) Grad-CAM inside a residual block: the head reads the skip connection too', async (t) => {
  // x -> conv1 -> relu = s;  layer = conv2(s);  r = relu(layer + s) -> GAP -> Flatten -> Gemm
  // d y_c / d layer = w_kc / (h w) * [layer + s > 0], so alpha_k = w_kc * (fraction of active pixels of k) / (h w)
  const { g } = graph(71);
  const { layer, logits, w1, b1, w2, b2, fc: fcW } = residualBlock(g, C, K, 3, 0.1);
  const model = wrap(g.model(logits));
  const xs = images(2, 72);
  for (const target of [0, 2] as const) {
    const res = await run(model, xs, { methods: ['gradcam'], layer, target });
    for (let b = 0; b < 2; b++) {
      const sv = conv3(example(xs, b), C, S, w1, b1, K).map((v) => Math.max(0, v));
      const lv = conv3(sv, K, S, w2, b2, K);
      const n = S * S;
      const want = new Float64Array(n);
      for (let k = 0; k < K; k++) {
        let alpha = 0;
        for (let p = 0; p < n; p++) if (lv[k * n + p]! + sv[k * n + p]! > 0) alpha += fcW[target * K + k]! / n;
        alpha /= n;
        for (let p = 0; p < n; p++) want[p] += alpha * lv[k * n + p]!;
      }
      const relu = want.map((v) => Math.max(0, v));
      const e = relErr(example(result(res, 'gradcam').layerMap!, b), relu);
      t.diagnostic(`class ${target} example ${b}: error ${e.toExponential(2)}`);
      assert.ok(e <= 1e-5, `class ${target} example ${b}: ${e}`);
    }
  }
  await rejects(run(model, xs, { methods: ['cam'], layer }), 'USAGE', /Add/);
});

// ---------------------------------------------------------------------------------------------
// (b) (c) (d) linear models on the flattened input

const LC = 2; // channels of the linear models' input
const LS = 3; // their height and width
const D = LC * LS * LS;

/** logits = flatten(x) W + b, W stored [D, units]; optional final activation. */
function linearModel(units: number, final?: 'Sigmoid' | 'Softmax', seed = 31) {
  const { g } = graph(seed, LC, LS);
  const { logits, w, bias } = matmulLinear(g, D, units, 1, 0.1);
  const out = final ? g.op(final, [logits]) : logits;
  /** W[c] as the input's [LC, LS, LS] */
  const row = (c: number) => Float64Array.from({ length: D }, (_, i) => w[i * units + c]!);
  const logit = (xs: ArrayLike<number>, c: number) => {
    let s = bias[c]!;
    for (let i = 0; i < D; i++) s += w[i * units + c]! * xs[i]!;
    return s;
  };
  return { model: wrap(g.model(out), undefined, LS, LC), row, logit };
}

function channelMaxAbs(v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(LS * LS);
  for (let c = 0; c < LC; c++) for (let p = 0; p < LS * LS; p++) out[p] = Math.max(out[p]!, Math.abs(v[c * LS * LS + p]!));
  return out;
}

test('(b) linear model: gradient = W[c] and saliency = max over channels |W[c]|, bit-exact', async () => {
  const { model, row } = linearModel(4);
  const x = images(2, 32, LS, LC);
  for (const c of [0, 3]) {
    const r = await run(model, x, { methods: ['gradient', 'saliency'], target: c });
    const g = result(r, 'gradient');
    const s = result(r, 'saliency');
    assert.deepEqual(g.map.dims, [2, LC, LS, LS]);
    assert.deepEqual(s.map.dims, [2, LS, LS]);
    for (let b = 0; b < 2; b++) {
      assert.deepEqual([...example(g.map, b)], [...row(c)], `gradient, class ${c}, example ${b}`);
      assert.deepEqual([...example(s.map, b)], [...channelMaxAbs(row(c))], `saliency, class ${c}, example ${b}`);
    }
  }
});

test('(b) a difference of two logits: gradient = W[a] - W[b]; the score is logit a - logit b', async () => {
  const { model, row, logit } = linearModel(4);
  const x = images(2, 33, LS, LC);
  const r = await run(model, x, { methods: ['gradient'], target: { of: 3, minus: 1 } });
  const g = result(r, 'gradient');
  const want = row(3).map((v, i) => v - row(1)[i]!);
  for (let b = 0; b < 2; b++) {
    const got = example(g.map, b);
    for (let i = 0; i < D; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-6 * Math.max(1, Math.abs(want[i]!)), `example ${b}, element ${i}`);
    const xs = example(x, b);
    assert.ok(Math.abs(r.targets[b]!.score - (logit(xs, 3) - logit(xs, 1))) < 1e-4);
    assert.deepEqual([r.targets[b]!.index, r.targets[b]!.minus], [3, 1]);
  }
});

test('(c) single sigmoid: class 0 gradient = -(class 1 gradient); probabilities [1 - p, p]; score -logit for class 0', async () => {
  const { model, row, logit } = linearModel(1, 'Sigmoid', 33);
  assert.equal(model.output.kind, 'sigmoid-binary');
  assert.equal(model.output.classes, 2);
  const x = images(3, 34, LS, LC);
  const r0 = await run(model, x, { methods: ['gradient', 'saliency'], target: 0 });
  const r1 = await run(model, x, { methods: ['gradient', 'saliency'], target: 1 });
  for (let b = 0; b < 3; b++) {
    const g0 = example(result(r0, 'gradient').map, b);
    const g1 = example(result(r1, 'gradient').map, b);
    assert.deepEqual([...g1], [...row(0)]);
    assert.deepEqual([...g0], [...row(0)].map((v) => -v));
    assert.deepEqual([...example(result(r0, 'saliency').map, b)], [...example(result(r1, 'saliency').map, b)]);
    const z = logit(example(x, b), 0);
    const p = 1 / (1 + Math.exp(-z));
    const probs = new Map(r0.predictions[b]!.map((q) => [q.index, q.probability]));
    assert.equal(probs.size, 2);
    assert.ok(Math.abs(probs.get(1)! - p) < 1e-6 && Math.abs(probs.get(0)! - (1 - p)) < 1e-6, `example ${b}: ${[...probs]} vs p = ${p}`);
    assert.ok(Math.abs(r0.targets[b]!.score + z) < 1e-5 && Math.abs(r1.targets[b]!.score - z) < 1e-5);
    // 'top' picks the more probable class
    const top = await run(model, { type: 'float32', dims: [1, LC, LS, LS], data: example(x, b).slice() }, { methods: [] });
    assert.equal(top.targets[0]!.index, p >= 0.5 ? 1 : 0);
  }
});

test('(d) a final Softmax is looked through: the gradient is that of the pre-softmax logit', async () => {
  const plain = linearModel(5, undefined, 35);
  const soft = linearModel(5, 'Softmax', 35);
  assert.equal(soft.model.output.kind, 'softmax');
  assert.notEqual(soft.model.output.logits, soft.model.output.name);
  const x = images(2, 36, LS, LC);
  for (const c of [1, 4]) {
    const a = await run(plain.model, x, { methods: ['gradient'], target: c });
    const s = await run(soft.model, x, { methods: ['gradient'], target: c });
    assert.deepEqual([...result(s, 'gradient').map.data], [...result(a, 'gradient').map.data]);
    for (let b = 0; b < 2; b++) {
      assert.deepEqual([...example(result(s, 'gradient').map, b)], [...soft.row(c)]);
      assert.ok(Math.abs(s.targets[b]!.score - soft.logit(example(x, b), c)) < 1e-5, 'the score is the logit');
      // probabilities are the softmax of the logits
      const z = Array.from({ length: 5 }, (_, k) => soft.logit(example(x, b), k));
      const mx = Math.max(...z);
      const sum = z.reduce((acc, v) => acc + Math.exp(v - mx), 0);
      for (const q of s.predictions[b]!) assert.ok(Math.abs(q.probability - Math.exp(z[q.index]! - mx) / sum) < 1e-6);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// (e) batched = unbatched

test('(e) a batch of 3 gives the same maps as 3 single runs (also when split into chunks of 1)', async (t) => {
  const m = gapModel('gemm', 5, 'Softmax', 41);
  const model = wrap(m.onnx);
  const x = images(3, 42);
  const methods = methodIds();
  const batched = await run(model, x, { methods, layer: m.layer });
  // a memory budget too small for two examples makes the engine run chunks of one
  const done: number[] = [];
  const chunked = await run(model, x, { methods, layer: m.layer, memoryBudgetBytes: 1, onProgress: (n) => done.push(n) });
  assert.ok(done.includes(1) && done.includes(2) && done.includes(3), `progress after each chunk of one: ${done}`);
  let worst = 0;
  for (let b = 0; b < 3; b++) {
    const single = await run(model, { type: 'float32', dims: [1, C, S, S], data: example(x, b).slice() }, { methods, layer: m.layer });
    assert.equal(single.targets[0]!.index, batched.targets[b]!.index);
    assert.ok(Math.abs(single.targets[0]!.score - batched.targets[b]!.score) <= 1e-6 * Math.abs(batched.targets[b]!.score));
    for (const id of methods) {
      for (const other of [batched, chunked]) {
        const e = relErr(example(result(other, id).map, b), example(result(single, id).map, 0));
        const el = result(single, id).layerMap ? relErr(example(result(other, id).layerMap!, b), example(result(single, id).layerMap!, 0)) : 0;
        worst = Math.max(worst, e, el);
        assert.ok(e <= 1e-6 && el <= 1e-6, `${id} example ${b}: ${e}, ${el}`);
      }
    }
  }
  t.diagnostic(`largest batched-vs-single difference: ${worst.toExponential(2)} of the map's maximum`);
});

// ---------------------------------------------------------------------------------------------
// (f) errors

test('(f) cam on a layer that does not feed GAP + one linear layer: USAGE naming what stands in the way', async (t) => {
  // conv -> relu (layer) -> conv -> relu -> GAP -> Flatten -> Gemm
  {
    const { g, x } = graph(51);
    const conv = (inp: string, cin: number) => g.op('Conv', [inp, g.weight([K, cin, 3, 3]), g.weight([K], 0.1)], [attrs.ints('kernel_shape', [3, 3]), attrs.ints('pads', [1, 1, 1, 1])]);
    const layer = g.op('Relu', [conv(x, C)]);
    const second = conv(layer, K);
    const top = g.op('Relu', [second]);
    const logits = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [top])]), g.weight([3, K]), g.weight([3], 0.1)], [attrs.int('transB', 1)]);
    const model = wrap(g.model(logits));
    const conv2 = g.nodes.find((n) => n.outputs[0] === second)!;
    const msg = await rejects(run(model, images(1, 52), { methods: ['cam'], layer }), 'USAGE', new RegExp(`Conv '${conv2.name}'`), /gradcam/);
    t.diagnostic(msg);
    // the same model's last map does feed GAP + Gemm: cam works there
    const r = await run(model, images(1, 52), { methods: ['cam'] });
    assert.equal(r.layer?.tensor, top);
  }
  // conv -> relu (layer) -> GAP -> Flatten -> Gemm -> Relu -> Gemm: two linear layers
  {
    const { g, x } = graph(53);
    const layer = g.op('Relu', [g.op('Conv', [x, g.weight([K, C, 3, 3]), g.weight([K], 0.1)], [attrs.ints('kernel_shape', [3, 3])])]);
    const hidden = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [layer])]), g.weight([6, K]), g.weight([6], 0.1)], [attrs.int('transB', 1)]);
    const logits = g.op('Gemm', [g.op('Relu', [hidden]), g.weight([3, 6]), g.weight([3], 0.1)], [attrs.int('transB', 1)]);
    const model = wrap(g.model(logits));
    const msg = await rejects(run(model, images(1, 54), { methods: ['cam'], layer }), 'USAGE', new RegExp(`'${hidden}'`), /not the logits/);
    t.diagnostic(msg);
    // Grad-CAM needs no such structure
    await run(model, images(1, 54), { methods: ['gradcam'], layer });
  }
});

test('(f) unknown method, layer and class; wrong input shape; non-finite input', async (t) => {
  const m = gapModel('matmul', 3, 'Softmax', 61);
  const model = wrap(m.onnx);
  const labeled = wrap(m.onnx, ['cat', 'dog', 'bird']);
  const x = images(2, 62);
  const msgs = [
    await rejects(run(model, x, { methods: ['gradcam', 'nope'] }), 'UNKNOWN_METHOD', /'nope'/, ...methodIds().map((id) => new RegExp(`(^|[ ,])${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([,.]|$)`))),
    await rejects(run(model, x, { methods: ['gradcam'], layer: 'conv9' }), 'UNKNOWN_LAYER', /'conv9'/, new RegExp(m.layer)),
    await rejects(run(model, x, { methods: ['gradient'], target: 3 }), 'UNKNOWN_CLASS', /3/, /0\.\.2/),
    await rejects(run(model, x, { methods: ['gradient'], target: -1 }), 'UNKNOWN_CLASS'),
    await rejects(run(model, x, { methods: ['gradient'], target: 'cat' }), 'UNKNOWN_CLASS', /no class names/),
    await rejects(run(labeled, x, { methods: ['gradient'], target: 'fish' }), 'UNKNOWN_CLASS', /'fish'/, /'cat', 'dog', 'bird'/),
    await rejects(run(model, images(2, 63, S + 1), { methods: ['gradient'] }), 'INPUT_SHAPE', /\[2, 3, 9, 9\]/, /\[N, 3, 8, 8\]/),
    await rejects(run(model, { type: 'float32', dims: [C, S, S], data: new Float32Array(C * S * S) }, { methods: ['gradient'] }), 'INPUT_SHAPE'),
  ];
  const nan = { ...x, data: Float32Array.from(x.data as Float32Array) };
  (nan.data as Float32Array)[70] = NaN;
  msgs.push(await rejects(run(model, nan, { methods: ['saliency'] }), 'INPUT_VALUE', /NaN/, /70/));
  const inf = { ...x, data: Float32Array.from(x.data as Float32Array) };
  (inf.data as Float32Array)[5] = -Infinity;
  msgs.push(await rejects(run(model, inf, { methods: ['cam'], layer: m.layer }), 'INPUT_VALUE', /Infinity/));
  // names resolve case-insensitively when unambiguous
  const ok = await run(labeled, x, { methods: ['gradient'], target: 'Dog' });
  assert.deepEqual(ok.targets.map((q) => q.label), ['dog', 'dog']);
  for (const msg of msgs) t.diagnostic(msg);
});
