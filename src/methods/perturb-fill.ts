/**
 * What perturbation methods put in place of the pixels they hide, in the model's input space (one
 * example, in the model's layout): a pixel value mapped through the InputSpec, the example's
 * per-channel mean, or a Gaussian-blurred copy of the example.
 */
import type { InputSpec } from '../model/input-spec.js';

/** How to hide pixels: grey (pixel 128), black (pixel 0), the example's channel means, or a blurred copy. */
export type Fill = 'grey' | 'black' | 'mean' | 'blur';

export const FILLS: readonly Fill[] = ['grey', 'black', 'mean', 'blur'];

/** Flat index of channel c at row y, column x within one example. */
export function elementIndex(spec: InputSpec, c: number, y: number, x: number): number {
  return spec.layout === 'NCHW' ? (c * spec.height + y) * spec.width + x : (y * spec.width + x) * spec.channels + c;
}

/** Element strides within one example: index = c * channel + (y * width + x) * pixel. */
export function strides(spec: InputSpec): { channel: number; pixel: number } {
  return spec.layout === 'NCHW' ? { channel: spec.height * spec.width, pixel: 1 } : { channel: 1, pixel: spec.channels };
}

/** Per channel, the model input value of pixel value p (0..255): (lo + p/255 (hi - lo) - mean[c]) / std[c]. */
export function pixelToInput(spec: InputSpec, p: number): number[] {
  const [lo, hi] = spec.range;
  return Array.from({ length: spec.channels }, (_, c) => (lo + (p / 255) * (hi - lo) - (spec.mean?.[c] ?? 0)) / (spec.std?.[c] ?? 1));
}

/** Per channel, the mean of one example's input values. */
export function channelMeans(x: Float32Array, spec: InputSpec): number[] {
  const out = new Array<number>(spec.channels).fill(0);
  for (let c = 0; c < spec.channels; c++) {
    let s = 0;
    for (let y = 0; y < spec.height; y++) for (let i = 0; i < spec.width; i++) s += x[elementIndex(spec, c, y, i)]!;
    out[c] = s / (spec.height * spec.width);
  }
  return out;
}

/** An example-shaped array holding the constant value[c] in every element of channel c. */
export function constantImage(spec: InputSpec, value: readonly number[]): Float32Array {
  const out = new Float32Array(spec.channels * spec.height * spec.width);
  for (let c = 0; c < spec.channels; c++) {
    for (let y = 0; y < spec.height; y++) for (let i = 0; i < spec.width; i++) out[elementIndex(spec, c, y, i)] = value[c]!;
  }
  return out;
}

/** The normalized 1-D Gaussian kernel exp(-t^2 / (2 sigma^2)), t = -r..r, r = ceil(3 sigma). */
export function gaussianKernel(sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let t = -r; t <= r; t++) sum += k[t + r] = Math.exp(-(t * t) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

/**
 * A Gaussian blur of one example, each channel separately (rows, then columns), with the edge pixels
 * repeated beyond the border. Blurring input values equals mapping blurred pixel values through the
 * InputSpec: the mapping is affine per channel and the kernel sums to 1.
 */
export function gaussianBlur(x: Float32Array, spec: InputSpec, sigma: number): Float32Array {
  const { height: h, width: w, channels } = spec;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  const out = new Float32Array(x.length);
  const rows = new Float64Array(h * w);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < h; y++) {
      for (let i = 0; i < w; i++) {
        let s = 0;
        for (let t = -r; t <= r; t++) s += k[t + r]! * x[elementIndex(spec, c, y, clamp(i + t, w))]!;
        rows[y * w + i] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let i = 0; i < w; i++) {
        let s = 0;
        for (let t = -r; t <= r; t++) s += k[t + r]! * rows[clamp(y + t, h) * w + i]!;
        out[elementIndex(spec, c, y, i)] = s;
      }
    }
  }
  return out;
}

/**
 * The values that replace hidden pixels of one example, example-shaped. The blur's sigma is given by
 * the caller (occlusion uses a quarter of its window).
 */
export function fillImage(x: Float32Array, spec: InputSpec, fill: Fill, blurSigma: number): Float32Array {
  switch (fill) {
    case 'grey':
      return constantImage(spec, pixelToInput(spec, 128));
    case 'black':
      return constantImage(spec, pixelToInput(spec, 0));
    case 'mean':
      return constantImage(spec, channelMeans(x, spec));
    case 'blur':
      return gaussianBlur(x, spec, blurSigma);
  }
}
