/**
 * The images feature visualization optimizes: a batch of float32 planes [n, c, h, w] (NCHW), values in
 * [0, 1] once parametrized (0 = black, 1 = full intensity), and the conversions between them, the
 * model's input tensor and 8-bit pictures.
 */
import { fail } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import type { InputSpec } from '../model/input-spec.js';
import type { HostTensor } from '../runtime/backend.js';

export interface ImageBatch {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  /** n * c * h * w values, NCHW */
  readonly data: Float32Array;
}

export function imageBatch(n: number, c: number, h: number, w: number, data?: Float32Array): ImageBatch {
  const size = n * c * h * w;
  if (data && data.length !== size) fail('SHAPE', `an image batch [${n}, ${c}, ${h}, ${w}] needs ${size} values, got ${data.length}.`);
  return { n, c, h, w, data: data ?? new Float32Array(size) };
}

export function zerosLike(x: ImageBatch): ImageBatch {
  return imageBatch(x.n, x.c, x.h, x.w);
}

/**
 * The model input for images in [0, 1]: value v of channel k becomes ((lo + v (hi - lo)) - mean[k]) / std[k],
 * laid out as the model wants (NCHW or NHWC).
 */
export function toModelInput(x: ImageBatch, spec: InputSpec): HostTensor {
  checkFits(x, spec);
  const { n, c, h, w } = x;
  const [lo, hi] = spec.range;
  const plane = h * w;
  const out = new Float32Array(x.data.length);
  const nchw = spec.layout === 'NCHW';
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < c; k++) {
      const a = (hi - lo) / (spec.std?.[k] ?? 1);
      const off = (lo - (spec.mean?.[k] ?? 0)) / (spec.std?.[k] ?? 1);
      const src = (b * c + k) * plane;
      if (nchw) for (let p = 0; p < plane; p++) out[src + p] = off + a * x.data[src + p]!;
      else for (let p = 0; p < plane; p++) out[(b * plane + p) * c + k] = off + a * x.data[src + p]!;
    }
  }
  return { type: 'float32', dims: nchw ? [n, c, h, w] : [n, h, w, c], data: out };
}

/** The chain rule through toModelInput: a gradient w.r.t. the model input as a gradient w.r.t. the [0, 1] image. */
export function fromModelGradient(g: HostTensor, spec: InputSpec): ImageBatch {
  const nchw = spec.layout === 'NCHW';
  const [n, d1, d2, d3] = g.dims as [number, number, number, number];
  const c = nchw ? d1 : d3;
  const h = nchw ? d2 : d1;
  const w = nchw ? d3 : d2;
  const plane = h * w;
  const data = g.data as Float32Array;
  const out = imageBatch(n, c, h, w);
  const [lo, hi] = spec.range;
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < c; k++) {
      const a = (hi - lo) / (spec.std?.[k] ?? 1);
      const dst = (b * c + k) * plane;
      if (nchw) for (let p = 0; p < plane; p++) out.data[dst + p] = a * data[dst + p]!;
      else for (let p = 0; p < plane; p++) out.data[dst + p] = a * data[(b * plane + p) * c + k]!;
    }
  }
  return out;
}

function checkFits(x: ImageBatch, spec: InputSpec): void {
  if (x.c !== spec.channels || x.h !== spec.height || x.w !== spec.width) {
    fail('INPUT_SHAPE', `images of ${x.c} channel(s) at ${x.h}x${x.w} do not fit a model input of ${spec.channels} channel(s) at ${spec.height}x${spec.width}.`);
  }
}

/** One example as an 8-bit RGB picture (values clamped to [0, 1]; one channel is shown as grey). */
export function toPicture(x: ImageBatch, example: number): RgbImage {
  const { c, h, w } = x;
  const plane = h * w;
  const out = new Uint8Array(plane * 3);
  const base = example * c * plane;
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) {
      const v = x.data[base + (c === 1 ? 0 : k) * plane + p]!;
      out[p * 3 + k] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
  }
  return { width: w, height: h, data: out };
}

/** 8-bit pictures of one size as a [0, 1] batch with `channels` channels (1: BT.601 luma). */
export function fromPictures(pictures: readonly RgbImage[], channels: number): ImageBatch {
  const { width: w, height: h } = pictures[0]!;
  const x = imageBatch(pictures.length, channels, h, w);
  const plane = h * w;
  pictures.forEach((pic, b) => {
    if (pic.width !== w || pic.height !== h) fail('INPUT_SHAPE', `pictures of different sizes (${w}x${h} and ${pic.width}x${pic.height}) cannot form one batch.`);
    for (let p = 0; p < plane; p++) {
      const r = pic.data[p * 3]!, g = pic.data[p * 3 + 1]!, bl = pic.data[p * 3 + 2]!;
      if (channels === 1) x.data[b * plane + p] = (0.299 * r + 0.587 * g + 0.114 * bl) / 255;
      else for (let k = 0; k < 3; k++) x.data[(b * 3 + k) * plane + p] = pic.data[p * 3 + k]! / 255;
    }
  });
  return x;
}
