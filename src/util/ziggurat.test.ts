/**
 * The ziggurat deviates against the normal distribution's closed forms: moments, the
 * Kolmogorov-Smirnov distance to Phi (computed from erfc's continued fraction, independent of the
 * generator's tables), the mass beyond the base strip's edge (the tail branch), and reproducibility.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from './random.js';

/** Phi(x) via erfc: Lentz's continued fraction for |x| > 2, the Taylor series of erf below (both to ~1e-14). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  let erfc: number;
  if (z < 2) {
    let sum = 0;
    let term = z;
    for (let n = 0; n < 100; n++) {
      sum += term / (2 * n + 1);
      term *= (-z * z) / (n + 1);
    }
    erfc = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) = exp(-z^2)/sqrt(pi) * 1/(z + 1/2/(z + 1/(z + 3/2/(z + ...))))
    let f = 0;
    for (let k = 60; k >= 1; k--) f = k / 2 / (z + f);
    erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
  }
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

const N = 1_000_000;

test('ziggurat deviates: mean 0, variance 1, kurtosis 3, KS distance to Phi, tail mass', () => {
  const z = new Float64Array(N);
  new Random(42).fillNormals(z);
  let m1 = 0, m2 = 0, m4 = 0;
  for (const v of z) { m1 += v; m2 += v * v; m4 += v ** 4; }
  m1 /= N; m2 /= N; m4 /= N;
  // standard errors of the sample moments of N(0, 1): 1/sqrt(N), sqrt(2/N), sqrt(96/N)
  assert.ok(Math.abs(m1) < 5 / Math.sqrt(N), `mean ${m1}`);
  assert.ok(Math.abs(m2 - 1) < 5 * Math.sqrt(2 / N), `variance ${m2}`);
  assert.ok(Math.abs(m4 - 3) < 5 * Math.sqrt(96 / N), `fourth moment ${m4}`);
  const sorted = Float64Array.from(z).sort();
  let d = 0;
  for (let i = 0; i < N; i++) {
    const p = normalCdf(sorted[i]!);
    d = Math.max(d, Math.abs(p - i / N), Math.abs(p - (i + 1) / N));
  }
  // KS critical value at alpha = 0.001: 1.95 / sqrt(N)
  assert.ok(d < 1.95 / Math.sqrt(N), `KS distance ${d}`);
  // beyond the base strip (|z| > 3.4426): the tail branch
  const r = 3.442619855899;
  const expected = 2 * (1 - normalCdf(r)) * N;
  const got = z.reduce((c, v) => c + (Math.abs(v) > r ? 1 : 0), 0);
  assert.ok(Math.abs(got - expected) < 5 * Math.sqrt(expected), `tail count ${got} vs ${expected.toFixed(0)}`);
  // and far out, |z| > 5 (2 * (1 - Phi(5)) = 5.7e-7 per draw)
  assert.ok(z.every((v) => Number.isFinite(v) && Math.abs(v) < 7));
});

test('ziggurat deviates: a seed reproduces them; mean and sd apply; per-element means', () => {
  const a = new Float32Array(1000);
  const b = new Float32Array(1000);
  new Random(7).fillNormals(a, 2, 5);
  new Random(7).fillNormals(b, 2, 5);
  assert.deepEqual(a, b);
  const c = new Float32Array(1000);
  new Random(7).fillNormals(c, 2, Array.from({ length: 1000 }, () => 5));
  assert.deepEqual(a, c);
  const unit = new Float64Array(1000);
  new Random(7).fillNormals(unit);
  for (let i = 0; i < 1000; i++) assert.equal(a[i], Math.fround(5 + 2 * unit[i]!));
});
