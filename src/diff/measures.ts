/**
 * How much two maps of the same picture differ, after each is normalized by the method's display rule.
 *
 * Normalization (`normalizeForDiff`) is the display step of src/methods/display.ts with no percentile
 * clipping: the method's sign rule (ReLU for CAM-like maps, the sign kept for signed maps and
 * `gradient`) and its scaling ('zero': divided by the largest magnitude, so maps lie in [0, 1] or
 * [-1, 1]; 'min-max': (v - min) / (max - min); 'min-max-inverted': (max - v) / (max - min)). Each map is
 * scaled on its own, so a model whose scores grew overall but look at the same places shows no change;
 * the raw peaks are reported beside. Without clipping, the normalized map is a fixed linear function of
 * the raw one, so B - A is exact (clipping at a percentile would make it depend on both maps' tails).
 *
 * Measures of normalized maps Â, B̂ over N pixels:
 * - rank correlation: Spearman's rho of Â and B̂ (ties averaged; src/metrics/similarity.ts)
 * - SSIM: structural similarity, 7x7 windows (src/metrics/similarity.ts)
 * - top-k IoU: the round(k N) pixels of largest |Â| and of largest |B̂| (ties to the lower index), their
 *   intersection over union
 * - L2: ||B̂ - Â||₂ / sqrt(N), the root mean square of the difference (0 to 1 for unsigned maps, to 2 for
 *   signed ones), comparable across resolutions
 * - the signed difference map B̂ - Â.
 * Platform neutral.
 */
import { fail } from '../errors.js';
import { displayMaps } from '../methods/display.js';
import { getMethod } from '../methods/registry.js';
import { spearman, ssim } from '../metrics/similarity.js';

export interface NormalizedMap {
  /** values in [0, 1], or [-1, 1] for signed maps */
  readonly values: Float32Array;
  /** the raw value shown as 1 (the largest magnitude kept by the sign rule; max - min for min-max maps) */
  readonly peak: number;
  /** true when negative values are kept */
  readonly signed: boolean;
}

/** A raw [h, w] map of `method`, normalized as the file header says. */
export function normalizeForDiff(method: string, map: ArrayLike<number>, height: number, width: number): NormalizedMap {
  const [d] = displayMaps([method], [{ data: map, dims: [height, width] }], { normalize: 'per-image', sign: 'auto', colormap: 'auto', alpha: 1, percentile: 100 });
  const signed = (getMethod(method).display ?? 'zero') === 'zero' && d!.sign === 'all';
  const values = signed ? d!.values.map((v) => 2 * v - 1) : d!.values;
  return { values, peak: Math.abs(d!.domain[1] - (signed ? 0 : d!.domain[0])), signed };
}

export interface MapChange {
  readonly rankCorrelation: number;
  readonly ssim: number;
  /** the top-k IoU at `topFraction` */
  readonly topIoU: number;
  readonly l2: number;
}

/** Indices of the `count` entries of largest magnitude (ties to the lower index). */
function topIndices(v: ArrayLike<number>, count: number): Int32Array {
  const idx = Int32Array.from({ length: v.length }, (_, i) => i);
  idx.sort((p, q) => Math.abs(v[q]!) - Math.abs(v[p]!) || p - q);
  return idx.subarray(0, count);
}

/** IoU of the top `fraction` of pixels (by magnitude) of two maps of the same size. */
export function topFractionIoU(a: ArrayLike<number>, b: ArrayLike<number>, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) fail('USAGE', `the top-k fraction must lie in (0, 1], got ${fraction}.`);
  const count = Math.max(1, Math.round(fraction * a.length));
  const inA = new Uint8Array(a.length);
  for (const i of topIndices(a, count)) inA[i] = 1;
  let both = 0;
  for (const i of topIndices(b, count)) both += inA[i]!;
  return both / (2 * count - both);
}

/** B̂ - Â. */
export function signedDifference(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: a.length }, (_, i) => b[i]! - a[i]!);
}

/** The change measures of two normalized [height, width] maps. */
export function mapChange(a: ArrayLike<number>, b: ArrayLike<number>, height: number, width: number, topFraction = 0.1): MapChange {
  if (a.length !== height * width || b.length !== height * width) fail('INPUT_SHAPE', `maps of ${a.length} and ${b.length} values cannot be compared as ${height}x${width}.`);
  let sq = 0;
  for (let i = 0; i < a.length; i++) sq += (b[i]! - a[i]!) ** 2;
  return {
    rankCorrelation: spearman(a, b),
    ssim: ssim(a, b, height, width),
    topIoU: topFractionIoU(a, b, topFraction),
    l2: Math.sqrt(sq / a.length),
  };
}
