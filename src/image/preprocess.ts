/**
 * Pictures to the model's input tensor, following an InputSpec.
 *
 * 1. Fit (`fitToInput`): 'stretch' resamples the whole picture to width × height. 'center-crop' takes the
 *    largest centred region with the input's aspect ratio (the region whose shorter side, scaled to the
 *    input, makes the other side cover it) and resamples that region, so the result is what resizing the
 *    shorter side to the input size and cropping the centre gives, without rounding the intermediate size.
 *    The resampler is Pillow's antialiased BILINEAR (see resample.ts); the fitted picture is 8-bit RGB, the
 *    exact picture the model sees.
 * 2. Grayscale (channels = 1): Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 luma), kept unrounded.
 * 3. Values: for a pixel value p in 0..255 (or Y) of channel c,
 *        x = lo + (p / 255) * (hi - lo)          with [lo, hi] = spec.range
 *        t = (x - mean[c]) / std[c]              mean defaults to 0, std to 1
 *    computed in float64 and stored as float32.
 * 4. Layout: NCHW gives dims [N, C, H, W], NHWC gives [N, H, W, C].
 */
import { fail } from '../errors.js';
import type { InputSpec } from '../model/input-spec.js';
import type { HostTensor } from '../runtime/backend.js';
import { resizeBilinear } from './resample.js';
import type { Rect, RgbImage } from './types.js';

/** Luma weights of ITU-R BT.601, applied to R, G, B. */
export const LUMA_601 = [0.299, 0.587, 0.114] as const;

function checkSpec(spec: InputSpec): void {
  const where = `input spec (from ${spec.source})`;
  if (!Number.isInteger(spec.height) || !Number.isInteger(spec.width) || spec.height < 1 || spec.width < 1) {
    fail('INPUT_VALUE', `${where}: height and width must be positive integers, got ${spec.height}x${spec.width}.`);
  }
  if (spec.channels !== 1 && spec.channels !== 3) {
    fail('INPUT_VALUE', `${where}: channels must be 1 (grayscale) or 3 (RGB), got ${spec.channels}.`);
  }
  if (spec.layout !== 'NCHW' && spec.layout !== 'NHWC') {
    fail('INPUT_VALUE', `${where}: layout must be 'NCHW' or 'NHWC', got '${String(spec.layout)}'.`);
  }
  if (spec.resize !== 'center-crop' && spec.resize !== 'stretch') {
    fail('INPUT_VALUE', `${where}: resize must be 'center-crop' or 'stretch', got '${String(spec.resize)}'.`);
  }
  if (spec.range.length !== 2 || !spec.range.every(Number.isFinite)) {
    fail('INPUT_VALUE', `${where}: range must be two finite numbers, got [${spec.range.join(', ')}].`);
  }
  for (const [name, values, bad] of [
    ['mean', spec.mean, (v: number) => !Number.isFinite(v)],
    ['std', spec.std, (v: number) => !Number.isFinite(v) || v === 0],
  ] as const) {
    if (values === undefined) continue;
    if (values.length !== spec.channels) {
      fail('INPUT_VALUE', `${where}: ${name} has ${values.length} values for ${spec.channels} channel(s).`);
    }
    if (values.some(bad)) fail('INPUT_VALUE', `${where}: ${name} [${values.join(', ')}] must be finite${name === 'std' ? ' and non-zero' : ''}.`);
  }
}

function checkImage(image: RgbImage, index?: number): void {
  const which = index === undefined ? 'image' : `image ${index}`;
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
    fail('INPUT_SHAPE', `${which} has no pixels (${image.width}x${image.height}).`);
  }
  if (image.data.length !== image.width * image.height * 3) {
    fail('INPUT_SHAPE', `${which}: ${image.width}x${image.height} RGB needs ${image.width * image.height * 3} bytes, got ${image.data.length}.`);
  }
}

/** The region of a w × h picture that 'center-crop' keeps for an input of the given size. */
export function centerCropBox(w: number, h: number, width: number, height: number): Rect {
  // compare aspect ratios by cross-multiplying, so a picture of the input's aspect keeps all of itself
  if (height * w >= width * h) {
    const bw = (width * h) / height;
    return { x: (w - bw) / 2, y: 0, width: bw, height: h };
  }
  const bh = (height * w) / width;
  return { x: 0, y: (h - bh) / 2, width: w, height: bh };
}

/**
 * The exact picture the model sees (spec.width × spec.height, 8-bit RGB) and the region of the original it
 * was taken from, in the original's pixel coordinates (fractional for a centre crop of odd margins).
 */
export function fitToInput(image: RgbImage, spec: InputSpec): { image: RgbImage; crop: Rect } {
  checkSpec(spec);
  checkImage(image);
  const crop = spec.resize === 'stretch'
    ? { x: 0, y: 0, width: image.width, height: image.height }
    : centerCropBox(image.width, image.height, spec.width, spec.height);
  return { image: resizeBilinear(image, spec.width, spec.height, crop), crop };
}

/** A float32 batch [N, C, H, W] or [N, H, W, C] of the fitted, value-mapped pictures. */
export function preprocess(images: readonly RgbImage[], spec: InputSpec): HostTensor {
  checkSpec(spec);
  images.forEach(checkImage);
  const { height: H, width: W, channels: C } = spec;
  const [lo, hi] = spec.range;
  const span = hi - lo;
  const mean = spec.mean ?? new Array<number>(C).fill(0);
  const std = spec.std ?? new Array<number>(C).fill(1);
  const plane = H * W;
  const out = new Float32Array(images.length * C * plane);
  const nchw = spec.layout === 'NCHW';
  images.forEach((original, n) => {
    const { data } = fitToInput(original, spec).image;
    const base = n * C * plane;
    for (let i = 0; i < plane; i++) {
      const r = data[i * 3]!;
      const g = data[i * 3 + 1]!;
      const b = data[i * 3 + 2]!;
      for (let c = 0; c < C; c++) {
        const p = C === 1 ? LUMA_601[0] * r + LUMA_601[1] * g + LUMA_601[2] * b : c === 0 ? r : c === 1 ? g : b;
        const t = (lo + (p / 255) * span - mean[c]!) / std[c]!;
        out[base + (nchw ? c * plane + i : i * C + c)] = t;
      }
    }
  });
  return { type: 'float32', dims: nchw ? [images.length, C, H, W] : [images.length, H, W, C], data: out };
}
