/**
 * Optimizers for gradient ascent on parameters (maximizing): Adam (Kingma & Ba 2015, Algorithm 1) and
 * plain ascent x += lr g. Arithmetic is in float64 per element, in a fixed order, so a run is
 * reproducible bit for bit.
 */
import { fail } from '../errors.js';

export type OptimizerName = 'adam' | 'ascent';

export interface Optimizer {
  readonly name: OptimizerName;
  /** one ascent step on `params` (in place) along `grad` */
  step(params: Float32Array, grad: Float32Array): void;
}

export interface AdamOptions {
  readonly lr: number;
  /** default 0.9 */
  readonly beta1?: number;
  /** default 0.999 */
  readonly beta2?: number;
  /** default 1e-8 */
  readonly eps?: number;
}

export function adam(options: AdamOptions): Optimizer {
  const { lr } = options;
  const b1 = options.beta1 ?? 0.9, b2 = options.beta2 ?? 0.999, eps = options.eps ?? 1e-8;
  if (!(lr > 0)) fail('USAGE', `adam: the learning rate must be positive, got ${lr}.`);
  let m: Float64Array | undefined;
  let v: Float64Array | undefined;
  let t = 0;
  return {
    name: 'adam',
    step(params, grad) {
      if (!m || m.length !== params.length) { m = new Float64Array(params.length); v = new Float64Array(params.length); t = 0; }
      t++;
      const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
      const mm = m, vv = v!;
      for (let i = 0; i < params.length; i++) {
        const g = grad[i]!;
        mm[i] = b1 * mm[i]! + (1 - b1) * g;
        vv[i] = b2 * vv[i]! + (1 - b2) * g * g;
        params[i] = params[i]! + (lr * (mm[i]! / c1)) / (Math.sqrt(vv[i]! / c2) + eps);
      }
    },
  };
}

export function ascent(options: { lr: number }): Optimizer {
  if (!(options.lr > 0)) fail('USAGE', `ascent: the learning rate must be positive, got ${options.lr}.`);
  return {
    name: 'ascent',
    step(params, grad) {
      for (let i = 0; i < params.length; i++) params[i] = params[i]! + options.lr * grad[i]!;
    },
  };
}

export function optimizer(name: OptimizerName, lr: number): Optimizer {
  if (name === 'adam') return adam({ lr });
  if (name === 'ascent') return ascent({ lr });
  return fail('USAGE', `unknown optimizer '${String(name)}'; use adam or ascent.`);
}
