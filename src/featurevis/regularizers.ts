/**
 * Penalties on the image (values in [0, 1], before the transforms), subtracted from the objective with
 * their weights, and gradient normalization. Every penalty is a mean over the example's pixels, so a
 * weight means the same at any image size.
 *
 * - tv(beta): total variation, mean of ((x[y,x+1] - x[y,x])^2 + (x[y+1,x] - x[y,x])^2)^(beta/2)
 *   (Mahendran & Vedaldi 2015, Eq. 5; beta = 2 is smooth, beta = 1 keeps edges)
 * - l1 / l2: mean |x - 0.5| and mean (x - 0.5)^2 (distance from grey)
 * - blur: mean 0.5 (x - blur(x))^2 with the 3x3 box blur held constant (Lucid's blur_input_each_step:
 *   its gradient, x - blur(x), pulls every pixel towards its neighbourhood)
 */
import { fail } from '../errors.js';
import type { ImageBatch } from './image-batch.js';

export interface Regularizer {
  readonly name: string;
  readonly weight: number;
  /** adds weight * dR/dx into `grad` (the caller subtracts it) and returns R per example */
  accumulate(x: ImageBatch, grad: Float32Array): number[];
}

function checkWeight(name: string, w: number): void {
  if (!Number.isFinite(w) || w < 0) fail('USAGE', `${name}: the weight must be a non-negative number, got ${w}.`);
}

export function tv(weight: number, beta = 2): Regularizer {
  checkWeight('tv', weight);
  if (!(beta >= 1)) fail('USAGE', `tv: beta must be at least 1, got ${beta}.`);
  const eps = 1e-8;
  return {
    name: `tv(beta=${beta})`,
    weight,
    accumulate(x, grad) {
      const { n, c, h, w } = x;
      const count = c * h * w;
      const values: number[] = [];
      for (let b = 0; b < n; b++) {
        let sum = 0;
        for (let k = 0; k < c; k++) {
          const q = (b * c + k) * h * w;
          for (let y = 0; y < h; y++) {
            for (let xx = 0; xx < w; xx++) {
              const i = q + y * w + xx;
              const dx = xx + 1 < w ? x.data[i + 1]! - x.data[i]! : 0;
              const dy = y + 1 < h ? x.data[i + w]! - x.data[i]! : 0;
              const s = dx * dx + dy * dy;
              if (s === 0 && beta < 2) continue;
              const r = beta === 2 ? s : (s + eps) ** (beta / 2);
              sum += r;
              // d r / d s = beta/2 s^(beta/2 - 1); d s / d(dx) = 2 dx
              const ds = beta === 2 ? 1 : (beta / 2) * (s + eps) ** (beta / 2 - 1);
              const f = (weight / count) * ds * 2;
              if (xx + 1 < w) { grad[i + 1] += f * dx; grad[i] -= f * dx; }
              if (y + 1 < h) { grad[i + w] += f * dy; grad[i] -= f * dy; }
            }
          }
        }
        values.push(sum / count);
      }
      return values;
    },
  };
}

function pointwise(name: string, weight: number, r: (d: number) => number, dr: (d: number) => number): Regularizer {
  checkWeight(name, weight);
  return {
    name,
    weight,
    accumulate(x, grad) {
      const per = x.c * x.h * x.w;
      const values: number[] = [];
      for (let b = 0; b < x.n; b++) {
        let sum = 0;
        for (let i = b * per; i < (b + 1) * per; i++) {
          const d = x.data[i]! - 0.5;
          sum += r(d);
          grad[i] += (weight / per) * dr(d);
        }
        values.push(sum / per);
      }
      return values;
    },
  };
}

export const l1 = (weight: number): Regularizer => pointwise('l1', weight, Math.abs, Math.sign);
export const l2 = (weight: number): Regularizer => pointwise('l2', weight, (d) => d * d, (d) => 2 * d);

export function blur(weight: number): Regularizer {
  checkWeight('blur', weight);
  return {
    name: 'blur',
    weight,
    accumulate(x, grad) {
      const { n, c, h, w } = x;
      const per = c * h * w;
      const values: number[] = [];
      for (let b = 0; b < n; b++) {
        let sum = 0;
        for (let k = 0; k < c; k++) {
          const q = (b * c + k) * h * w;
          for (let y = 0; y < h; y++) {
            for (let xx = 0; xx < w; xx++) {
              let s = 0, m = 0;
              for (let dy = -1; dy <= 1; dy++) {
                const yy = y + dy;
                if (yy < 0 || yy >= h) continue;
                for (let dx = -1; dx <= 1; dx++) {
                  const xs = xx + dx;
                  if (xs < 0 || xs >= w) continue;
                  s += x.data[q + yy * w + xs]!;
                  m++;
                }
              }
              const i = q + y * w + xx;
              const d = x.data[i]! - s / m;
              sum += 0.5 * d * d;
              grad[i] += (weight / per) * d;
            }
          }
        }
        values.push(sum / per);
      }
      return values;
    },
  };
}

/** Scales each example's slice of `g` (length n * per) to unit root-mean-square (in place). */
export function normalizeGradient(g: Float32Array, n: number, eps = 1e-8): void {
  const per = g.length / n;
  for (let b = 0; b < n; b++) {
    let ss = 0;
    for (let i = b * per; i < (b + 1) * per; i++) ss += g[i]! * g[i]!;
    const s = 1 / (Math.sqrt(ss / per) + eps);
    for (let i = b * per; i < (b + 1) * per; i++) g[i] = g[i]! * s;
  }
}
