/**
 * The FFT-interpolated repulsion of t-SNE (src/data/embed/tsne-fft.ts) against the exact O(n²) sums
 * computed here: Z = Σ_{i≠j} 1 / (1 + d_ij²) and F_i = Σ_j (y_i − y_j) / (1 + d_ij²)².
 *
 * Tolerances from the interpolation order: Lagrange interpolation at p = 3 nodes per interval has an
 * error of order h³ (h: the interval width) at each point; in sums over many points the leading term,
 * odd about the interval centre for symmetric nodes, partly cancels and the next order (h⁴) shows. So
 * (1) at a fixed grid, doubling the spread of the points doubles h and must multiply the error by
 * 2³ to 2⁴ (accepted with a factor 2 of slack: 4 to 32); (2) the error at h = 1,
 * FIt-SNE's coarsest default spacing, is a few percent for the forces (measured here too, ≤ 5e-2), so at
 * the default grid for points in [0, 10]² (42 intervals, h ≈ 0.24) third-order scaling predicts at most
 * 5e-2 · 0.24³ ≈ 7e-4: required ≤ 1e-3 for the forces and for Z.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FftRepulsion } from '../../src/data/embed/tsne-fft.js';
import { Random } from '../../src/util/random.js';

function exact(y: Float64Array): { f: Float64Array; z: number } {
  const n = y.length / 2;
  const f = new Float64Array(2 * n);
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const dx = y[2 * i]! - y[2 * j]!;
      const dy = y[2 * i + 1]! - y[2 * j + 1]!;
      const q = 1 / (1 + dx * dx + dy * dy);
      z += q;
      f[2 * i] = f[2 * i]! + q * q * dx;
      f[2 * i + 1] = f[2 * i + 1]! + q * q * dy;
    }
  }
  return { f, z };
}

/** Relative errors of Z and of the forces (the norm over all points) and the grid used. */
function errors(y: Float64Array, options: ConstructorParameters<typeof FftRepulsion>[1] = {}) {
  const n = y.length / 2;
  const { f, z } = exact(y);
  const interp = new FftRepulsion(n, options);
  const rep = new Float64Array(2 * n);
  // twice: the second evaluation reuses the buffers of the first
  interp.compute(y.map((v) => v * 0.5), rep);
  const zz = interp.compute(y, rep);
  let num = 0;
  let den = 0;
  for (let i = 0; i < 2 * n; i++) {
    num += (rep[i]! - f[i]!) ** 2;
    den += f[i]! ** 2;
  }
  return { z: Math.abs(zz - z) / z, f: Math.sqrt(num / den), grid: interp.grid };
}

function points(n: number, side: number, seed: number): Float64Array {
  const r = new Random(seed);
  return Float64Array.from({ length: 2 * n }, () => r.uniform(0, side));
}

test('default settings: Z and the repulsive forces of 300 random points within 1e-3 of the exact sums', () => {
  for (const seed of [1, 2, 3]) {
    const e = errors(points(300, 10, seed));
    assert.ok(e.grid.h < 0.25, `interval width ${e.grid.h}`);
    assert.ok(e.z <= 1e-3, `Z relative error ${e.z}`);
    assert.ok(e.f <= 1e-3, `force relative error ${e.f}`);
  }
  // a clustered map: two dense blobs far apart
  const r = new Random(9);
  const y = Float64Array.from({ length: 600 }, (_, i) => r.normal() * 0.7 + (i < 300 ? 0 : 8));
  const e = errors(y);
  assert.ok(e.z <= 1e-3 && e.f <= 1e-3, `clustered: Z ${e.z}, forces ${e.f}`);
});

test('the interpolation error is of third order in the interval width', () => {
  // a fixed grid (42 intervals whatever the spread): the spread sets h
  const fixed = { minIntervals: 42, intervalsPerUnit: 1e-3 };
  const y = points(400, 1, 4);
  const rows: string[] = [];
  let prev: { z: number; f: number } | undefined;
  for (const side of [10, 20, 42]) {
    const e = errors(y.map((v) => v * side), fixed);
    rows.push(`h ${e.grid.h.toFixed(3)}: Z ${e.z.toExponential(2)}, F ${e.f.toExponential(2)}`);
    if (side === 42) assert.ok(e.f <= 5e-2, `forces at h = 1: ${e.f}`);
    if (prev && side === 20) {
      const ratio = e.f / prev.f;
      assert.ok(ratio >= 4 && ratio <= 32, `doubling h multiplied the force error by ${ratio}: ${rows.join('; ')}`);
    }
    prev = e;
  }
  console.log(rows.join('\n'));
});

test('the forces of one point pair and of coincident points', () => {
  const y = new Float64Array([0, 0, 3, 4, 3, 4]);
  const { f, z } = exact(y);
  const rep = new Float64Array(6);
  const zz = new FftRepulsion(3).compute(y, rep);
  // h = 5 / 42: the same 1e-3 as above
  assert.ok(Math.abs(zz - z) / z < 1e-3, `Z ${zz} vs ${z}`);
  const norm = Math.hypot(...f);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(rep[i]! - f[i]!) < 1e-3 * norm, `component ${i}: ${rep[i]} vs ${f[i]}`);
  assert.ok(Number.isFinite(zz) && rep.every(Number.isFinite));
});
