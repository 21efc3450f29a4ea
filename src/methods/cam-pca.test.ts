/**
 * The Jacobi eigen-solver and the first-component projection behind Eigen-CAM: eigenpairs checked by
 * their defining equations (A v = lambda v, V orthonormal, trace kept), a 2x2 case with known
 * eigenvalues, and rank-one activations whose projection is known in closed form on both of the
 * solver's paths (fewer positions than channels, and more).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../util/random.js';
import { firstComponentProjection, symmetricEigen } from './cam-pca.js';

test('symmetricEigen: [[2, 1], [1, 2]] has eigenvalues 1 and 3', () => {
  const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  assert.deepEqual([...values].map((v) => Math.round(v * 1e12) / 1e12).sort(), [1, 3]);
  const i3 = values[0]! > values[1]! ? 0 : 1;
  assert.ok(Math.abs(Math.abs(vectors[i3]!) - Math.SQRT1_2) < 1e-12 && Math.abs(vectors[i3]! - vectors[2 + i3]!) < 1e-12);
});

test('symmetricEigen: A v = lambda v and orthonormal V for random symmetric matrices', () => {
  const r = new Random(5);
  for (const n of [1, 3, 8, 40]) {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = r.normal();
    const copy = a.slice();
    const { values, vectors } = symmetricEigen(a, n);
    let worst = 0;
    for (let e = 0; e < n; e++) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += copy[i * n + j]! * vectors[j * n + e]!;
        worst = Math.max(worst, Math.abs(s - values[e]! * vectors[i * n + e]!));
      }
      for (let f = 0; f < n; f++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i * n + e]! * vectors[i * n + f]!;
        worst = Math.max(worst, Math.abs(dot - (e === f ? 1 : 0)));
      }
    }
    let trace = 0;
    for (let i = 0; i < n; i++) trace += copy[i * n + i]!;
    assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) - trace) < 1e-10 * n);
    assert.ok(worst < 1e-10, `n = ${n}: ${worst}`);
  }
});

test('firstComponentProjection: rank-one activations u_k f(p) + c_k project to +-|u| (f - mean f)', () => {
  const r = new Random(9);
  for (const [channels, positions] of [[10, 4], [3, 25]] as const) {
    const u = r.normals(channels);
    const c = r.normals(channels);
    const f = r.normals(positions);
    const act = new Float64Array(channels * positions);
    for (let k = 0; k < channels; k++) for (let p = 0; p < positions; p++) act[k * positions + p] = u[k]! * f[p]! + c[k]!;
    const proj = firstComponentProjection(act, channels, positions);
    const norm = Math.hypot(...u);
    const mean = f.reduce((s, v) => s + v, 0) / positions;
    const sign = Math.sign(proj[0]!) * Math.sign(f[0]! - mean);
    for (let p = 0; p < positions; p++) assert.ok(Math.abs(proj[p]! - sign * norm * (f[p]! - mean)) < 1e-10 * norm, `${channels}x${positions} position ${p}`);
  }
  // constant activations have no principal component: zeros
  assert.deepEqual([...firstComponentProjection(new Float64Array(12).fill(2), 3, 4)], [0, 0, 0, 0]);
});
