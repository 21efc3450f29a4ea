/**
 * Feature inversion (Mahendran & Vedaldi 2015, "Understanding Deep Image Representations by Inverting
 * Them", Eq. 1-5): find an image whose representation at a layer matches the given image's,
 *
 *     x* = argmin_x ||phi(x) - phi(x0)||^2 / ||phi(x0)||^2 + lambda_TV R_TV(x),   x in [0, 1]
 *
 * starting from grey noise, in the pixel parametrization with a box constraint (the image is
 * projected back into the valid range after each step). Early layers keep nearly everything; deep
 * layers keep what the classifier needs, and the rest is filled in by the prior.
 */
import { fail } from '../errors.js';
import type { ImageModel } from '../model/image-model.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { Random } from '../util/random.js';
import { activations } from './activations.js';
import { imageBatch, type ImageBatch } from './image-batch.js';
import { match } from './objectives.js';
import { layerTensor } from './plan.js';
import { tv } from './regularizers.js';
import { jitter } from './transforms.js';
import { visualize, type VisualizeResult } from './visualize.js';

export interface InversionOptions {
  readonly backend: RuntimeBackend;
  readonly threads?: number;
  /** the layer whose representation is matched */
  readonly layer: string;
  /** default 300 */
  readonly steps?: number;
  /** Adam's learning rate, in [0, 1] pixel units; default 0.03 */
  readonly lr?: number;
  /** weight of the total-variation prior (beta = 2); default 0.05 */
  readonly tv?: number;
  /** jitter by up to this many pixels each step (a robustness prior); default 0 */
  readonly jitter?: number;
  readonly seed?: number;
  readonly snapshots?: readonly number[];
  readonly onProgress?: (step: number, steps: number, value: number) => void;
}

export interface InversionResult extends VisualizeResult {
  /** PSNR in dB of each reconstruction against its original (peak 1) */
  readonly psnr: readonly number[];
}

/** Peak signal-to-noise ratio of `a` against `b` (values in [0, 1]): 10 log10(1 / MSE). */
export function psnr(a: ImageBatch, b: ImageBatch, example: number): number {
  const per = a.c * a.h * a.w;
  let se = 0;
  for (let i = example * per; i < (example + 1) * per; i++) se += (a.data[i]! - b.data[i]!) ** 2;
  return 10 * Math.log10(1 / Math.max(se / per, 1e-20));
}

export async function invert(model: ImageModel, images: ImageBatch, options: InversionOptions): Promise<InversionResult> {
  const spec = model.input;
  if (images.c !== spec.channels || images.h !== spec.height || images.w !== spec.width) fail('INPUT_SHAPE', `images of ${images.c}x${images.h}x${images.w} do not fit ${model.name}'s input ${spec.channels}x${spec.height}x${spec.width}.`);
  const tensor = layerTensor(model, options.layer);
  const run = { backend: options.backend, ...(options.threads ? { threads: options.threads } : {}) };
  const target = (await activations(model, [tensor], images, run))[tensor]!;
  const rng = new Random((options.seed ?? 0) ^ 0x5eed);
  const init = imageBatch(images.n, images.c, images.h, images.w, Float32Array.from(rng.normals(images.data.length, 0.05), (v) => 0.5 + v));
  const result = await visualize(model, {
    ...run,
    objective: match(options.layer),
    targets: { [tensor]: target },
    batch: images.n,
    steps: options.steps ?? 300,
    lr: options.lr ?? 0.03,
    param: 'pixel',
    decorrelate: false,
    squash: 'clamp',
    transforms: options.jitter ? [jitter(options.jitter)] : 'none',
    regularizers: [tv(options.tv ?? 0.05)],
    init,
    seed: options.seed ?? 0,
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { ...result, psnr: Array.from({ length: images.n }, (_, b) => psnr(result.images, images, b)) };
}
