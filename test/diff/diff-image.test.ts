/**
 * Explanation diffs of two models (src/diff/) against known answers:
 * - identical models: rank correlation 1, SSIM 1, top-k IoU 1, L2 0 and a difference map of zeros,
 *   bit for bit;
 * - an oracle: a linear model logits = W x + b (one grey channel, so saliency = |W[c]| and the gradient
 *   is W[c]) and the same model with the weights of one input region zeroed. B's saliency is 0 on the
 *   region and unchanged elsewhere; the largest weight lies outside the region, so both maps are divided
 *   by the same peak and B̂ - Â is exactly -Â on the region and exactly 0 elsewhere. The rank
 *   correlation is checked against a separate O(n²) Spearman written here, the IoU against a sort
 *   written here, and L2 against its closed form sqrt(sum over the region of Â² / N);
 * - the class-space rules (same classes, MNIST digits vs Fashion-MNIST names, different counts);
 * - the common grid of two input specs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CnnlensError } from '../../src/errors.js';
import { planTargets } from '../../src/diff/class-space.js';
import { commonGrid, mapOnGrid } from '../../src/diff/common-grid.js';
import { diffImage, pairModels } from '../../src/diff/diff-image.js';
import { aggregateChanges, median } from '../../src/diff/aggregate.js';
import type { RgbImage } from '../../src/image/types.js';
import { imageModel, type ImageModel } from '../../src/model/image-model.js';
import type { InputSpec } from '../../src/model/input-spec.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { attrs, DType, makeModel } from '../../src/onnx/index.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { Random } from '../../src/util/random.js';

const S = 8; // picture side
const CLASSES = 3;
const run = { backend: nodeBackend, threads: 1 };

function graySpec(size = S): InputSpec {
  return { layout: 'NCHW', height: size, width: size, channels: 1, range: [0, 1], resize: 'stretch', source: 'options' };
}

/** logits = Flatten(x) W^T + b as Gemm(transB=1), W [CLASSES, S*S]. */
function linearModel(name: string, w: Float32Array, b: Float32Array): ImageModel {
  const onnx = makeModel({
    opset: 17,
    nodes: [
      { name: 'flat', opType: 'Flatten', domain: '', inputs: ['x'], outputs: ['f'], attributes: [] },
      { name: 'fc', opType: 'Gemm', domain: '', inputs: ['f', 'W', 'b'], outputs: ['logits'], attributes: [attrs.int('transB', 1)] },
    ],
    inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: ['N', 1, S, S] } }],
    initializers: [floatTensor('W', [CLASSES, S * S], w), floatTensor('b', [CLASSES], b)],
    outputs: [{ name: 'logits', type: { elemType: DType.FLOAT } }],
  });
  return imageModel(onnx, { name, source: 'test', input: graySpec() });
}

function picture(seed: number, size = S): RgbImage {
  const r = new Random(seed);
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = Math.floor(r.uniform(0, 256));
  return { width: size, height: size, data };
}

/** Spearman's rho written independently: ranks by counting (ties get their mean rank), then Pearson. */
function spearmanByCounting(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (v: ArrayLike<number>) => Array.from({ length: v.length }, (_, i) => {
    let less = 0;
    let equal = 0;
    for (let j = 0; j < v.length; j++) {
      if (v[j]! < v[i]!) less++;
      else if (v[j] === v[i]) equal++;
    }
    return less + (equal - 1) / 2;
  });
  const ra = rank(a);
  const rb = rank(b);
  const n = ra.length;
  const ma = ra.reduce((s, x) => s + x, 0) / n;
  const mb = rb.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i]! - ma) * (rb[i]! - mb);
    saa += (ra[i]! - ma) ** 2;
    sbb += (rb[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

test('identical models: rank correlation 1, SSIM 1, IoU 1, L2 0, a zero difference map', { timeout: 120_000 }, async () => {
  const { model } = await loadImageModel(new URL('../../examples/tiny-cnn.onnx', import.meta.url).pathname);
  const pair = pairModels(model, model, { methods: ['gradcam', 'saliency', 'gradient-x-input'] });
  for (const seed of [1, 2]) {
    const d = await diffImage(pair, picture(seed, 80), run);
    assert.deepEqual([d.grid.height, d.grid.width], [model.input.height, model.input.width]);
    assert.equal(d.predictionChanged, false);
    assert.equal(d.a.target.index, d.b.target.index);
    for (const m of d.methods) {
      assert.deepEqual(m.change, { rankCorrelation: 1, ssim: 1, topIoU: 1, l2: 0 }, m.method);
      assert.ok(m.difference.every((v) => v === 0), `${m.method}: difference not zero`);
      assert.equal(m.peaks.a, m.peaks.b);
    }
  }
});

test('oracle: zeroing one region of a linear model\'s weights makes B - A exactly -A there and 0 elsewhere', async () => {
  const r = new Random(7);
  const w = Float32Array.from({ length: CLASSES * S * S }, () => r.uniform(-1, 1));
  const inRegion = (p: number) => Math.floor(p / S) >= 2 && Math.floor(p / S) < 5 && p % S >= 1 && p % S < 4; // rows 2..4, columns 1..3
  // every class's largest weight (in magnitude) lies outside the region
  for (let c = 0; c < CLASSES; c++) w[c * S * S + (S * S - 1)] = c % 2 ? -1.5 : 1.5;
  const wb = w.map((v, i) => (inRegion(i % (S * S)) ? 0 : v));
  const bias = Float32Array.of(0.1, -0.2, 0.3);
  const a = linearModel('linear', w, bias);
  const b = linearModel('linear, region zeroed', wb, bias);
  const pair = pairModels(a, b, { methods: ['saliency', 'gradient'] });
  const d = await diffImage(pair, picture(3), run);
  const c = d.a.target.index;
  assert.equal(d.b.target.index, c, 'B explains the class A predicts');
  const row = Array.from({ length: S * S }, (_, p) => w[c * S * S + p]!);
  const peak = 1.5;
  const N = S * S;

  const sal = d.methods[0]!;
  assert.equal(sal.method, 'saliency');
  assert.deepEqual(sal.peaks, { a: peak, b: peak });
  let sq = 0;
  for (let p = 0; p < N; p++) {
    const aHat = Math.abs(row[p]!) / peak;
    assert.ok(Math.abs(sal.normalized.a[p]! - aHat) < 1e-6, `Â[${p}]`);
    if (inRegion(p)) {
      assert.equal(sal.normalized.b[p], 0);
      assert.equal(sal.difference[p], -sal.normalized.a[p]!, `difference at ${p} (region)`);
      sq += sal.normalized.a[p]! ** 2;
    } else {
      assert.equal(sal.difference[p], 0, `difference at ${p} (outside)`);
    }
  }
  assert.ok(Math.abs(sal.change.l2 - Math.sqrt(sq / N)) < 1e-9);
  assert.ok(Math.abs(sal.change.rankCorrelation - spearmanByCounting(sal.normalized.a, sal.normalized.b)) < 1e-12);
  assert.ok(sal.change.rankCorrelation < 1 && sal.change.rankCorrelation > 0);
  // IoU of the top 10% (6 of 64 pixels) by a plain sort
  const top = (v: Float32Array) => new Set([...v.keys()].sort((p, q) => Math.abs(v[q]!) - Math.abs(v[p]!) || p - q).slice(0, Math.round(0.1 * N)));
  const ta = top(sal.normalized.a);
  const tb = top(sal.normalized.b);
  const inter = [...ta].filter((p) => tb.has(p)).length;
  assert.equal(sal.change.topIoU, inter / (ta.size + tb.size - inter));

  // gradient (signed): Â = W[c] / max|W[c]| in [-1, 1]; B - A = -Â on the region
  const g = d.methods[1]!;
  assert.equal(g.signed, true);
  for (let p = 0; p < N; p++) {
    const want = inRegion(p) ? -row[p]! / peak : 0;
    assert.ok(Math.abs(g.difference[p]! - want) < 1e-6, `gradient difference at ${p}: ${g.difference[p]} vs ${want}`);
  }
});

const fake = (name: string, classes: number, labels?: string[]) => ({ name, output: { classes }, ...(labels ? { labels } : {}) }) as unknown as ImageModel;
const digits = Array.from({ length: 10 }, (_, i) => String(i));
const clothes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CnnlensError);
    return e.code;
  }
  return 'no error';
};

test('class spaces: same classes share A\'s top class; different ones need a target both models understand', () => {
  assert.deepEqual(planTargets(fake('a', 10, digits), fake('b', 10, digits)), { sameClasses: true });
  assert.deepEqual(planTargets(fake('a', 10), fake('b', 10, digits), '7'), { sameClasses: true, target: { a: 7, b: 7 } });
  assert.deepEqual(planTargets(fake('a', 10), fake('b', 10, digits), '3'), { sameClasses: true, target: { a: 3, b: 3 } });
  // MNIST digits vs Fashion-MNIST: same count, different names
  assert.equal(code(() => planTargets(fake('mnist', 10, digits), fake('fashion', 10, clothes))), 'INCOMPATIBLE_MODELS');
  const byIndex = planTargets(fake('mnist', 10, digits), fake('fashion', 10, clothes), 3);
  assert.deepEqual(byIndex.target, { a: 3, b: 3 });
  assert.match(byIndex.warning ?? '', /index 3 is '3' in A and 'Dress' in B/);
  assert.equal(code(() => planTargets(fake('mnist', 10, digits), fake('fashion', 10, clothes), 'Dress')), 'UNKNOWN_CLASS');
  // different counts: a name both know, at different indices
  const cats = fake('a', 3, ['cat', 'dog', 'bird']);
  const pets = fake('b', 2, ['Dog', 'Cat']);
  assert.equal(code(() => planTargets(cats, pets)), 'INCOMPATIBLE_MODELS');
  assert.deepEqual(planTargets(cats, pets, 'dog'), { sameClasses: false, target: { a: 1, b: 0 } });
  assert.equal(code(() => planTargets(cats, pets, 'bird')), 'UNKNOWN_CLASS');
  assert.equal(code(() => planTargets(cats, pets, '2')), 'UNKNOWN_CLASS');
});

test('common grid: own grid for equal specs, the larger size for one crop, the intersection otherwise', () => {
  const spec = (h: number, w: number, resize: 'stretch' | 'center-crop'): InputSpec => ({ ...graySpec(), height: h, width: w, resize });
  const pic = { width: 300, height: 200 };
  assert.deepEqual(commonGrid(pic, spec(224, 224, 'center-crop'), spec(224, 224, 'center-crop')), { region: { x: 50, y: 0, width: 200, height: 200 }, height: 224, width: 224 });
  assert.deepEqual(commonGrid(pic, spec(224, 224, 'center-crop'), spec(299, 299, 'center-crop')), { region: { x: 50, y: 0, width: 200, height: 200 }, height: 299, width: 299 });
  // stretch sees the whole picture, the crop its centre: the centre, at the crop's density (224 / 200)
  const g = commonGrid(pic, spec(100, 150, 'stretch'), spec(224, 224, 'center-crop'));
  assert.deepEqual(g, { region: { x: 50, y: 0, width: 200, height: 200 }, height: 224, width: 224 });
  // a map that is a linear ramp over the whole picture in x keeps its values at the region's pixel centres
  const ramp = Float32Array.from({ length: 100 * 150 }, (_, i) => (i % 150) + 0.5); // value = x in picture units / 2
  const on = mapOnGrid(ramp, 100, 150, { x: 0, y: 0, width: 300, height: 200 }, g);
  for (const x of [0, 57, 223]) {
    const pictureX = 50 + ((x + 0.5) * 200) / 224;
    assert.ok(Math.abs(on[5 * 224 + x]! - pictureX / 2) < 1e-3, `x=${x}: ${on[5 * 224 + x]} vs ${pictureX / 2}`);
  }
  const same = Float32Array.from({ length: 16 }, (_, i) => i);
  assert.deepEqual(mapOnGrid(same, 4, 4, { x: 0, y: 0, width: 4, height: 4 }, { region: { x: 0, y: 0, width: 4, height: 4 }, height: 4, width: 4 }), same);
});

test('aggregate: means, medians and the pictures that changed most', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  const ch = (l2: number, rho: number) => ({ rankCorrelation: rho, ssim: 1 - l2, topIoU: 1 - l2, l2 });
  const agg = aggregateChanges(['m'], [
    { name: 'p', predictionChanged: false, changes: { m: ch(0.1, 0.9) } },
    { name: 'q', predictionChanged: true, changes: { m: ch(0.4, 0.2) } },
    { name: 'r', predictionChanged: false, changes: { m: ch(0.2, 0.5) } },
  ], 2);
  assert.equal(agg.predictionsChanged, 1);
  const m = agg.methods[0]!;
  assert.ok(Math.abs(m.measures.l2.mean - 0.7 / 3) < 1e-12);
  assert.equal(m.measures.rankCorrelation.median, 0.5);
  assert.deepEqual(m.mostChanged.map((c) => c.name), ['q', 'r']);
});
