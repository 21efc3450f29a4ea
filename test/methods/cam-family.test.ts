/**
 * The CAM family (gradcam++, xgradcam, hirescam, layercam, eigencam, scorecam, ablationcam,
 * guided-gradcam) on micro-models whose answers are known in closed form. Every oracle is computed
 * here in float64 from the models' float32 weights and inputs (feature maps by direct convolution,
 * upsampling by a bilinear resize written here with half-pixel centres):
 * - GAP + linear head (conv 3x3/2 -> ReLU = A -> GlobalAveragePool -> Gemm, logits y_c = sum_k w_kc
 *   mean(A_k) + b_c): d y_c / d A_k(p) = w_kc / (h w) everywhere, so with CAM = sum_k w_kc A_k and
 *   S_k = sum_p A_k(p):
 *     XGrad-CAM = ReLU(CAM) / (h w)        (its weights average a constant gradient)
 *     HiResCAM  = CAM / (h w)              (signed)
 *     LayerCAM  = ReLU(sum_k ReLU(w_kc) A_k) / (h w)   (= ReLU(HiResCAM) when every w_kc > 0)
 *     Grad-CAM++: alpha = g^2 / (2 g^2 + S_k g^3) = 1 / (2 + S_k g), so w_k = w_kc / (2 + S_k w_kc / (h w))
 *                 for w_kc > 0, else 0
 *     Ablation-CAM: zeroing A_k lowers y_c by w_kc mean(A_k), so w_k = w_kc mean(A_k) / y_c
 *     Score-CAM: the masked inputs x * minmax(resize(A_k)) are run through the model written out here
 *     Guided Grad-CAM: guided backprop through GAP -> ReLU -> conv is relu(w_kc)/(h w) [A_k > 0]
 *                 pushed through the conv's transpose, times the upsampled ReLU(CAM)/(h w)
 * - a residual block (the head above the layer also reads the skip connection s): y_c = b_c +
 *   sum_j w_jc mean(ReLU(L_j + s_j)); LayerCAM / HiResCAM with d y_c / d L_k = w_kc/(h w) [L_k + s_k > 0],
 *   Ablation-CAM with the ablated score written out.
 * - EigenCAM: a 1x1 conv without ReLU makes A_k = u_k x + c_k, rank one once centred, so the map is
 *   sign(sum u) |u| (x - mean x); on a general layer, the first principal component from a power
 *   iteration on the centred activations' covariance, written here.
 * Criterion: max |ours - oracle| / max |oracle| <= 1e-5 (sums of float32 products), except where a
 * test says why it allows more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, type ExplainOptions } from '../../src/methods/explain.js';
import { imageModel, type ImageModel } from '../../src/model/image-model.js';
import type { InputSpec } from '../../src/model/input-spec.js';
import type { Model } from '../../src/onnx/ir.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { attrs } from '../util/build.js';
import { example, relErr, result } from '../util/map-checks.js';
import { conv3, resize } from '../util/map-oracles.js';
import { conv3x3, imageGraph, randomImages, residualBlock } from '../util/micro-models.js';

const C = 3; // input channels
const S = 8; // input height and width
const K = 4; // feature maps
const H = 4; // their height and width (3x3 conv, stride 2, pad 1)
const UNITS = 5;

function spec(channels = C): InputSpec {
  return { layout: 'NCHW', height: S, width: S, channels, range: [0, 1], resize: 'stretch', source: 'options' };
}

const graph = (seed: number, channels = C) => imageGraph(seed, channels, S);

function wrap(onnx: Model, channels = C): ImageModel {
  return imageModel(onnx, { name: 'micro', source: 'test', input: spec(channels) });
}

const images = (batch: number, seed: number, channels = C) => randomImages([batch, channels, S, S], seed);

const run = (model: ImageModel, x: HostTensor, o: Omit<ExplainOptions, 'backend'>) => explain(model, x, { backend: nodeBackend, threads: 1, ...o });

const relu = (v: Float64Array) => v.map((x) => Math.max(0, x));
const mean = (v: ArrayLike<number>, from: number, to: number) => {
  let s = 0;
  for (let i = from; i < to; i++) s += v[i]!;
  return s / (to - from);
};

/** sum_k weight[k] * A_k over [K, n] maps: [n]. */
function combine(a: Float64Array, weights: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < weights.length; k++) for (let p = 0; p < n; p++) out[p] += weights[k]! * a[k * n + p]!;
  return out;
}

// ---------------------------------------------------------------------------------------------
// GAP + linear head

interface GapModel {
  model: ImageModel;
  layer: string;
  convW: number[];
  convB: number[];
  /** fc[k * UNITS + c]: the weight from feature k to unit c */
  fc: number[];
  bias: number[];
  /** A for one example: [K, H, H] */
  features(x: ArrayLike<number>): Float64Array;
  /** the logits for one example */
  logits(x: ArrayLike<number>): Float64Array;
}

/** conv(3x3, stride 2, pad 1) -> ReLU -> GAP -> Flatten -> Gemm; `positive` makes every fc weight positive. */
function gapModel(seed: number, positive = false): GapModel {
  const g = graph(seed);
  const { out: conv, w: convW, b: convB } = conv3x3(g, 'x', C, K, 2);
  const fc = g.rnd.normals(K * UNITS).map((v) => Math.fround(positive ? Math.abs(v) + 0.1 : v));
  const bias = g.rnd.normals(UNITS, 0.5).map(Math.fround);
  const layer = g.op('Relu', [conv]);
  const logits = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [layer])]), g.value([K, UNITS], fc), g.value([UNITS], bias)]);
  const features = (x: ArrayLike<number>) => relu(conv3(x, C, S, convW, convB, K, 2));
  return {
    model: wrap(g.model(logits)),
    layer,
    convW,
    convB,
    fc,
    bias,
    features,
    logits(x) {
      const a = features(x);
      return Float64Array.from({ length: UNITS }, (_, c) => bias[c]! + Array.from({ length: K }, (_, k) => fc[k * UNITS + c]! * mean(a, k * H * H, (k + 1) * H * H)).reduce((s, v) => s + v, 0));
    },
  };
}

const HW = H * H;
const GRADIENT_CAMS = ['gradcam++', 'xgradcam', 'hirescam', 'layercam', 'ablationcam', 'scorecam', 'guided-gradcam'];

/** The expected layer-resolution maps of the GAP model for one example and class. */
function gapOracles(m: GapModel, x: ArrayLike<number>, c: number, scorecamTop = 0): Record<string, Float64Array> {
  const a = m.features(x);
  const w = Array.from({ length: K }, (_, k) => m.fc[k * UNITS + c]!);
  const sums = Array.from({ length: K }, (_, k) => mean(a, k * HW, (k + 1) * HW) * HW);
  const cam = combine(a, w, HW);
  const y = m.logits(x)[c]!;
  const plusplus = w.map((wk, k) => (wk > 0 ? wk / (2 + (sums[k]! * wk) / HW) : 0));
  const ablation = w.map((wk, k) => (wk * (sums[k]! / HW)) / y);
  // Score-CAM: run the model (as written out here) on each masked input
  const means = sums.map((s) => s / HW);
  let kept = Array.from({ length: K }, (_, k) => k);
  if (scorecamTop > 0) kept = [...kept].sort((i, j) => means[j]! - means[i]! || i - j).slice(0, scorecamTop);
  const scores = kept.map((k) => {
    const up = resize(a.subarray(k * HW, (k + 1) * HW), H, S);
    const lo = Math.min(...up);
    const hi = Math.max(...up);
    const mask = up.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
    const masked = Float64Array.from({ length: C * S * S }, (_, e) => x[e]! * mask[e % (S * S)]!);
    return m.logits(masked)[c]!;
  });
  const top = Math.max(...scores);
  const z = scores.reduce((s, v) => s + Math.exp(v - top), 0);
  const score = new Float64Array(K);
  kept.forEach((k, i) => (score[k] = Math.exp(scores[i]! - top) / z));
  return {
    cam,
    'gradcam++': relu(combine(a, plusplus, HW)),
    xgradcam: relu(cam).map((v) => v / HW),
    hirescam: cam.map((v) => v / HW),
    layercam: relu(combine(a, w.map((v) => Math.max(0, v)), HW)).map((v) => v / HW),
    ablationcam: relu(combine(a, ablation, HW)),
    scorecam: relu(combine(a, score, HW)),
    'guided-gradcam': relu(cam).map((v) => v / HW),
  };
}

/** Guided backprop of the GAP model for class c, times the upsampled Grad-CAM: [C, S, S]. */
function guidedGradcamOracle(m: GapModel, x: ArrayLike<number>, c: number): Float64Array {
  const a = m.features(x);
  const gb = new Float64Array(C * S * S);
  for (let k = 0; k < K; k++) {
    const gk = Math.max(0, m.fc[k * UNITS + c]! / HW); // guided ReLU: positive gradients only ...
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < H; j++) {
        if (!(a[(k * H + i) * H + j]! > 0)) continue; // ... where the ReLU's input was positive
        for (let ch = 0; ch < C; ch++) {
          for (let u = 0; u < 3; u++) {
            for (let v = 0; v < 3; v++) {
              const yy = 2 * i - 1 + u;
              const zz = 2 * j - 1 + v;
              if (yy >= 0 && yy < S && zz >= 0 && zz < S) gb[(ch * S + yy) * S + zz] += gk * m.convW[((k * C + ch) * 3 + u) * 3 + v]!;
            }
          }
        }
      }
    }
  }
  const cam = resize(relu(combine(a, Array.from({ length: K }, (_, k) => m.fc[k * UNITS + c]!), HW)).map((v) => v / HW), H, S);
  return gb.map((v, e) => v * cam[e % (S * S)]!);
}

test('GAP + linear head: every CAM of the family against its closed form', async (t) => {
  const m = gapModel(101);
  const x = images(3, 102);
  for (const target of ['top', 0, 3] as const) {
    const r = await run(m.model, x, { methods: ['cam', ...GRADIENT_CAMS], layer: m.layer, target });
    for (let b = 0; b < 3; b++) {
      const c = r.targets[b]!.index;
      const xb = example(x, b);
      const want = gapOracles(m, xb, c);
      // the same run's CAM agrees with the hand-computed one (the oracles below build on it)
      assert.ok(relErr(example(result(r, 'cam').layerMap!, b), want.cam!) <= 1e-5);
      const errs: string[] = [];
      for (const id of GRADIENT_CAMS) {
        const got = result(r, id);
        assert.deepEqual(got.layerMap?.dims, [3, H, H], id);
        const e = relErr(example(got.layerMap!, b), want[id]!);
        const wantMap = id === 'guided-gradcam' ? guidedGradcamOracle(m, xb, c) : resize(want[id]!, H, S);
        assert.deepEqual(got.map.dims, id === 'guided-gradcam' ? [3, C, S, S] : [3, S, S], id);
        const eMap = relErr(example(got.map, b), wantMap);
        errs.push(`${id} ${e.toExponential(1)}/${eMap.toExponential(1)}`);
        assert.ok(e <= 1e-5 && eMap <= 1e-5, `${id}, target ${target}, example ${b} (class ${c}): layer ${e}, map ${eMap}`);
      }
      t.diagnostic(`target ${target} example ${b} (class ${c}), layer/upsampled errors: ${errs.join(', ')}`);
    }
  }
});

test('GAP + linear head with positive weights: LayerCAM = ReLU(HiResCAM) = Grad-CAM = XGrad-CAM', async (t) => {
  const m = gapModel(111, true);
  const x = images(2, 112);
  const r = await run(m.model, x, { methods: ['gradcam', 'xgradcam', 'hirescam', 'layercam'], layer: m.layer, target: 2 });
  for (let b = 0; b < 2; b++) {
    const hires = Float64Array.from(example(result(r, 'hirescam').layerMap!, b), (v) => Math.max(0, v));
    for (const id of ['gradcam', 'xgradcam', 'layercam']) {
      const e = relErr(example(result(r, id).layerMap!, b), hires);
      t.diagnostic(`example ${b}: ${id} vs ReLU(hirescam) ${e.toExponential(1)}`);
      assert.ok(e <= 1e-6, `${id} example ${b}: ${e}`);
    }
  }
});

test('Score-CAM --scorecam-top N: only the N channels with the largest mean activation are weighted', async (t) => {
  const m = gapModel(121);
  const x = images(2, 122);
  for (const top of [1, 2, 3, 4, 9]) {
    const r = await run(m.model, x, { methods: ['scorecam'], layer: m.layer, target: 1, methodOptions: { 'scorecam-top': top } });
    for (let b = 0; b < 2; b++) {
      const want = gapOracles(m, example(x, b), 1, Math.min(top, K)).scorecam!;
      const e = relErr(example(result(r, 'scorecam').layerMap!, b), want);
      t.diagnostic(`top ${top} example ${b}: ${e.toExponential(1)}`);
      assert.ok(e <= 1e-5, `top ${top} example ${b}: ${e}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// a residual block: the head above the layer reads the skip connection too

function residualModel(seed: number) {
  // x -> conv1 -> ReLU = s;  L = conv2(s);  r = ReLU(L + s) -> GAP -> Flatten -> Gemm (all at S x S)
  const g = graph(seed);
  // fc is [UNITS, K], transB
  const { s, layer, logits, w1, b1, w2, b2, fc, bias } = residualBlock(g, C, K, UNITS, 0.5);
  const n = S * S;
  const maps = (x: ArrayLike<number>) => {
    const sv = relu(conv3(x, C, S, w1, b1, K, 1));
    return { s: sv, l: conv3(sv, K, S, w2, b2, K, 1) };
  };
  /** y_c with channel `ablate` of L zeroed (or none) */
  const score = (sv: Float64Array, lv: Float64Array, c: number, ablate = -1) => {
    let y = bias[c]!;
    for (let j = 0; j < K; j++) {
      let acc = 0;
      for (let p = 0; p < n; p++) acc += Math.max(0, (j === ablate ? 0 : lv[j * n + p]!) + sv[j * n + p]!);
      y += fc[c * K + j]! * (acc / n);
    }
    return y;
  };
  return { model: wrap(g.model(logits)), layer, s, maps, score, fc, n };
}

test('a layer inside a residual block: LayerCAM, HiResCAM and Ablation-CAM with the skip connection fed to the head', async (t) => {
  const m = residualModel(131);
  const x = images(2, 132);
  for (const target of [0, 4]) {
    const r = await run(m.model, x, { methods: ['layercam', 'hirescam', 'ablationcam'], layer: m.layer, target });
    for (let b = 0; b < 2; b++) {
      const { s, l } = m.maps(example(x, b));
      const n = m.n;
      const grad = new Float64Array(K * n);
      for (let k = 0; k < K; k++) for (let p = 0; p < n; p++) grad[k * n + p] = l[k * n + p]! + s[k * n + p]! > 0 ? m.fc[target * K + k]! / n : 0;
      const hires = new Float64Array(n);
      const layercam = new Float64Array(n);
      for (let k = 0; k < K; k++) {
        for (let p = 0; p < n; p++) {
          hires[p] += grad[k * n + p]! * l[k * n + p]!;
          layercam[p] += Math.max(0, grad[k * n + p]!) * l[k * n + p]!;
        }
      }
      const y = m.score(s, l, target);
      const ablation = relu(combine(l, Array.from({ length: K }, (_, k) => (y - m.score(s, l, target, k)) / y), n));
      const errs = [
        relErr(example(result(r, 'hirescam').layerMap!, b), hires),
        relErr(example(result(r, 'layercam').layerMap!, b), relu(layercam)),
        relErr(example(result(r, 'ablationcam').layerMap!, b), ablation),
      ];
      t.diagnostic(`class ${target} example ${b}: hirescam ${errs[0]!.toExponential(1)}, layercam ${errs[1]!.toExponential(1)}, ablationcam ${errs[2]!.toExponential(1)}`);
      assert.ok(errs.every((e) => e <= 1e-5), `class ${target} example ${b}: ${errs}`);
    }
  }
});

test('several layers (explain\'s layer list): the maps of each layer, averaged at the input resolution', async () => {
  const m = residualModel(141);
  const x = images(2, 142);
  const both = await run(m.model, x, { methods: ['layercam', 'ablationcam'], layer: [m.s, m.layer], target: 3 });
  const first = await run(m.model, x, { methods: ['layercam', 'ablationcam'], layer: m.s, target: 3 });
  const second = await run(m.model, x, { methods: ['layercam', 'ablationcam'], layer: m.layer, target: 3 });
  assert.deepEqual(both.layers?.map((l) => l.tensor), [m.s, m.layer]);
  for (const id of ['layercam', 'ablationcam']) {
    const a = result(first, id).map.data as Float32Array;
    const want = Float64Array.from(result(second, id).map.data as Float32Array, (v, i) => (v + a[i]!) / 2);
    assert.ok(relErr(result(both, id).map.data as Float32Array, want) <= 1e-6, id);
    assert.equal(result(both, id).layerMap, undefined, `${id}: no single layer-resolution map for two layers`);
  }
});

// ---------------------------------------------------------------------------------------------
// batching

test('Score-CAM and Ablation-CAM: the same maps batched, in chunks of one copy, and one example at a time; progress counts copies', async (t) => {
  const m = residualModel(151);
  const x = images(3, 152);
  const methods = ['scorecam', 'ablationcam'];
  const whole = await run(m.model, x, { methods, layer: m.layer });
  const progress: [number, number][] = [];
  const chunked = await run(m.model, x, { methods, layer: m.layer, memoryBudgetBytes: 1, onProgress: (done, total) => progress.push([done, total]) });
  // the forward pass (3 examples), then Score-CAM's 3 x K masked inputs, one per chunk; then Ablation-CAM's
  // 3 x K ablated copies (fewer if a channel is all zero: those are not rerun)
  const scoreCopies = progress.filter(([, total]) => total === 3 * K).map(([done]) => done);
  assert.deepEqual(scoreCopies.slice(0, 3 * K), Array.from({ length: 3 * K }, (_, i) => i + 1), `progress: ${JSON.stringify(progress)}`);
  assert.ok(progress.length >= 3 + 3 * K + 3, `progress after each chunk: ${JSON.stringify(progress)}`);
  let worst = 0;
  for (let b = 0; b < 3; b++) {
    const single = await run(m.model, { type: 'float32', dims: [1, C, S, S], data: example(x, b).slice() }, { methods, layer: m.layer });
    for (const id of methods) {
      for (const other of [whole, chunked]) {
        const e = relErr(example(result(other, id).layerMap!, b), example(result(single, id).layerMap!, 0));
        const eMap = relErr(example(result(other, id).map, b), example(result(single, id).map, 0));
        worst = Math.max(worst, e, eMap);
        assert.ok(e <= 1e-6 && eMap <= 1e-6, `${id} example ${b}: ${e}, ${eMap}`);
      }
    }
  }
  t.diagnostic(`largest difference: ${worst.toExponential(2)} of the map's maximum; ${progress.length} progress reports`);
});

test('Score-CAM honours an abort between chunks', async () => {
  const m = gapModel(161);
  const controller = new AbortController();
  let calls = 0;
  await assert.rejects(run(m.model, images(1, 162), {
    methods: ['scorecam'], layer: m.layer, memoryBudgetBytes: 1, signal: controller.signal,
    onProgress: (_done, total) => {
      if (total === K && ++calls === 2) controller.abort(new Error('stop'));
    },
  }), /stop/);
  assert.equal(calls, 2);
});

// ---------------------------------------------------------------------------------------------
// EigenCAM

test('EigenCAM on a rank-one layer (1x1 conv, no ReLU): sign(sum u) |u| (x - mean x)', async (t) => {
  for (const seed of [171, 172]) {
    const g = graph(seed, 1);
    const u = g.rnd.normals(K).map(Math.fround);
    const cb = g.rnd.normals(K).map(Math.fround);
    const layer = g.op('Conv', ['x', g.value([K, 1, 1, 1], u), g.value([K], cb)], [attrs.ints('kernel_shape', [1, 1])]);
    const logits = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [layer])]), g.weight([K, 3])]);
    const model = wrap(g.model(logits), 1);
    const x = images(2, seed + 10, 1);
    const r = await run(model, x, { methods: ['eigencam'], layer });
    const norm = Math.hypot(...u);
    const sign = Math.sign(u.reduce((s, v) => s + v, 0));
    for (let b = 0; b < 2; b++) {
      const xb = example(x, b);
      const mu = mean(xb, 0, S * S);
      const want = Float64Array.from(xb, (v) => sign * norm * (v - mu));
      const got = result(r, 'eigencam');
      assert.deepEqual(got.layerMap?.dims, [2, S, S]);
      const e = relErr(example(got.layerMap!, b), want);
      t.diagnostic(`seed ${seed} example ${b} (sum u ${sign > 0 ? '>' : '<'} 0): ${e.toExponential(1)}`);
      assert.ok(e <= 1e-5, `seed ${seed} example ${b}: ${e}`);
    }
  }
});

/** The first principal component's projection by power iteration on the centred covariance, sign as EigenCAM's. */
function powerIterationProjection(a: Float64Array, k: number, n: number): { proj: Float64Array; residual: number } {
  const x = new Float64Array(k * n);
  for (let c = 0; c < k; c++) {
    const mu = mean(a, c * n, (c + 1) * n);
    for (let p = 0; p < n; p++) x[c * n + p] = a[c * n + p]! - mu;
  }
  const cov = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let p = 0; p < n; p++) cov[i * k + j] += x[i * n + p]! * x[j * n + p]!;
  let v = Float64Array.from({ length: k }, (_, i) => 1 + i / k);
  let lambda = 0;
  for (let it = 0; it < 20000; it++) {
    const next = new Float64Array(k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) next[i] += cov[i * k + j]! * v[j]!;
    lambda = Math.hypot(...next);
    v = next.map((q) => q / lambda);
  }
  let residual = 0;
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += cov[i * k + j]! * v[j]!;
    residual = Math.max(residual, Math.abs(s - lambda * v[i]!) / lambda);
  }
  const proj = new Float64Array(n);
  for (let p = 0; p < n; p++) for (let c = 0; c < k; c++) proj[p] += x[c * n + p]! * v[c]!;
  let cov2 = 0;
  for (let p = 0; p < n; p++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += a[c * n + p]!;
    cov2 += proj[p]! * s;
  }
  return { proj: cov2 < 0 ? proj.map((q) => -q) : proj, residual };
}

test('EigenCAM on general layers: the power-iteration principal component (more positions than channels, and fewer)', async (t) => {
  // K = 4 channels at 4x4 (16 positions), and 24 channels at 4x4
  for (const channels of [K, 24]) {
    const g = graph(181 + channels);
    const w = g.rnd.normals(channels * C * 9, 0.5).map(Math.fround);
    const bias = g.rnd.normals(channels, 0.1).map(Math.fround);
    const layer = g.op('Relu', [g.op('Conv', ['x', g.value([channels, C, 3, 3], w), g.value([channels], bias)], [attrs.ints('kernel_shape', [3, 3]), attrs.ints('strides', [2, 2]), attrs.ints('pads', [1, 1, 1, 1])])]);
    const logits = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [layer])]), g.weight([channels, 3])]);
    const model = wrap(g.model(logits));
    const x = images(2, 190 + channels);
    const r = await run(model, x, { methods: ['eigencam'], layer });
    for (let b = 0; b < 2; b++) {
      const a = relu(conv3(example(x, b), C, S, w, bias, channels, 2));
      const { proj, residual } = powerIterationProjection(a, channels, HW);
      assert.ok(residual < 1e-9, `power iteration did not converge: ${residual}`);
      const e = relErr(example(result(r, 'eigencam').layerMap!, b), proj);
      const eMap = relErr(example(result(r, 'eigencam').map, b), resize(proj, H, S));
      t.diagnostic(`${channels} channels example ${b}: ${e.toExponential(1)} / upsampled ${eMap.toExponential(1)}`);
      assert.ok(e <= 1e-5 && eMap <= 1e-5, `${channels} channels example ${b}: ${e}, ${eMap}`);
    }
  }
});
