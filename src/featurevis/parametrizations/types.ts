import type { ImageBatch } from '../image-batch.js';

/** A spatial parametrization: parameters to unbounded image planes [n, c, h, w], and its adjoint. */
export interface SpatialParam {
  /** what the optimizer updates in place */
  readonly params: Float32Array;
  /** the planes the current parameters give */
  forward(): ImageBatch;
  /** d(loss)/d(params) for a d(loss)/d(planes); the array may be reused by the next call */
  backward(g: ImageBatch): Float32Array;
}
