/**
 * Max-sensitivity (Yeh, Hsieh, Suggala, Inouye & Ravikumar 2019, "On the (In)fidelity and Sensitivity of
 * Explanations", Def. 3.1): how much the explanation changes under a small perturbation of the input,
 *     SENS_MAX(Φ, f, x, r) = max_{‖y − x‖∞ ≤ r} ‖Φ(y) − Φ(x)‖ / ‖Φ(x)‖,
 * estimated by Monte Carlo, as Captum's `sensitivity_max` does: `samples` points y drawn uniformly in the
 * L∞ ball, y_i = x_i + U(−r_c, r_c) with r_c = `radius` · range_c (channel c's pixel range in model
 * units, input-range.ts), and the largest ratio kept. Norms are Frobenius norms over the whole map; the
 * division by ‖Φ(x)‖ (Captum's default) is skipped when Φ(x) = 0. Points are not clipped to the pixel range.
 *
 * The explanation is recomputed at every point, for the same target as at x (the original's top class
 * unless a target is given), with the same method options. Cost: `samples` explanations per method.
 *
 * Noise order (reproducible): `new Random(seed)`; for sample k = 0..N−1, for each element i of the example
 * in memory order, y_i = fl32(x_i + uniform(−r_c, r_c)) (Random.uniform). Platform neutral.
 */
import { fail } from '../errors.js';
import { explain, type ExplainOptions, type ExplainResult } from '../methods/explain.js';
import type { ImageModel } from '../model/image-model.js';
import type { TargetSpec } from '../model/targets.js';
import type { HostTensor } from '../runtime/backend.js';
import { Random } from '../util/random.js';
import { channelOf, channelRanges } from './input-range.js';

export interface SensitivityOptions extends Omit<ExplainOptions, 'methods'> {
  /** points drawn in the ball; default 8 */
  readonly samples?: number;
  /** the ball's radius as a fraction of each channel's range; default 0.02 */
  readonly radius?: number;
  /** per-channel range in model units (see channelRanges); default the model's (input-range.ts) */
  readonly ranges?: ArrayLike<number>;
  /** default 0 */
  readonly seed?: number;
  /** perturbed copies per explain() call; default all samples at once */
  readonly batch?: number;
  /** Φ(x), when already computed for the same methods (in the same order), example and options */
  readonly reference?: ExplainResult;
}

export interface SensitivityResult {
  readonly method: string;
  /** the largest ratio over the samples */
  readonly maxSensitivity: number;
  /** ‖Φ(y_k) − Φ(x)‖ / ‖Φ(x)‖ for each sample k */
  readonly ratios: Float64Array;
  /** false when Φ(x) was all zeros (the ratios are then plain ‖Φ(y) − Φ(x)‖) */
  readonly normalized: boolean;
  readonly samples: number;
  readonly radius: number;
}

/** ‖b − a‖ / ‖a‖ (Frobenius), or ‖b − a‖ when a = 0. */
export function relativeChange(a: ArrayLike<number>, b: ArrayLike<number>): { ratio: number; normalized: boolean } {
  if (a.length !== b.length) fail('INPUT_SHAPE', `maps of ${a.length} and ${b.length} values cannot be compared.`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (b[i]! - a[i]!) ** 2;
    den += a[i]! ** 2;
  }
  return den > 0 ? { ratio: Math.sqrt(num / den), normalized: true } : { ratio: Math.sqrt(num), normalized: false };
}

/** `count` points y_k in the L∞ ball around the example x (as one batch), in the documented noise order. */
export function ballSamples(x: HostTensor, count: number, radii: ArrayLike<number>, layout: 'NCHW' | 'NHWC', rnd: Random): HostTensor {
  const d = x.dims;
  const [C, H, W] = layout === 'NCHW' ? [d[1]!, d[2]!, d[3]!] : [d[3]!, d[1]!, d[2]!];
  const P = H * W;
  const src = x.data as Float32Array;
  const E = src.length;
  const data = new Float32Array(count * E);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < E; i++) {
      const r = radii[channelOf(i, C, P, layout)]!;
      data[k * E + i] = src[i]! + rnd.uniform(-r, r);
    }
  }
  return { type: 'float32', dims: [count, ...d.slice(1)], data };
}

/** Max-sensitivity of each method's map for one example `input` [1, ...]. */
export async function maxSensitivity(model: ImageModel, input: HostTensor, methods: readonly string[], options: SensitivityOptions): Promise<SensitivityResult[]> {
  const samples = options.samples ?? 8;
  const radius = options.radius ?? 0.02;
  const batch = options.batch ?? samples;
  if (!Number.isInteger(samples) || samples < 1) fail('USAGE', `sensitivity samples must be a positive integer, got ${samples}.`);
  if (!Number.isInteger(batch) || batch < 1) fail('USAGE', `batch must be a positive integer, got ${batch}.`);
  if (!(radius > 0 && Number.isFinite(radius))) fail('USAGE', `radius must be a positive number (a fraction of the input range), got ${radius}.`);
  if (input.dims.length !== 4 || input.dims[0] !== 1) fail('INPUT_SHAPE', `max-sensitivity takes one example [1, ...], got [${input.dims.join(', ')}].`);
  const { reference: given, samples: _s, radius: _r, ranges: _g, seed: _e, batch: _b, ...explainOptions } = options;
  const base = given ?? (await explain(model, input, { ...explainOptions, methods }));
  if (base.results.length !== methods.length || base.results.some((r, k) => r.method !== methods[k])) {
    fail('USAGE', `the reference explanation holds methods ${base.results.map((r) => r.method).join(', ')}, not ${methods.join(', ')}.`);
  }
  const t = base.targets[0]!;
  const target: TargetSpec = options.target && options.target !== 'top' ? options.target : t.minus === undefined ? t.index : { of: t.index, minus: t.minus };
  const spec = model.input;
  const ranges = options.ranges ?? channelRanges(spec);
  const radii = Float64Array.from(ranges, (v) => v * radius);
  const rnd = new Random(options.seed ?? 0);
  const ratios = methods.map(() => new Float64Array(samples));
  const normalized = methods.map(() => true);
  for (let s = 0; s < samples; s += batch) {
    const n = Math.min(batch, samples - s);
    const ys = ballSamples(input, n, radii, spec.layout, rnd);
    const r = await explain(model, ys, { ...explainOptions, methods, target });
    r.results.forEach((res, k) => {
      const a = base.results[k]!.map.data as Float32Array;
      const per = res.map.data.length / n;
      if (per !== a.length) fail('INPUT_SHAPE', `${res.method} gave maps of ${per} values at the perturbed points and ${a.length} at the input.`);
      for (let b = 0; b < n; b++) {
        const c = relativeChange(a, (res.map.data as Float32Array).subarray(b * per, (b + 1) * per));
        ratios[k]![s + b] = c.ratio;
        normalized[k] = c.normalized;
      }
    });
  }
  return methods.map((method, k) => ({ method, maxSensitivity: Math.max(...ratios[k]!), ratios: ratios[k]!, normalized: normalized[k]!, samples, radius }));
}
