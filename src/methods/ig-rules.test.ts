/**
 * Quadrature rules of Integrated Gradients against closed forms: int_0^1 a^d da = 1/(d + 1). Each rule
 * must integrate every monomial up to its degree exactly (to float64 rounding, 1e-12 relative) and
 * miss the next one (Gauss-Legendre: for n <= 5, where the miss is above rounding); Gauss-Legendre nodes and weights for n = 2, 3 are the textbook values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CnnlensError } from '../errors.js';
import { IG_RULES, exactDegree, gaussLegendre, quadrature } from './ig-rules.js';

const integral = (q: { alphas: Float64Array; weights: Float64Array }, d: number) => q.alphas.reduce((s, a, k) => s + q.weights[k]! * a ** d, 0);

test('each rule integrates monomials exactly up to its degree, and not beyond', () => {
  for (const rule of IG_RULES) {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 16, 32, 50, 64, 128, 1024]) {
      if (rule === 'riemann-trapezoid' && n < 2) continue;
      const q = quadrature(rule, n);
      assert.equal(q.alphas.length, n);
      for (let k = 1; k < n; k++) assert.ok(q.alphas[k]! > q.alphas[k - 1]!, `${rule} ${n}: nodes increase`);
      assert.ok(q.alphas[0]! >= 0 && q.alphas[n - 1]! <= 1, `${rule} ${n}: nodes in [0, 1]`);
      const deg = exactDegree(rule, n);
      const top = Math.min(deg, 200);
      for (let d = 0; d <= top; d++) {
        const err = Math.abs(integral(q, d) - 1 / (d + 1)) * (d + 1);
        assert.ok(err < 1e-12, `${rule} n=${n}: degree ${d} error ${err}`);
      }
      if (deg === 2 * n - 1 && deg > 200) {
        const err = Math.abs(integral(q, deg) - 1 / (deg + 1)) * (deg + 1);
        assert.ok(err < 1e-9, `${rule} n=${n}: degree ${deg} error ${err}`);
      }
      // Gauss-Legendre's error on a^(2n) shrinks like 4^-2n: checked for small n only
      if (deg + 1 <= 200 && (rule !== 'gauss-legendre' || n <= 5)) {
        const err = Math.abs(integral(q, deg + 1) - 1 / (deg + 2)) * (deg + 2);
        assert.ok(err > 1e-9, `${rule} n=${n}: degree ${deg + 1} should not be exact (error ${err})`);
      }
    }
  }
});

test('Gauss-Legendre: textbook nodes and weights; Captum conventions of the Riemann rules', () => {
  const g2 = gaussLegendre(2);
  assert.ok(Math.abs(g2.nodes[1]! - 1 / Math.sqrt(3)) < 1e-15 && Math.abs(g2.nodes[0]! + 1 / Math.sqrt(3)) < 1e-15);
  assert.ok(Math.abs(g2.weights[0]! - 1) < 1e-15 && Math.abs(g2.weights[1]! - 1) < 1e-15);
  const g3 = gaussLegendre(3);
  assert.deepEqual([g3.nodes[1]], [0]);
  assert.ok(Math.abs(g3.nodes[2]! - Math.sqrt(3 / 5)) < 1e-15);
  assert.ok(Math.abs(g3.weights[1]! - 8 / 9) < 1e-15 && Math.abs(g3.weights[0]! - 5 / 9) < 1e-15);
  const t = quadrature('riemann-trapezoid', 5);
  assert.deepEqual([...t.alphas], [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual([...t.weights], [0.125, 0.25, 0.25, 0.25, 0.125]);
  assert.deepEqual([...quadrature('riemann-left', 4).alphas], [0, 0.25, 0.5, 0.75]);
  assert.deepEqual([...quadrature('riemann-right', 4).alphas], [0.25, 0.5, 0.75, 1]);
  assert.deepEqual([...quadrature('riemann-middle', 4).alphas], [0.125, 0.375, 0.625, 0.875]);
});

test('bad step counts are usage errors', () => {
  for (const [rule, n] of [['riemann-trapezoid', 1], ['gauss-legendre', 0], ['riemann-left', 2.5]] as const) {
    assert.throws(() => quadrature(rule, n), (e: unknown) => e instanceof CnnlensError && e.code === 'USAGE');
  }
});
