/**
 * Quadrature rules on [0, 1] for the path integral of Integrated Gradients (Sundararajan et al. 2017,
 * Eq. 3 is the Riemann sum; the other rules follow Captum's `approximation_methods`):
 * - riemann-left:      alpha_k = k/n,         w_k = 1/n            (k = 0..n-1; exact for constants)
 * - riemann-right:     alpha_k = (k+1)/n,     w_k = 1/n            (exact for constants)
 * - riemann-middle:    alpha_k = (k+1/2)/n,   w_k = 1/n            (exact to degree 1)
 * - riemann-trapezoid: alpha_k = k/(n-1),     w_k = 1/(n-1), halved at both ends (n >= 2; degree 1)
 * - gauss-legendre:    the n roots of the Legendre polynomial P_n mapped from [-1, 1] to [0, 1], with
 *                      their weights halved (exact to degree 2n - 1)
 * Nodes are returned in increasing order.
 */
import { fail } from '../errors.js';

export const IG_RULES = ['riemann-left', 'riemann-right', 'riemann-middle', 'riemann-trapezoid', 'gauss-legendre'] as const;
export type IgRule = (typeof IG_RULES)[number];

export interface Quadrature {
  readonly alphas: Float64Array;
  readonly weights: Float64Array;
}

/** The polynomial degree up to which `rule` with n nodes integrates exactly. */
export function exactDegree(rule: IgRule, n: number): number {
  switch (rule) {
    case 'riemann-left':
    case 'riemann-right':
      return 0;
    case 'riemann-middle':
    case 'riemann-trapezoid':
      return 1;
    case 'gauss-legendre':
      return 2 * n - 1;
  }
}

export function quadrature(rule: IgRule, n: number): Quadrature {
  if (!Number.isInteger(n) || n < 1) fail('USAGE', `--ig-steps must be a positive integer, got ${n}.`);
  const alphas = new Float64Array(n);
  const weights = new Float64Array(n);
  switch (rule) {
    case 'riemann-left':
    case 'riemann-right':
    case 'riemann-middle': {
      const shift = rule === 'riemann-left' ? 0 : rule === 'riemann-right' ? 1 : 0.5;
      for (let k = 0; k < n; k++) {
        alphas[k] = (k + shift) / n;
        weights[k] = 1 / n;
      }
      return { alphas, weights };
    }
    case 'riemann-trapezoid': {
      if (n < 2) fail('USAGE', `--ig-rule riemann-trapezoid needs --ig-steps of at least 2 (it evaluates both ends of the path), got ${n}.`);
      for (let k = 0; k < n; k++) {
        alphas[k] = k / (n - 1);
        weights[k] = (k === 0 || k === n - 1 ? 0.5 : 1) / (n - 1);
      }
      return { alphas, weights };
    }
    case 'gauss-legendre': {
      const { nodes, weights: w } = gaussLegendre(n);
      for (let k = 0; k < n; k++) {
        alphas[k] = (nodes[k]! + 1) / 2;
        weights[k] = w[k]! / 2;
      }
      return { alphas, weights };
    }
  }
}

/**
 * Gauss-Legendre nodes (increasing) and weights on [-1, 1]: Newton's method on P_n from the
 * asymptotic guess cos(pi (i + 3/4) / (n + 1/2)), with P_n and P_n' from the three-term recurrence
 * (j P_j = (2j-1) z P_{j-1} - (j-1) P_{j-2}); w_i = 2 / ((1 - z_i^2) P_n'(z_i)^2).
 */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const half = Math.ceil(n / 2);
  for (let i = 0; i < half; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = z;
      for (let j = 2; j <= n; j++) {
        const p2 = ((2 * j - 1) * z * p1 - (j - 1) * p0) / j;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? z : p1;
      const pm = n === 1 ? 1 : p0;
      dp = (n * (z * pn - pm)) / (z * z - 1);
      const dz = pn / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    // recompute the derivative at the converged node for the weight
    let p0 = 1;
    let p1 = z;
    for (let j = 2; j <= n; j++) {
      const p2 = ((2 * j - 1) * z * p1 - (j - 1) * p0) / j;
      p0 = p1;
      p1 = p2;
    }
    dp = n === 1 ? 1 : (n * (z * p1 - p0)) / (z * z - 1);
    const w = 2 / ((1 - z * z) * dp * dp);
    // z is the i-th largest root; place it and its mirror image
    nodes[n - 1 - i] = z;
    nodes[i] = -z;
    weights[n - 1 - i] = w;
    weights[i] = w;
  }
  if (n % 2 === 1) nodes[half - 1] = 0;
  return { nodes, weights };
}
