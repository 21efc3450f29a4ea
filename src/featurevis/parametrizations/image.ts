/**
 * An image parametrization as Lucid composes it: spatial parameters (pixel or Fourier) → optional
 * decorrelated colour → a squash to [0, 1] (which `toModelInput` maps onto the model's input range).
 *
 * - 'sigmoid': image = sigmoid(t); smooth, never leaves the range (the default for visualization).
 * - 'clamp': image = clamp(t, 0, 1) with the gradient passed straight through; a pixel
 *   parametrization without decorrelation is also projected back into [0, 1] after every step, which
 *   is the box constraint of feature inversion and DeepDream.
 *
 * All of this runs in TypeScript around the one runtime call per step: the transforms drawn at random
 * each step, the FFT and their adjoints cost a few milliseconds, and a graph holding them would need a
 * new compilation per image size and backward rules for ops (DFT, GridSample) the engine lacks.
 */
import { fail } from '../../errors.js';
import type { Random } from '../../util/random.js';
import { imageBatch, type ImageBatch } from '../image-batch.js';
import { colorInverse, decorrelate } from './color.js';
import { FourierParam } from './fourier.js';
import { PixelParam } from './pixel.js';
import type { SpatialParam } from './types.js';

export type ParamKind = 'fourier' | 'pixel';
export type Squash = 'sigmoid' | 'clamp';

export interface ImageParamOptions {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  /** default 'fourier' */
  readonly kind?: ParamKind;
  /** decorrelated colour space; default true for 3 channels (ignored for 1) */
  readonly decorrelate?: boolean;
  /** default 'sigmoid' */
  readonly squash?: Squash;
  /** standard deviation of the random start; default 0.01 */
  readonly sd?: number;
  /** Fourier preconditioning exponent; default 1 */
  readonly decay?: number;
  /** start from these images (values in [0, 1]; pixel parametrization only) */
  readonly init?: ImageBatch;
  readonly rng: Random;
}

export class ImageParam {
  readonly kind: ParamKind;
  readonly squash: Squash;
  readonly decorrelated: boolean;
  private readonly spatial: SpatialParam;
  private readonly colored: ImageBatch;
  private readonly image: ImageBatch;
  /** scratch of backward(): the gradient before the squash and before the colour basis */
  private readonly gradImage: ImageBatch;
  private readonly gradColored: ImageBatch;

  constructor(readonly options: ImageParamOptions) {
    const { n, c, h, w } = options;
    this.kind = options.kind ?? 'fourier';
    this.squash = options.squash ?? 'sigmoid';
    this.decorrelated = c === 3 && (options.decorrelate ?? true);
    if (this.kind !== 'fourier' && this.kind !== 'pixel') fail('USAGE', `unknown parametrization '${String(this.kind)}'; use fourier or pixel.`);
    if (this.squash !== 'sigmoid' && this.squash !== 'clamp') fail('USAGE', `unknown squash '${String(this.squash)}'; use sigmoid or clamp.`);
    if (options.init && this.kind !== 'pixel') fail('USAGE', 'starting from an image needs the pixel parametrization.');
    const sd = options.sd ?? 0.01;
    this.spatial = this.kind === 'fourier'
      ? new FourierParam(n, c, h, w, { sd, rng: options.rng, ...(options.decay !== undefined ? { decay: options.decay } : {}) })
      : new PixelParam(n, c, h, w, { sd, rng: options.rng, ...(options.init ? { init: this.unsquash(options.init) } : {}) });
    this.colored = imageBatch(n, c, h, w);
    this.image = imageBatch(n, c, h, w);
    this.gradImage = imageBatch(n, c, h, w);
    this.gradColored = imageBatch(n, c, h, w);
  }

  get params(): Float32Array {
    return this.spatial.params;
  }

  /** Parameters that give `x` (the inverse of squash and colour). */
  private unsquash(x: ImageBatch): Float32Array {
    const { n, c, h, w } = this.options;
    if (x.n !== n || x.c !== c || x.h !== h || x.w !== w) fail('INPUT_SHAPE', `the start image [${x.n}, ${x.c}, ${x.h}, ${x.w}] does not match the parametrization [${n}, ${c}, ${h}, ${w}].`);
    const t = Float32Array.from(x.data, (v) => {
      if (this.squash === 'clamp') return v;
      const e = Math.min(1 - 1e-4, Math.max(1e-4, v));
      return Math.log(e / (1 - e));
    });
    if (!this.decorrelated) return t;
    const inv = colorInverse();
    const out = new Float32Array(t.length);
    const plane = h * w;
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < plane; p++) {
        for (let i = 0; i < 3; i++) {
          let s = 0;
          for (let j = 0; j < 3; j++) s += inv[i]![j]! * t[(b * 3 + j) * plane + p]!;
          out[(b * 3 + i) * plane + p] = s;
        }
      }
    }
    return out;
  }

  /** The current images, values in [0, 1]. The returned batch is reused by the next call. */
  render(): ImageBatch {
    const t = this.spatial.forward();
    const src = this.decorrelated ? (decorrelate(t, this.colored), this.colored) : t;
    const out = this.image.data;
    if (this.squash === 'sigmoid') for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-src.data[i]!));
    else for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, src.data[i]!));
    return this.image;
  }

  /**
   * d(loss)/d(params) for d(loss)/d(image), at the images of the last `render()`. The returned array may
   * be reused by the next call.
   */
  backward(g: ImageBatch): Float32Array {
    const d = this.gradImage;
    if (this.squash === 'sigmoid') {
      const y = this.image.data;
      for (let i = 0; i < d.data.length; i++) d.data[i] = g.data[i]! * y[i]! * (1 - y[i]!);
    } else d.data.set(g.data);
    if (!this.decorrelated) return this.spatial.backward(d);
    const t = this.gradColored;
    decorrelate(d, t, true);
    return this.spatial.backward(t);
  }

  /** Keeps a clamped pixel parametrization inside [0, 1] (call after each optimizer step). */
  project(): void {
    if (this.squash !== 'clamp' || this.kind !== 'pixel' || this.decorrelated) return;
    const p = this.spatial.params;
    for (let i = 0; i < p.length; i++) p[i] = Math.min(1, Math.max(0, p[i]!));
  }
}
