/**
 * Decorrelated colour space (Lucid's `param.color`): the optimizer works in a space whose axes are
 * the principal components of ImageNet's pixel colours, rgb = M t with M the square root of the colour
 * covariance (its SVD), scaled so its largest column has norm 1. Steps then change brightness and
 * colour as fast as each other instead of mostly brightness.
 */
import type { ImageBatch } from '../image-batch.js';

const SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];
const MAX_NORM = Math.max(...[0, 1, 2].map((j) => Math.hypot(SVD_SQRT[0]![j]!, SVD_SQRT[1]![j]!, SVD_SQRT[2]![j]!)));

/** M, row-major: rgb_i = sum_j M[i][j] t_j. */
export const COLOR_MATRIX: readonly (readonly number[])[] = SVD_SQRT.map((r) => r.map((v) => v / MAX_NORM));

/** rgb = M t per pixel (in place into `out`; channel count 3). */
export function decorrelate(t: ImageBatch, out: ImageBatch, transpose = false): void {
  const plane = t.h * t.w;
  const M = COLOR_MATRIX;
  for (let b = 0; b < t.n; b++) {
    const base = b * 3 * plane;
    for (let p = 0; p < plane; p++) {
      const t0 = t.data[base + p]!, t1 = t.data[base + plane + p]!, t2 = t.data[base + 2 * plane + p]!;
      for (let i = 0; i < 3; i++) {
        out.data[base + i * plane + p] = transpose
          ? M[0]![i]! * t0 + M[1]![i]! * t1 + M[2]![i]! * t2
          : M[i]![0]! * t0 + M[i]![1]! * t1 + M[i]![2]! * t2;
      }
    }
  }
}

/** M^-1, for starting from a given image. */
export function colorInverse(): number[][] {
  const m = COLOR_MATRIX;
  const [a, b, c] = m[0]!, [d, e, f] = m[1]!, [g, h, i] = m[2]!;
  const det = a! * (e! * i! - f! * h!) - b! * (d! * i! - f! * g!) + c! * (d! * h! - e! * g!);
  return [
    [(e! * i! - f! * h!) / det, (c! * h! - b! * i!) / det, (b! * f! - c! * e!) / det],
    [(f! * g! - d! * i!) / det, (a! * i! - c! * g!) / det, (c! * d! - a! * f!) / det],
    [(d! * h! - e! * g!) / det, (b! * g! - a! * h!) / det, (a! * e! - b! * d!) / det],
  ];
}
