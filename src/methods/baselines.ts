/**
 * Baselines x' for path methods (Integrated Gradients), from `--baseline`. Baselines are defined in
 * PIXEL space (0..255) and pushed through the model's preprocessing (InputSpec: x = lo + p/255 (hi - lo),
 * then (x - mean[c]) / std[c]), so 'black' on an ImageNet-normalized model is -mean/std, not 0:
 * - black:    pixel 0 everywhere
 * - white:    pixel 255 everywhere
 * - uniform:  independent seeded U(0, 255) pixels (every element drawn anew)
 * - gaussian: the input plus seeded Gaussian noise of sigma GAUSSIAN_SIGMA_PIXELS = 25.5 pixel levels
 *             (10% of the pixel range), per element, not clipped
 * - blurred:  the input blurred by a normalized Gaussian of sigma max(H, W) / 20 pixels
 * - mean:     a dataset mean image or mean colour in pixels (`--baseline-mean FILE.npy|R,G,B|FOLDER`)
 * - zeros:    zeros in the model's input space (natural for .npy inputs)
 * - FILE.npy: a baseline already in input space: the input's per-example shape, [1, ...] or [N, ...]
 * Several baselines separated by commas are averaged by the caller (expected-gradients style); two
 * 'uniform' baselines draw two different noise images. Random baselines come from one seeded stream
 * per example, so an example gets the same baselines alone or in a batch.
 * Reading files is Node only (see ig-files.ts); everything else here is platform neutral.
 */
import { fail } from '../errors.js';
import type { InputSpec } from '../model/input-spec.js';
import { LUMA_601 } from '../image/preprocess.js';
import type { HostTensor } from '../runtime/backend.js';
import { Random } from '../util/random.js';
import type { NpyArray } from '../data/npy.js';

export const BASELINE_KINDS = ['black', 'white', 'uniform', 'gaussian', 'blurred', 'mean', 'zeros'] as const;
export type BaselineKind = (typeof BASELINE_KINDS)[number];

/** sigma of the 'gaussian' baseline's noise, in pixel levels (0..255) */
export const GAUSSIAN_SIGMA_PIXELS = 25.5;
/** sigma of the 'blurred' baseline, as a fraction of the input's larger side */
export const BLUR_SIGMA_FRACTION = 1 / 20;

export type BaselineSpec = { readonly kind: BaselineKind } | { readonly kind: 'file'; readonly path: string };

/** Parses `--baseline`: names and .npy paths separated by commas. */
export function parseBaselines(value: string): BaselineSpec[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) fail('USAGE', `--baseline has an empty entry: '${value}'. Give ${BASELINE_KINDS.join(', ')} or a .npy file, several separated by commas.`);
  return parts.map((p) => {
    if ((BASELINE_KINDS as readonly string[]).includes(p)) return { kind: p as BaselineKind };
    if (/\.npy$/i.test(p)) return { kind: 'file', path: p };
    return fail('USAGE', `--baseline '${p}' is not a baseline: use ${BASELINE_KINDS.join(', ')}, or a .npy file of the input's shape (already in input space).`);
  });
}

/** What `--baseline-mean` gave: a colour (1 or 3 pixel values) or an image in pixels. */
export type MeanSource = { readonly kind: 'colour'; readonly values: readonly number[] } | { readonly kind: 'image'; readonly image: NpyArray; readonly from: string };

/** Parses the colour form of `--baseline-mean` ('R,G,B' or one grey value); undefined for a path. */
export function parseMeanColour(value: string): number[] | undefined {
  if (!/^\s*[-+0-9.eE]+\s*(,\s*[-+0-9.eE]+\s*)*$/.test(value)) return undefined;
  const v = value.split(',').map(Number);
  if (v.some((x) => !Number.isFinite(x)) || (v.length !== 1 && v.length !== 3)) fail('USAGE', `--baseline-mean takes R,G,B pixel values (0..255), one grey value, a .npy mean image or a folder of images; got '${value}'.`);
  return v;
}

/** Maps a pixel value (0..255, luma for grayscale) of channel c to the model's input space. */
export function pixelToInput(spec: InputSpec, c: number, p: number): number {
  const [lo, hi] = spec.range;
  return (lo + (p / 255) * (hi - lo) - (spec.mean?.[c] ?? 0)) / (spec.std?.[c] ?? 1);
}

/** The input-space size of one pixel level in channel c (d input / d pixel). */
export function pixelScale(spec: InputSpec, c: number): number {
  return (spec.range[1] - spec.range[0]) / 255 / (spec.std?.[c] ?? 1);
}

/** Index of (channel c, pixel i) in one example of the given layout. */
function at(spec: InputSpec, c: number, i: number): number {
  return spec.layout === 'NCHW' ? c * spec.height * spec.width + i : i * spec.channels + c;
}

/** The mean colour or image, as pixel values per (channel, pixel) of one example (RGB reduced to luma for grayscale). */
function meanPixels(spec: InputSpec, mean: MeanSource): (c: number, i: number) => number {
  const { height: H, width: W, channels: C } = spec;
  if (mean.kind === 'colour') {
    const v = mean.values;
    if (C === 1) {
      const grey = v.length === 1 ? v[0]! : LUMA_601[0] * v[0]! + LUMA_601[1] * v[1]! + LUMA_601[2] * v[2]!;
      return () => grey;
    }
    if (v.length !== 3) fail('USAGE', `--baseline-mean gave ${v.length} value(s) for an RGB model; give R,G,B.`);
    return (c) => v[c]!;
  }
  const { image, from } = mean;
  const s = image.shape;
  const data = image.data as ArrayLike<number>;
  if (image.dtype === 'int64' || image.dtype === 'bool') fail('NPY', `${from}: a mean image must be float or integer pixel values, not ${image.dtype}.`);
  const hw = s.length >= 2 && s[0] === H && s[1] === W;
  if (hw && (s.length === 2 || (s.length === 3 && s[2] === 1))) {
    // one grey plane: every channel of an RGB model gets it
    return (_c, i) => data[i]!;
  }
  if (hw && s.length === 3 && s[2] === 3) {
    if (C === 3) return (c, i) => data[i * 3 + c]!;
    return (_c, i) => LUMA_601[0] * data[i * 3]! + LUMA_601[1] * data[i * 3 + 1]! + LUMA_601[2] * data[i * 3 + 2]!;
  }
  if (s.length === 1 && (s[0] === 3 || s[0] === 1)) return meanPixels(spec, { kind: 'colour', values: Array.from(data) });
  return fail('USAGE', `${from}: a mean image must be pixel values (0..255) of shape [${H}, ${W}, 3] (the model's input size, RGB), [${H}, ${W}] (grey) or [3] (a colour); got [${s.join(', ')}].`);
}

export interface BaselineContext {
  readonly spec: InputSpec;
  /** the input batch, float32 in the model's layout */
  readonly input: HostTensor;
  /**
   * the random numbers for 'uniform' and 'gaussian': one stream for the whole batch (consumed example
   * by example), or a stream per example (consumed in baseline order), which keeps an example's
   * baselines independent of the other examples in the batch
   */
  readonly random: Random | ((example: number) => Random);
  /** for 'mean' */
  readonly mean?: MeanSource;
  /** for file baselines: the loaded arrays by path */
  readonly files?: ReadonlyMap<string, NpyArray>;
}

/** One baseline for the whole batch, float32 in the input's shape. */
export function makeBaseline(b: BaselineSpec, ctx: BaselineContext): HostTensor {
  const { spec, input } = ctx;
  const n = input.dims[0]!;
  const per = input.data.length / n;
  const x = input.data as Float32Array;
  const out = new Float32Array(input.data.length);
  const plane = spec.height * spec.width;
  const C = spec.channels;
  if (per !== plane * C) fail('INPUT_SHAPE', `the input has ${per} values per example; the input spec says ${C}x${spec.height}x${spec.width}.`);
  const rnd = (e: number): Random => (ctx.random instanceof Random ? ctx.random : ctx.random(e));
  const fillPixels = (pixel: (c: number, i: number, b: number) => number) => {
    for (let e = 0; e < n; e++) for (let c = 0; c < C; c++) for (let i = 0; i < plane; i++) out[e * per + at(spec, c, i)] = pixelToInput(spec, c, pixel(c, i, e));
  };
  switch (b.kind) {
    case 'black':
      fillPixels(() => 0);
      break;
    case 'white':
      fillPixels(() => 255);
      break;
    case 'uniform':
      // drawn in memory order, example by example
      for (let e = 0; e < n; e++) {
        for (let j = 0; j < per; j++) {
          const c = spec.layout === 'NCHW' ? Math.floor(j / plane) : j % C;
          out[e * per + j] = pixelToInput(spec, c, rnd(e).uniform(0, 255));
        }
      }
      break;
    case 'gaussian':
      for (let e = 0; e < n; e++) {
        for (let j = 0; j < per; j++) {
          const c = spec.layout === 'NCHW' ? Math.floor(j / plane) : j % C;
          out[e * per + j] = x[e * per + j]! + GAUSSIAN_SIGMA_PIXELS * pixelScale(spec, c) * rnd(e).normal();
        }
      }
      break;
    case 'blurred':
      return gaussianBlur(input, spec, BLUR_SIGMA_FRACTION * Math.max(spec.height, spec.width));
    case 'mean': {
      if (!ctx.mean) fail('USAGE', `--baseline mean needs --baseline-mean: a mean colour R,G,B in pixels (e.g. 124,116,104 for ImageNet), a .npy mean image in pixels, or a folder of images to average.`);
      const m = meanPixels(spec, ctx.mean);
      fillPixels((c, i) => m(c, i));
      break;
    }
    case 'zeros':
      break;
    case 'file': {
      const a = ctx.files?.get(b.path) ?? fail('IO', `the baseline file '${b.path}' was not loaded.`);
      if (a.dtype !== 'float32' && a.dtype !== 'float64') fail('NPY', `${b.path}: a baseline must be float32 or float64 in the model's input space, not ${a.dtype}.`);
      const want = input.dims.slice(1);
      const s = a.shape;
      const same = (dims: readonly number[]) => dims.length === want.length && dims.every((d, i) => d === want[i]);
      const perExample = same(s) || (s.length === want.length + 1 && s[0] === 1 && same(s.slice(1)));
      const batched = s.length === want.length + 1 && s[0] === n && same(s.slice(1));
      if (!perExample && !batched) {
        fail('INPUT_SHAPE', `${b.path}: the baseline has shape [${s.join(', ')}]; it must be in the model's input space with the input's shape: [${want.join(', ')}], [1, ${want.join(', ')}] or [${n}, ${want.join(', ')}].`);
      }
      const d = a.data as Float32Array | Float64Array;
      for (let e = 0; e < n; e++) for (let j = 0; j < per; j++) out[e * per + j] = d[(perExample ? 0 : e * per) + j]!;
      for (let j = 0; j < out.length; j++) if (!Number.isFinite(out[j]!)) fail('INPUT_VALUE', `${b.path}: the baseline contains ${out[j]} at flat index ${j}.`);
      break;
    }
  }
  return { type: 'float32', dims: [...input.dims], data: out };
}

/**
 * A Gaussian blur of every channel of every example, in input space, with clamped (replicated) edges
 * and a kernel whose weights sum to 1 at every position. The per-channel affine preprocessing
 * (x = a_c p + b_c) commutes with such a normalized blur, blur(a p + b) = a blur(p) + b, so blurring
 * the input equals preprocessing the blurred picture.
 */
export function gaussianBlur(input: HostTensor, spec: InputSpec, sigma: number): HostTensor {
  const { height: H, width: W, channels: C } = spec;
  const n = input.dims[0]!;
  const per = H * W * C;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k] = kernel[k]! / sum;
  const x = input.data as Float32Array;
  const out = new Float32Array(x.length);
  const tmp = new Float64Array(H * W);
  const clamp = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  for (let e = 0; e < n; e++) {
    for (let c = 0; c < C; c++) {
      const idx = (i: number) => e * per + at(spec, c, i);
      // rows
      for (let r = 0; r < H; r++) {
        for (let q = 0; q < W; q++) {
          let s = 0;
          for (let k = -radius; k <= radius; k++) s += kernel[k + radius]! * x[idx(r * W + clamp(q + k, W - 1))]!;
          tmp[r * W + q] = s;
        }
      }
      // columns
      for (let r = 0; r < H; r++) {
        for (let q = 0; q < W; q++) {
          let s = 0;
          for (let k = -radius; k <= radius; k++) s += kernel[k + radius]! * tmp[clamp(r + k, H - 1) * W + q]!;
          out[idx(r * W + q)] = s;
        }
      }
    }
  }
  return { type: 'float32', dims: [...input.dims], data: out };
}
