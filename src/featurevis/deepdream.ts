/**
 * DeepDream (Mordvintsev, Olah & Tyka 2015, "Inceptionism: Going Deeper into Neural Networks", and
 * their deepdream.ipynb): gradient ascent on a photograph to amplify what a layer sees in it, the
 * objective being the mean square of the layer's activations (or a mix of layers).
 *
 * - Octaves: the photo is dreamed at a pyramid of scales, smallest first; the detail added at one
 *   scale is upsampled onto the next scale's photo, so patterns grow at several sizes.
 * - Tiles: the gradient is computed on tiles of the model's input size laid over the image, all tiles
 *   in one runtime call; the tile grid is shifted by a random offset each step so no seam stays put.
 *   Tile pixels beyond the image read grey and their gradient is dropped. Any image size works.
 * - Step: x += step * g / mean|g|, then x is clamped to [0, 1].
 */
import { fail } from '../errors.js';
import type { ImageModel } from '../model/image-model.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { Random } from '../util/random.js';
import { fromModelGradient, imageBatch, toModelInput, type ImageBatch } from './image-batch.js';
import { layer, sum, type Objective } from './objectives.js';
import { objectivePlan } from './plan.js';
import { sampleAffine, type Affine } from './transforms.js';

export interface DreamOptions {
  readonly backend: RuntimeBackend;
  readonly threads?: number;
  /** the layers whose mean squared activation is amplified (summed) */
  readonly layers?: readonly string[];
  /** or any objective */
  readonly objective?: Objective;
  /** default 4 */
  readonly octaves?: number;
  /** size ratio between octaves; default 1.4 */
  readonly octaveScale?: number;
  /** steps per octave; default 10 */
  readonly steps?: number;
  /** step size in [0, 1] pixel units per unit of normalized gradient; default 0.01 */
  readonly stepSize?: number;
  readonly seed?: number;
  readonly onProgress?: (octave: number, step: number, value: number) => void;
}

export interface DreamResult {
  readonly image: ImageBatch;
  /** the objective (mean over tiles) at the first and the last step */
  readonly start: number;
  readonly end: number;
  readonly objective: string;
  /** octave sizes used, smallest first, as [h, w] */
  readonly sizes: readonly (readonly [number, number])[];
  readonly ms: number;
}

/** Bilinear resize of a batch to h x w (pixel-centre aligned; no antialiasing). */
export function resize(x: ImageBatch, h: number, w: number): ImageBatch {
  if (x.h === h && x.w === w) return x;
  const sy = x.h / h, sx = x.w / w;
  // taps just outside the image read its edge: sample a copy padded by one edge pixel (hence the + 1)
  const map: Affine = [sy, 0, 0.5 * sy - 0.5 + 1, 0, sx, 0.5 * sx - 0.5 + 1];
  return sampleAffine(edgePadded(x), h, w, Array.from({ length: x.n }, () => map), 0).out;
}

/** x padded by one pixel of its own edge on every side (so bilinear taps just outside read the edge). */
function edgePadded(x: ImageBatch): ImageBatch {
  const H = x.h + 2, W = x.w + 2;
  const out = imageBatch(x.n, x.c, H, W);
  for (let q = 0; q < x.n * x.c; q++) {
    for (let y = 0; y < H; y++) {
      const sy = Math.min(x.h - 1, Math.max(0, y - 1));
      for (let xx = 0; xx < W; xx++) out.data[q * H * W + y * W + xx] = x.data[q * x.h * x.w + sy * x.w + Math.min(x.w - 1, Math.max(0, xx - 1))]!;
    }
  }
  return out;
}

export async function dream(model: ImageModel, image: ImageBatch, options: DreamOptions): Promise<DreamResult> {
  const t0 = performance.now();
  if (image.n !== 1) fail('USAGE', 'dream takes one image at a time.');
  if (image.c !== model.input.channels) fail('INPUT_SHAPE', `the image has ${image.c} channel(s); ${model.name} takes ${model.input.channels}.`);
  const objective = options.objective ?? (options.layers?.length ? sum(...options.layers.map((l) => layer(l))) : fail('USAGE', 'dream: name at least one layer (or give an objective).'));
  const octaves = options.octaves ?? 4;
  const scale = options.octaveScale ?? 1.4;
  const steps = options.steps ?? 10;
  const stepSize = options.stepSize ?? 0.01;
  if (!(Number.isInteger(octaves) && octaves >= 1)) fail('USAGE', `octaves must be a positive integer, got ${octaves}.`);
  if (!(scale > 1)) fail('USAGE', `the octave scale must be above 1, got ${scale}.`);
  const rng = new Random(options.seed ?? 0);
  const T = { h: model.input.height, w: model.input.width };
  const plan = await objectivePlan(model, objective, { backend: options.backend, batch: 'N', ...(options.threads ? { threads: options.threads } : {}) });

  const sizes: [number, number][] = [];
  for (let k = octaves - 1; k >= 0; k--) sizes.push([Math.max(8, Math.round(image.h / scale ** k)), Math.max(8, Math.round(image.w / scale ** k))]);
  let detail: ImageBatch | undefined;
  let start = NaN, end = NaN;
  let x = image;
  for (const [o, [h, w]] of sizes.entries()) {
    const base = resize(image, h, w);
    x = imageBatch(1, image.c, h, w, Float32Array.from(base.data));
    if (detail) {
      const up = resize(detail, h, w);
      for (let i = 0; i < x.data.length; i++) x.data[i] = Math.min(1, Math.max(0, x.data[i]! + up.data[i]!));
    }
    for (let s = 0; s < steps; s++) {
      // the tile grid, shifted by a random offset
      const oy = -Math.floor(rng.next() * T.h), ox = -Math.floor(rng.next() * T.w);
      const maps: Affine[] = [];
      for (let ty = oy; ty < h; ty += T.h) for (let tx = ox; tx < w; tx += T.w) maps.push([1, 0, ty, 0, 1, tx]);
      const tiles = sampleAffine(replicate(x, maps.length), T.h, T.w, maps, 0.5);
      const r = await plan.run(toModelInput(tiles.out, model.input));
      const value = r.values.reduce((a, b) => a + b, 0) / r.values.length;
      if (o === 0 && s === 0) start = value;
      end = value;
      // tiles do not overlap: the adjoint of each tile's crop, summed over tiles
      const g = tiles.backward(fromModelGradient(r.gradient, model.input));
      const grad = new Float32Array(x.data.length);
      for (let t = 0; t < maps.length; t++) for (let i = 0; i < grad.length; i++) grad[i] += g.data[t * grad.length + i]!;
      let mean = 0;
      for (const v of grad) mean += Math.abs(v);
      mean /= grad.length;
      const k = stepSize / (mean + 1e-8);
      for (let i = 0; i < grad.length; i++) x.data[i] = Math.min(1, Math.max(0, x.data[i]! + k * grad[i]!));
      options.onProgress?.(o, s + 1, value);
    }
    detail = imageBatch(1, x.c, h, w, Float32Array.from(x.data, (v, i) => v - base.data[i]!));
  }
  return { image: x, start, end, objective: objective.toString(), sizes, ms: performance.now() - t0 };
}

/** One image repeated n times as a batch (the tiles' maps then pick each one's window). */
function replicate(x: ImageBatch, n: number): ImageBatch {
  const out = imageBatch(n, x.c, x.h, x.w);
  for (let b = 0; b < n; b++) out.data.set(x.data, b * x.data.length);
  return out;
}
