/**
 * The perturbation methods (occlusion, RISE) on micro-models whose answers are known in closed form.
 *
 * Oracles, computed in float64 in this file from the models' float32 weights and inputs:
 * - logits = x W + b (Flatten, MatMul, Add): hiding a window replaces x_j by fill_j there, so the logit
 *   drop of a window is sum_{j in window} W[j, c] (x_j - fill_j) and its logits are the clean ones minus
 *   those sums; probabilities are the softmax (or sigmoid) of them. The maps average these over the
 *   windows covering each pixel, with the window positions of the method's documentation (stride steps,
 *   plus one window flush with the border). Fills: grey/black = (lo + p/255 (hi - lo) - mean) / std for
 *   p = 128 / 0; mean = the example's channel means; blur = a direct 2-D Gaussian (sigma = window / 4,
 *   radius ceil(3 sigma), edges repeated), written here without the separable form.
 *   Criterion: max |ours - oracle| <= 1e-5 * max |oracle| per example (float32 sums of ~10^2 products,
 *   and inputs rounded to float32, give ~1e-7 relative).
 * - RISE on a model whose class-0 probability is affine in the input (logits log u, log(1 - u),
 *   Softmax, with u = 0.5 + sum_j w_j x_j), hence affine in the mask: f(M) = c0 + sum_j a_j M_j with
 *   a_j = w_j (x_j - black_j). Then E[S(l)] = E[f(M) M_l] / p = c0 + sum_j a_j E[M_j M_l] / p, and
 *   E[M_j M_l] = p^2 + p (1 - p) E_shift[sum_g c_g(j) c_g(l)], where c_g(j) are the bilinear weights of
 *   grid cell g at pixel j for a shift (the weights sum to 1; the cells are independent Bernoulli(p)).
 *   Tolerance: S is a mean of N iid terms f M_l / p with 0 <= f <= f_max, 0 <= M_l <= 1, so
 *   Var(f M_l) <= f_max^2 E[M_l^2] <= f_max^2 p and sd(S(l)) <= f_max / sqrt(N p). Each pixel is held to
 *   5 such sd (for 144 pixels, a false failure has probability below 1e-4; the run is seeded, so the
 *   test is deterministic).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, type ExplainOptions, type ExplainResult } from '../../src/methods/explain.js';
import { imageModel, type ImageModel } from '../../src/model/image-model.js';
import type { InputSpec } from '../../src/model/input-spec.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { Random } from '../../src/util/random.js';
import { attrs } from '../util/build.js';
import { example, relErr, result } from '../util/map-checks.js';
import { rejects } from '../util/rejects.js';
import { imageGraph, matmulLinear, randomImages } from '../util/micro-models.js';

const run = (model: ImageModel, x: HostTensor, o: Omit<ExplainOptions, 'backend'>) => explain(model, x, { backend: nodeBackend, threads: 1, ...o });

// ---------------------------------------------------------------------------------------------
// linear micro-models

interface Linear {
  model: ImageModel;
  spec: InputSpec;
  /** W[j * units + u], j the flat index of one example in the model's layout */
  w: number[];
  bias: number[];
  units: number;
  head: 'logits' | 'softmax' | 'sigmoid';
}

const SPEC: Omit<InputSpec, 'layout' | 'height' | 'width' | 'channels'> = {
  range: [-1, 1], mean: [0.1, -0.2, 0.3], std: [0.5, 0.7, 0.9], resize: 'stretch', source: 'options',
};

/** logits = Flatten(x) W + b [-> Softmax | Sigmoid]; `only` keeps W's rows for the pixels it accepts. */
function linearModel(o: { layout?: 'NCHW' | 'NHWC'; h: number; w: number; units: number; head?: Linear['head']; seed: number; only?: (y: number, x: number) => boolean; scale?: number }): Linear {
  const layout = o.layout ?? 'NCHW';
  const C = 3;
  const spec: InputSpec = { ...SPEC, layout, height: o.h, width: o.w, channels: C };
  const g = imageGraph(o.seed, C, o.h, o.w, layout);
  const n = C * o.h * o.w;
  const units = o.head === 'sigmoid' ? 1 : o.units;
  const only = o.only;
  const keep = only && ((w: number[]) => {
    for (let j = 0; j < n; j++) {
      const [y, x] = layout === 'NCHW' ? [Math.floor((j % (o.h * o.w)) / o.w), j % o.w] : [Math.floor(j / C / o.w), Math.floor(j / C) % o.w];
      if (!only(y, x)) for (let u = 0; u < units; u++) w[j * units + u] = 0;
    }
  });
  const { logits, w, bias } = matmulLinear(g, n, units, o.scale ?? 0.3, 0.2, keep);
  const head = o.head ?? 'logits';
  const out = head === 'softmax' ? g.op('Softmax', [logits], [attrs.int('axis', 1)]) : head === 'sigmoid' ? g.op('Sigmoid', [logits]) : logits;
  const model = imageModel(g.model(out), { name: 'linear', source: 'test', input: spec });
  return { model, spec, w, bias, units, head };
}

function images(spec: InputSpec, batch: number, seed: number): HostTensor {
  const dims = spec.layout === 'NCHW' ? [batch, spec.channels, spec.height, spec.width] : [batch, spec.height, spec.width, spec.channels];
  return randomImages(dims, seed);
}

/** Flat index of (c, y, x) in one example (oracle side). */
function at(spec: InputSpec, c: number, y: number, x: number): number {
  return spec.layout === 'NCHW' ? (c * spec.height + y) * spec.width + x : (y * spec.width + x) * spec.channels + c;
}

/** The fill values of one example (float64), as the method's documentation defines them. */
function fillOracle(spec: InputSpec, x: Float32Array, fill: string, window: number): Float64Array {
  const { height: h, width: w, channels: C } = spec;
  const out = new Float64Array(x.length);
  const pixel = (p: number, c: number) => (spec.range[0] + (p / 255) * (spec.range[1] - spec.range[0]) - spec.mean![c]!) / spec.std![c]!;
  for (let c = 0; c < C; c++) {
    let mean = 0;
    for (let y = 0; y < h; y++) for (let i = 0; i < w; i++) mean += x[at(spec, c, y, i)]! / (h * w);
    const sigma = window / 4;
    const r = Math.ceil(3 * sigma);
    for (let y = 0; y < h; y++) {
      for (let i = 0; i < w; i++) {
        let v: number;
        if (fill === 'grey') v = pixel(128, c);
        else if (fill === 'black') v = pixel(0, c);
        else if (fill === 'mean') v = mean;
        else {
          let s = 0;
          let z = 0;
          for (let dy = -r; dy <= r; dy++) {
            for (let dx = -r; dx <= r; dx++) {
              const k = Math.exp(-(dy * dy + dx * dx) / (2 * sigma * sigma));
              const yy = Math.min(h - 1, Math.max(0, y + dy));
              const xx = Math.min(w - 1, Math.max(0, i + dx));
              s += k * x[at(spec, c, yy, xx)]!;
              z += k;
            }
          }
          v = s / z;
        }
        out[at(spec, c, y, i)] = v;
      }
    }
  }
  return out;
}

/** Window starts along an axis, per the method's documentation. */
function starts(size: number, window: number, stride: number): number[] {
  const out: number[] = [];
  let s = 0;
  for (; s + window <= size; s += stride) out.push(s);
  if (out[out.length - 1]! + window !== size) out.push(size - window);
  return out;
}

interface Target { index: number; minus?: number }

/** Probabilities from float64 logits, as the head defines them (class 0 of a sigmoid head = 1 - p). */
function probs(m: Linear, logits: number[]): number[] {
  if (m.head === 'sigmoid') {
    const p = 1 / (1 + Math.exp(-logits[0]!));
    return [1 - p, p];
  }
  const max = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** The explained score from logits: a logit (+-logit for a sigmoid head), minus another's for a difference. */
function score(m: Linear, logits: number[], t: Target): number {
  const one = (k: number) => (m.head === 'sigmoid' ? (k === 1 ? 1 : -1) * logits[0]! : logits[k]!);
  return one(t.index) - (t.minus === undefined ? 0 : one(t.minus));
}

/** The occlusion maps of one example, by the closed form above. */
function occlusionOracle(m: Linear, x: Float32Array, t: Target, window: number, stride: number, fill: string): { map: Float64Array; drop: Float64Array } {
  const { height: h, width: w, channels: C } = m.spec;
  const units = m.model.output.kind === 'sigmoid-binary' ? 1 : m.units;
  const f = fillOracle(m.spec, x, fill, window);
  const clean = Array.from({ length: units }, (_, u) => m.bias[u]! + [...x].reduce((s, v, j) => s + v * m.w[j * units + u]!, 0));
  const prob = (l: number[]) => {
    const p = probs(m, l);
    return p[t.index]! - (t.minus === undefined ? 0 : p[t.minus]!);
  };
  const map = new Float64Array(h * w);
  const drop = new Float64Array(h * w);
  const count = new Float64Array(h * w);
  const wh = Math.min(window, h);
  const ww = Math.min(window, w);
  for (const y0 of starts(h, wh, stride)) {
    for (const x0 of starts(w, ww, stride)) {
      const l = clean.slice();
      for (let c = 0; c < C; c++) {
        for (let y = y0; y < y0 + wh; y++) {
          for (let i = x0; i < x0 + ww; i++) {
            const j = at(m.spec, c, y, i);
            for (let u = 0; u < units; u++) l[u] = l[u]! - m.w[j * units + u]! * (x[j]! - f[j]!);
          }
        }
      }
      const p = prob(l);
      const d = score(m, clean, t) - score(m, l, t);
      for (let y = y0; y < y0 + wh; y++) {
        for (let i = x0; i < x0 + ww; i++) {
          map[y * w + i] += p;
          drop[y * w + i] += d;
          count[y * w + i]++;
        }
      }
    }
  }
  for (let p = 0; p < h * w; p++) {
    assert.ok(count[p]! > 0, 'every pixel is covered');
    map[p] = map[p]! / count[p]!;
    drop[p] = drop[p]! / count[p]!;
  }
  return { map, drop };
}

function checkOcclusion(tc: { diagnostic(s: string): void }, m: Linear, x: HostTensor, r: ExplainResult, window: number, stride: number, fill: string, what: string): void {
  const o = result(r, 'occlusion');
  const { height: h, width: w } = m.spec;
  assert.deepEqual(o.map.dims, [x.dims[0], h, w]);
  const drop = o.extra?.maps?.['logit-drop'];
  assert.ok(drop, 'logit-drop map');
  assert.deepEqual(drop.dims, [x.dims[0], h, w]);
  for (let b = 0; b < x.dims[0]!; b++) {
    const t = r.targets[b]!;
    const want = occlusionOracle(m, example(x, b), t, window, stride, fill);
    const e1 = relErr(example(o.map, b), want.map);
    const e2 = relErr(example(drop, b), want.drop);
    tc.diagnostic(`${what} example ${b} target ${t.index}${t.minus === undefined ? '' : ` - ${t.minus}`}: probability map ${e1.toExponential(1)}, logit drop ${e2.toExponential(1)}`);
    assert.ok(e1 <= 1e-5 && e2 <= 1e-5, `${what} example ${b}: ${e1}, ${e2}`);
  }
}

test('occlusion on a linear model: the logit drop is sum_window W (x - fill), the map the softmax of the occluded logits, for every fill', async (t) => {
  const m = linearModel({ h: 10, w: 10, units: 4, seed: 3 });
  const x = images(m.spec, 2, 4);
  for (const fill of ['grey', 'black', 'mean', 'blur']) {
    // window 4, stride 3 on 10: starts 0, 3, 6 (no clamping); stride 4: 0, 4 and 6 flush with the border
    for (const [window, stride] of [[4, 3], [4, 4], [3, 2]] as const) {
      const r = await run(m.model, x, { methods: ['occlusion'], methodOptions: { window, stride, fill } });
      checkOcclusion(t, m, x, r, window, stride, fill, `${fill} window ${window} stride ${stride}`);
    }
  }
});

test('occlusion: NHWC, a non-square input, a window larger than one side, a class target and a difference of two classes', async (t) => {
  const m = linearModel({ layout: 'NHWC', h: 6, w: 11, units: 3, seed: 5 });
  const x = images(m.spec, 2, 6);
  for (const target of [2, { of: 0, minus: 2 }] as const) {
    // window 8: 6 rows (one position vertically), starts 0 and 3 horizontally
    for (const [window, stride, fill] of [[4, 2, 'grey'], [8, 5, 'blur'], [3, 3, 'mean']] as const) {
      const r = await run(m.model, x, { methods: ['occlusion'], target, methodOptions: { window, stride, fill } });
      checkOcclusion(t, m, x, r, window, stride, fill, `NHWC 6x11 ${JSON.stringify(target)} ${fill} ${window}/${stride}`);
    }
  }
});

test('occlusion: a final Softmax and a single-sigmoid head (class 0 = 1 - p, its logit -y)', async (t) => {
  for (const head of ['softmax', 'sigmoid'] as const) {
    const m = linearModel({ h: 8, w: 8, units: 3, head, seed: 7 });
    const x = images(m.spec, 2, 8);
    for (const target of head === 'sigmoid' ? [0, 1] : ['top' as const, 1]) {
      const r = await run(m.model, x, { methods: ['occlusion'], target, methodOptions: { window: 3, stride: 2, fill: 'black' } });
      checkOcclusion(t, m, x, r, 3, 2, 'black', `${head} target ${target}`);
    }
  }
});

test('occlusion: a model that reads only one region changes only where a window reaches it; window = stride is piecewise constant', async (t) => {
  // the target depends only on rows 2..3, columns 5..6 (all channels)
  const inRegion = (y: number, x: number) => y >= 2 && y <= 3 && x >= 5 && x <= 6;
  const m = linearModel({ h: 12, w: 12, units: 2, head: 'softmax', seed: 9, only: inRegion, scale: 1 });
  const x = images(m.spec, 1, 10);
  const r = await run(m.model, x, { methods: ['occlusion'], target: 0, methodOptions: { window: 4, stride: 2, fill: 'grey' } });
  checkOcclusion(t, m, x, r, 4, 2, 'grey', 'region model');
  const o = result(r, 'occlusion');
  const clean = o.extra!.values!['probability']![0]!;
  const map = o.map.data as Float32Array;
  // the windows covering pixel (y, x) start at s with s <= y < s + 4, s even; one of them meets
  // rows 2..3 iff y <= 5 (s = y - 3 or y - 2 rounded up to even <= 3), likewise columns 5..6 iff 2 <= x <= 9
  const reached = (y: number, x: number) => starts(12, 4, 2).some((sy) => sy <= y && y < sy + 4 && sy <= 3 && sy + 4 > 2)
    && starts(12, 4, 2).some((sx) => sx <= x && x < sx + 4 && sx <= 6 && sx + 4 > 5);
  let far = 0;
  let near = 0;
  for (let y = 0; y < 12; y++) {
    for (let i = 0; i < 12; i++) {
      const d = Math.abs(map[y * 12 + i]! - clean);
      if (reached(y, i)) near = Math.max(near, d);
      else far = Math.max(far, d);
    }
  }
  t.diagnostic(`clean p ${clean.toFixed(4)}; max |map - p| away from the region ${far.toExponential(1)}, near it ${near.toExponential(2)}`);
  assert.ok(far <= 1e-6, `pixels no window reaching the region covers must keep p: ${far}`);
  assert.ok(near > 1e-2, `hiding the region must change p: ${near}`);

  // window = stride = 3 on 12: every pixel is covered once, the map is constant on each 3x3 cell
  const r2 = await run(m.model, x, { methods: ['occlusion'], target: 0, methodOptions: { window: 3, stride: 3 } });
  checkOcclusion(t, m, x, r2, 3, 3, 'grey', 'window = stride');
  for (const map2 of [result(r2, 'occlusion').map, result(r2, 'occlusion').extra!.maps!['logit-drop']!]) {
    const d = map2.data as Float32Array;
    for (let y = 0; y < 12; y++) for (let i = 0; i < 12; i++) assert.equal(d[y * 12 + i], d[Math.floor(y / 3) * 36 + Math.floor(i / 3) * 3], `pixel ${y},${i}`);
  }
  assert.equal(result(r2, 'occlusion').extra!.values!['windows']![0], 16);
});

test('occlusion: batched = chunks of one = one example alone; progress counts every occluded copy', async (t) => {
  const m = linearModel({ h: 10, w: 10, units: 5, head: 'softmax', seed: 11 });
  const x = images(m.spec, 3, 12);
  const methodOptions = { window: 4, stride: 2, fill: 'blur' };
  const copies = 3 * 16; // starts 0, 2, 4, 6 per axis
  const seen: [number, number][] = [];
  const batched = await run(m.model, x, { methods: ['occlusion'], methodOptions, onProgress: (d, n) => seen.push([d, n]) });
  assert.deepEqual(seen.at(-1), [copies, copies]);
  const chunkedSeen: [number, number][] = [];
  const chunked = await run(m.model, x, { methods: ['occlusion'], methodOptions, memoryBudgetBytes: 1, onProgress: (d, n) => chunkedSeen.push([d, n]) });
  // a budget too small for two copies: one call per copy, each reported
  assert.deepEqual(chunkedSeen.slice(-copies), Array.from({ length: copies }, (_, i) => [i + 1, copies]));
  let worst = 0;
  let exact = true;
  for (let b = 0; b < 3; b++) {
    const alone = await run(m.model, { type: 'float32', dims: [1, 3, 10, 10], data: example(x, b).slice() }, { methods: ['occlusion'], methodOptions });
    for (const other of [batched, chunked]) {
      for (const [got, want] of [[result(other, 'occlusion').map, result(alone, 'occlusion').map], [result(other, 'occlusion').extra!.maps!['logit-drop']!, result(alone, 'occlusion').extra!.maps!['logit-drop']!]] as const) {
        const e = relErr(example(got, b), example(want, 0));
        worst = Math.max(worst, e);
        exact &&= e === 0;
      }
    }
  }
  t.diagnostic(`worst batched/chunked vs alone: ${worst.toExponential(1)}${exact ? ' (bit-identical)' : ''}`);
  assert.ok(worst <= 1e-6, String(worst));
});

test('occlusion and RISE stop between chunks when the signal is aborted', async () => {
  const m = linearModel({ h: 8, w: 8, units: 3, seed: 15 });
  const x = images(m.spec, 1, 16);
  for (const [method, methodOptions, copies] of [['occlusion', { window: 2, stride: 1 }, 49], ['rise', { masks: 50 }, 50]] as const) {
    const controller = new AbortController();
    const reason = new Error('stopped by the test');
    let last = 0;
    const p = run(m.model, x, {
      methods: [method], methodOptions, memoryBudgetBytes: 1, signal: controller.signal,
      onProgress: (d, n) => {
        last = d;
        if (n === copies && d === 5) controller.abort(reason);
      },
    });
    await assert.rejects(p, (e: unknown) => e === reason);
    assert.equal(last, 5, `${method}: no copy runs after the abort`);
  }
});

test('occlusion: the defaults run on inputs smaller than the window; bad options are USAGE errors', async () => {
  const m = linearModel({ h: 8, w: 8, units: 3, seed: 13 });
  const x = images(m.spec, 1, 14);
  const r = await run(m.model, x, { methods: ['occlusion'] });
  // window 32 cut to 8: one position, the whole image grey
  assert.equal(result(r, 'occlusion').extra!.values!['windows']![0], 1);
  await rejects(run(m.model, x, { methods: ['occlusion'], methodOptions: { window: 0 } }), 'USAGE', /--window/);
  await rejects(run(m.model, x, { methods: ['occlusion'], methodOptions: { window: 2.5 } }), 'USAGE', /--window/);
  await rejects(run(m.model, x, { methods: ['occlusion'], methodOptions: { window: 4, stride: 5 } }), 'USAGE', /--stride 5/, /at most 4/);
  await rejects(run(m.model, x, { methods: ['occlusion'], methodOptions: { fill: 'white' } }), 'USAGE', /--fill/, /grey, black, mean, blur/);
  await rejects(run(m.model, x, { methods: ['occlusion'], methodOptions: { masks: 10 } }), 'USAGE', /--masks applies to rise/);
});

// ---------------------------------------------------------------------------------------------
// RISE

const RS = 12; // input side
const RISE_SPEC: InputSpec = { layout: 'NCHW', height: RS, width: RS, channels: 1, range: [0, 1], mean: [0.5], std: [0.25], resize: 'stretch', source: 'options' };
const BLACK = (0 - 0.5) / 0.25;

/** class-0 probability u = 0.5 + sum_j w_j x_j: logits [log u, log(1 - u)] -> Softmax. */
function riseModel(w: number[]): ImageModel {
  const g = imageGraph(1, 1, RS);
  const u = g.op('Add', [g.op('MatMul', [g.op('Flatten', ['x']), g.value([RS * RS, 1], w)]), g.value([1], [0.5])]);
  const logits = g.op('Concat', [g.op('Log', [u]), g.op('Log', [g.op('Sub', [g.value([1], [1]), u])])], [attrs.int('axis', 1)]);
  return imageModel(g.model(g.op('Softmax', [logits], [attrs.int('axis', 1)])), { name: 'affine-probability', source: 'test', input: RISE_SPEC });
}

/** Bilinear weights (half-pixel centres, clamped) of `cells` grid cells at output coordinate Y of an axis of `out` samples. */
function axisWeights(Y: number, cells: number, out: number): Float64Array {
  const c = new Float64Array(cells);
  const src = Math.max(0, ((Y + 0.5) * cells) / out - 0.5);
  const lo = Math.min(Math.floor(src), cells - 1);
  const hi = Math.min(lo + 1, cells - 1);
  c[lo] += 1 - (src - lo);
  c[hi] += src - lo;
  return c;
}

/** E[S(l)] for every pixel l, by the closed form in the header. */
function riseOracle(a: Float64Array, c0: number, cells: number, p: number): Float64Array {
  const C = Math.ceil(RS / cells);
  const up = (cells + 1) * C;
  const rho = (j: number, l: number) => {
    let s = 0;
    for (let dy = 0; dy < C; dy++) {
      for (let dx = 0; dx < C; dx++) {
        const yj = axisWeights(Math.floor(j / RS) + dy, cells, up);
        const xj = axisWeights((j % RS) + dx, cells, up);
        const yl = axisWeights(Math.floor(l / RS) + dy, cells, up);
        const xl = axisWeights((l % RS) + dx, cells, up);
        let dotY = 0;
        let dotX = 0;
        for (let g = 0; g < cells; g++) {
          dotY += yj[g]! * yl[g]!;
          dotX += xj[g]! * xl[g]!;
        }
        s += dotY * dotX; // sum over 2-D cells of products of separable weights
      }
    }
    return s / (C * C);
  };
  const out = new Float64Array(RS * RS);
  for (let l = 0; l < RS * RS; l++) {
    let s = c0;
    for (let j = 0; j < RS * RS; j++) if (a[j] !== 0) s += (a[j]! * (p * p + p * (1 - p) * rho(j, l))) / p;
    out[l] = s;
  }
  return out;
}

test('RISE on a model whose probability is affine in the mask converges to the closed-form expectation', async (t) => {
  // w is nonzero on a 2x2 region where x is white (2 in input units); u stays in [0.18, 0.82] for any mask
  const region = [[4, 5], [4, 6], [5, 5], [5, 6]];
  const w = new Array<number>(RS * RS).fill(0);
  for (const [y, x] of region) w[y! * RS + x!] = 0.04;
  const model = riseModel(w);
  const xs = Float32Array.from(new Random(20).normals(RS * RS));
  for (const [y, x] of region) xs[y! * RS + x!] = 2;
  const input: HostTensor = { type: 'float32', dims: [1, 1, RS, RS], data: xs };
  const a = Float64Array.from(w, (wj, j) => Math.fround(wj) * (xs[j]! - BLACK));
  const c0 = 0.5 + w.reduce((s, wj) => s + Math.fround(wj) * BLACK, 0);
  const fMax = c0 + a.reduce((s, v) => s + Math.max(0, v), 0);
  const masks = 20000;
  for (const [cells, p] of [[3, 0.5], [4, 0.3]] as const) {
    const r = await run(model, input, { methods: ['rise'], target: 0, methodOptions: { masks, 'mask-cells': cells, 'mask-p': p, seed: 7 } });
    const got = result(r, 'rise').map.data as Float32Array;
    const want = riseOracle(a, c0, cells, p);
    const sd = fMax / Math.sqrt(masks * p);
    let worst = 0;
    for (let l = 0; l < want.length; l++) worst = Math.max(worst, Math.abs(got[l]! - want[l]!));
    const spread = Math.max(...want) - Math.min(...want);
    t.diagnostic(`cells ${cells}, p ${p}: max |S - E[S]| = ${worst.toFixed(4)} = ${(worst / sd).toFixed(2)} sd (sd bound ${sd.toFixed(4)}); E[S] spans ${spread.toFixed(3)}`);
    assert.ok(worst <= 5 * sd, `max deviation ${worst} > 5 sd = ${5 * sd}`);
    assert.ok(spread > 10 * sd, 'the expected map must vary far more than the tolerance for the test to mean something');
  }
});

test('RISE: seeds reproduce; batched = chunks (across mask boundaries) = one example alone; progress counts copies', async (t) => {
  const m = linearModel({ h: 10, w: 10, units: 4, head: 'softmax', seed: 21 });
  const x = images(m.spec, 2, 22);
  const methodOptions = { masks: 60, 'mask-cells': 4, seed: 5 };
  const seen: [number, number][] = [];
  const batched = await run(m.model, x, { methods: ['rise'], methodOptions, onProgress: (d, n) => seen.push([d, n]) });
  assert.deepEqual(seen.at(-1), [120, 120]);
  const again = await run(m.model, x, { methods: ['rise'], methodOptions });
  assert.deepEqual(result(again, 'rise').map.data, result(batched, 'rise').map.data, 'same seed, same map');
  const other = await run(m.model, x, { methods: ['rise'], methodOptions: { ...methodOptions, seed: 6 } });
  assert.ok(relErr(result(other, 'rise').map.data as Float32Array, result(batched, 'rise').map.data as Float32Array) > 1e-3, 'another seed, another map');
  // chunks of 3 copies with 2 examples per mask: chunks start in the middle of a mask's pair
  const perCopy = 3 * 10 * 10 * 4 * 64;
  const chunkedSeen: number[] = [];
  const chunked = await run(m.model, x, { methods: ['rise'], methodOptions, memoryBudgetBytes: 3 * perCopy, onProgress: (d) => chunkedSeen.push(d) });
  assert.deepEqual(chunkedSeen.slice(-40), Array.from({ length: 40 }, (_, i) => Math.min(120, 3 * (i + 1))));
  const ones = await run(m.model, x, { methods: ['rise'], methodOptions, memoryBudgetBytes: 1 });
  let worst = 0;
  for (let b = 0; b < 2; b++) {
    const alone = await run(m.model, { type: 'float32', dims: [1, 3, 10, 10], data: example(x, b).slice() }, { methods: ['rise'], methodOptions });
    for (const r of [batched, chunked, ones]) worst = Math.max(worst, relErr(example(result(r, 'rise').map, b), example(result(alone, 'rise').map, 0)));
  }
  t.diagnostic(`worst batched/chunked vs alone: ${worst.toExponential(1)}`);
  assert.ok(worst <= 1e-6, String(worst));
});

test('RISE: bad options are USAGE errors', async () => {
  const m = linearModel({ h: 8, w: 8, units: 3, seed: 23 });
  const x = images(m.spec, 1, 24);
  await rejects(run(m.model, x, { methods: ['rise'], methodOptions: { 'mask-p': 0 } }), 'USAGE', /--mask-p/, /above 0/);
  await rejects(run(m.model, x, { methods: ['rise'], methodOptions: { 'mask-p': 1.5 } }), 'USAGE', /--mask-p/);
  await rejects(run(m.model, x, { methods: ['rise'], methodOptions: { masks: 0 } }), 'USAGE', /--masks/);
  await rejects(run(m.model, x, { methods: ['rise'], methodOptions: { 'mask-cells': 0 } }), 'USAGE', /--mask-cells/);
  await rejects(run(m.model, x, { methods: ['rise'], methodOptions: { seed: -1 } }), 'USAGE', /--seed/);
  await rejects(run(m.model, x, { methods: ['rise'], methodOptions: { window: 4 } }), 'USAGE', /--window applies to occlusion/);
});
