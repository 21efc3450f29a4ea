/**
 * Deletion and insertion curves (Petsiuk, Das & Saenko 2018, "RISE", Sec. 4.1 "Causal metrics"): pixels
 * are removed from the image (deletion: replaced by a baseline) or added to a baseline (insertion) in the
 * order of the explanation's map, most important first, and the target's probability is recorded after
 * each step. A good map makes the deletion curve fall fast (low area) and the insertion curve rise fast
 * (high area). Areas are trapezoid sums over the fraction of pixels changed, in [0, 1].
 * The perturbed inputs go through the scorer `batch` at a time. Platform neutral.
 */
import { fail } from '../errors.js';
import type { HostTensor } from '../runtime/backend.js';
import type { ImageModel } from '../model/image-model.js';
import { probabilities } from '../model/targets.js';
import { forward, type RunOptions } from '../methods/engine.js';

export type CurveKind = 'deletion' | 'insertion';

export interface CurveOptions {
  /** number of steps (the curve has steps + 1 points); default 32 */
  readonly steps?: number;
  /** the input with every pixel removed (default: zeros, i.e. the model's 0 value) */
  readonly baseline?: HostTensor;
  /** perturbed inputs per scorer call; default 16 */
  readonly batch?: number;
  /** 'NCHW' or 'NHWC' (default NCHW) */
  readonly layout?: 'NCHW' | 'NHWC';
}

export interface Curve {
  readonly kind: CurveKind;
  /** fraction of pixels changed at each point, 0..1 */
  readonly x: Float64Array;
  /** the score after each step */
  readonly y: Float64Array;
  /** trapezoid area under y over x */
  readonly auc: number;
}

/** Scores a batch of inputs (one number per example), e.g. the target's probability. */
export type Scorer = (batch: HostTensor) => Promise<Float32Array>;

/** Pixel indices (row-major over H x W) sorted by the map, largest first; ties keep index order. */
export function pixelOrder(map: ArrayLike<number>): Uint32Array {
  const idx = Uint32Array.from({ length: map.length }, (_, i) => i);
  return idx.sort((a, b) => (map[b]! - map[a]!) || a - b);
}

export function trapezoid(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return s;
}

/** One curve for one example: `input` is [1, C, H, W] (or NHWC), `map` holds H x W values. */
export async function perturbationCurve(kind: CurveKind, input: HostTensor, map: ArrayLike<number>, score: Scorer, options: CurveOptions = {}): Promise<Curve> {
  const steps = options.steps ?? 32;
  const batch = options.batch ?? 16;
  if (!Number.isInteger(steps) || steps < 1) fail('USAGE', `steps must be a positive integer, got ${steps}.`);
  if (!Number.isInteger(batch) || batch < 1) fail('USAGE', `batch must be a positive integer, got ${batch}.`);
  const layout = options.layout ?? 'NCHW';
  const d = input.dims;
  if (d.length !== 4 || d[0] !== 1) fail('INPUT_SHAPE', `curves take one example [1, ...], got [${d.join(', ')}].`);
  const [C, H, W] = layout === 'NCHW' ? [d[1]!, d[2]!, d[3]!] : [d[3]!, d[1]!, d[2]!];
  const P = H * W;
  if (map.length !== P) fail('INPUT_SHAPE', `the map has ${map.length} values; the input has ${H}x${W} = ${P} pixels.`);
  const x0 = input.data as Float32Array;
  const base = (options.baseline?.data as Float32Array | undefined) ?? new Float32Array(x0.length);
  if (base.length !== x0.length) fail('INPUT_SHAPE', `the baseline has ${base.length} values, the input ${x0.length}.`);
  const order = pixelOrder(map);
  const at = (p: number, c: number) => (layout === 'NCHW' ? c * P + p : p * C + c);
  // point k changes the first round(k/steps * P) pixels of the order
  const counts = Array.from({ length: steps + 1 }, (_, k) => Math.round((k / steps) * P));
  const y = new Float64Array(steps + 1);
  for (let s = 0; s <= steps; s += batch) {
    const n = Math.min(batch, steps + 1 - s);
    const data = new Float32Array(n * x0.length);
    for (let b = 0; b < n; b++) {
      const view = data.subarray(b * x0.length, (b + 1) * x0.length);
      const [from, to] = kind === 'deletion' ? [x0, base] : [base, x0];
      view.set(from);
      const k = counts[s + b]!;
      for (let i = 0; i < k; i++) for (let c = 0; c < C; c++) { const j = at(order[i]!, c); view[j] = to[j]!; }
    }
    const out = await score({ type: 'float32', dims: [n, ...d.slice(1)], data });
    for (let b = 0; b < n; b++) y[s + b] = out[b]!;
  }
  const x = Float64Array.from(counts, (c) => c / P);
  return { kind, x, y, auc: trapezoid(x, y) };
}

/** The target class's softmax (or sigmoid) probability under the model, as the paper scores. */
export function probabilityScorer(model: ImageModel, classIndex: number, run: RunOptions): Scorer {
  return async (batch) => {
    const fwd = await forward(model, batch, [], run);
    const n = batch.dims[0]!;
    return Float32Array.from(probabilities(model, fwd.logits.data as Float32Array, n), (p) => p[classIndex]!);
  };
}
