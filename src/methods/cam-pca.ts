/**
 * The first principal component of a layer's activations at one example, for EigenCAM: the rows of
 * X [positions, channels] are the activation vectors at each position, centred by the per-channel mean
 * over positions; the result is the projection X v_1 on the first right singular vector v_1 of X.
 * It is computed from the smaller of the two Gram matrices (X X^T when positions <= channels, where
 * X v_1 = sigma_1 u_1 = sqrt(lambda_1) u_1; else X^T X, whose top eigenvector is v_1), whose
 * eigenvectors come from the cyclic Jacobi method (accurate to rounding; O(n^3) per sweep for
 * n = min(positions, channels), a few milliseconds at n = 49 and about a second at n = 512).
 */

/**
 * Eigen-decomposition of the symmetric n x n matrix `a` (row-major; overwritten) by cyclic Jacobi
 * rotations: the eigenvalues, and the eigenvectors as the columns of `vectors` (row-major n x n).
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i]! * a[i]!;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = theta === 0 ? 1 : Math.sign(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // a <- J^T a J with J the rotation in the (p, q) plane; v <- v J
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}

/**
 * The projection of one example's activations (`channels` maps of `positions` values each, channel-major
 * as in NCHW) on their first principal component: [positions], with an arbitrary sign.
 */
export function firstComponentProjection(act: ArrayLike<number>, channels: number, positions: number): Float64Array {
  // X[p, k] centred over positions
  const x = new Float64Array(positions * channels);
  for (let k = 0; k < channels; k++) {
    let mean = 0;
    for (let p = 0; p < positions; p++) mean += act[k * positions + p]!;
    mean /= positions;
    for (let p = 0; p < positions; p++) x[p * channels + k] = act[k * positions + p]! - mean;
  }
  const out = new Float64Array(positions);
  const byPositions = positions <= channels;
  const n = byPositions ? positions : channels;
  const gram = new Float64Array(n * n);
  if (byPositions) {
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let k = 0; k < channels; k++) s += x[i * channels + k]! * x[j * channels + k]!;
        gram[i * n + j] = gram[j * n + i] = s;
      }
    }
  } else {
    for (let p = 0; p < positions; p++) {
      const row = p * channels;
      for (let i = 0; i < n; i++) {
        const xi = x[row + i]!;
        if (xi === 0) continue;
        for (let j = i; j < n; j++) gram[i * n + j] = gram[i * n + j]! + xi * x[row + j]!;
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) gram[i * n + j] = gram[j * n + i]!;
  }
  const { values, vectors } = symmetricEigen(gram, n);
  let top = 0;
  for (let i = 1; i < n; i++) if (values[i]! > values[top]!) top = i;
  if (!(values[top]! > 0)) return out; // constant activations: no variance to project on
  if (byPositions) {
    const sigma = Math.sqrt(values[top]!);
    for (let p = 0; p < positions; p++) out[p] = sigma * vectors[p * n + top]!;
  } else {
    for (let p = 0; p < positions; p++) {
      let s = 0;
      for (let k = 0; k < channels; k++) s += x[p * channels + k]! * vectors[k * n + top]!;
      out[p] = s;
    }
  }
  return out;
}
