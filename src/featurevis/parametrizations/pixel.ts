/** Pixel parametrization: the parameters are the image planes themselves. */
import { imageBatch, type ImageBatch } from '../image-batch.js';
import type { Random } from '../../util/random.js';
import type { SpatialParam } from './types.js';

export class PixelParam implements SpatialParam {
  readonly params: Float32Array;
  private readonly view: ImageBatch;

  /** Starts from `init` when given, else from normal noise of standard deviation `sd`. */
  constructor(n: number, c: number, h: number, w: number, options: { sd: number; rng: Random; init?: Float32Array }) {
    this.params = options.init ? Float32Array.from(options.init) : Float32Array.from(options.rng.normals(n * c * h * w, options.sd));
    this.view = imageBatch(n, c, h, w, this.params);
  }

  forward(): ImageBatch {
    return this.view;
  }

  backward(g: ImageBatch): Float32Array {
    return Float32Array.from(g.data);
  }
}
