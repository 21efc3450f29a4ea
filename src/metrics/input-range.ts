/**
 * Perturbation sizes in the model's own input units: a fraction of the range a picture's pixels span in
 * each channel after preprocessing. Pixels 0..255 map onto `range` = [lo, hi], then (x − mean[c]) / std[c],
 * so channel c spans (hi − lo) / std[c]. Platform neutral.
 */
import type { InputSpec } from '../model/input-spec.js';

/** Per channel, the width of the interval the pixels 0..255 occupy in model units. */
export function channelRanges(spec: Pick<InputSpec, 'channels' | 'range' | 'std'>): Float64Array {
  const width = spec.range[1] - spec.range[0];
  return Float64Array.from({ length: spec.channels }, (_, c) => Math.abs(width / (spec.std?.[c] ?? 1)));
}

/** The channel of flat element i of one example [C, H, W] (NCHW) or [H, W, C] (NHWC) with P = H·W pixels. */
export function channelOf(i: number, channels: number, pixels: number, layout: 'NCHW' | 'NHWC'): number {
  return layout === 'NCHW' ? Math.floor(i / pixels) : i % channels;
}

/** The pixel (row-major over H x W) of flat element i of one example. */
export function pixelOf(i: number, channels: number, pixels: number, layout: 'NCHW' | 'NHWC'): number {
  return layout === 'NCHW' ? i % pixels : Math.floor(i / channels);
}
