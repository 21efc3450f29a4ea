/** Float64 oracles for method tests, written without the code under test: a direct convolution and a bilinear resize. */

/** 3x3 convolution with padding 1 and the given stride of one [cin, n, n] map: [cout, m, m] before any ReLU. */
export function conv3(x: ArrayLike<number>, cin: number, n: number, w: ArrayLike<number>, bias: ArrayLike<number>, cout: number, stride = 1): Float64Array {
  const m = Math.floor((n - 1) / stride) + 1;
  const out = new Float64Array(cout * m * m);
  for (let k = 0; k < cout; k++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        let s = bias[k]!;
        for (let c = 0; c < cin; c++) {
          for (let u = 0; u < 3; u++) {
            for (let v = 0; v < 3; v++) {
              const y = stride * i - 1 + u;
              const z = stride * j - 1 + v;
              if (y >= 0 && y < n && z >= 0 && z < n) s += w[((k * cin + c) * 3 + u) * 3 + v]! * x[(c * n + y) * n + z]!;
            }
          }
        }
        out[(k * m + i) * m + j] = s;
      }
    }
  }
  return out;
}

/** Bilinear resize of an [h, h] map to [out, out] with half-pixel centres (PyTorch align_corners=False, no antialias). */
export function resize(map: ArrayLike<number>, h: number, out: number): Float64Array {
  const tap = (i: number) => {
    const src = Math.max(0, ((i + 0.5) * h) / out - 0.5);
    const lo = Math.min(Math.floor(src), h - 1);
    return [lo, Math.min(lo + 1, h - 1), src - lo] as const;
  };
  const r = new Float64Array(out * out);
  for (let i = 0; i < out; i++) {
    const [y0, y1, fy] = tap(i);
    for (let j = 0; j < out; j++) {
      const [x0, x1, fx] = tap(j);
      const top = map[y0 * h + x0]! * (1 - fx) + map[y0 * h + x1]! * fx;
      const bottom = map[y1 * h + x0]! * (1 - fx) + map[y1 * h + x1]! * fx;
      r[i * out + j] = top * (1 - fy) + bottom * fy;
    }
  }
  return r;
}
