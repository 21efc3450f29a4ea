/**
 * Radix-2 fast Fourier transforms (complex, in place, float64) and their 2-D form, used by the Fourier
 * image parametrization and by FFT-interpolated t-SNE. Forward: X[k] = sum_n x[n] e^{-2 pi i k n / N};
 * inverse: the same with +i and divided by N, so inverse(forward(x)) = x.
 */
import { fail } from '../errors.js';

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A precomputed plan for one transform length (a power of two). */
export class Fft {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;
  /** twiddles of the stage of butterfly span `size`, k < size / 2, at [size / 2 - 1 + k]: cos, sin of 2 pi k / size */
  private readonly stageCos: Float64Array;
  private readonly stageSin: Float64Array;

  constructor(readonly n: number) {
    if (!isPowerOfTwo(n)) fail('USAGE', `FFT length must be a power of two, got ${n}.`);
    this.cos = new Float64Array(n / 2);
    this.sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    this.rev = new Uint32Array(n);
    const bits = Math.log2(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    // the same values as cos[k * n / size], laid out contiguously per stage
    this.stageCos = new Float64Array(Math.max(1, n - 1));
    this.stageSin = new Float64Array(Math.max(1, n - 1));
    for (let size = 2; size <= n; size *= 2) {
      const half = size / 2, step = n / size;
      for (let k = 0; k < half; k++) {
        this.stageCos[half - 1 + k] = this.cos[k * step]!;
        this.stageSin[half - 1 + k] = this.sin[k * step]!;
      }
    }
  }

  /** Transforms re/im[offset + k * stride] for k < n in place; `inverse` does not divide by n. */
  transform(re: Float64Array, im: Float64Array, inverse: boolean, offset = 0, stride = 1): void {
    if (stride === 1) {
      this.contiguous(re, im, inverse, offset);
      return;
    }
    const n = this.n;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i]!;
      if (j > i) {
        const a = offset + i * stride, b = offset + j * stride;
        const tr = re[a]!; re[a] = re[b]!; re[b] = tr;
        const ti = im[a]!; im[a] = im[b]!; im[b] = ti;
      }
    }
    const sign = inverse ? 1 : -1;
    for (let size = 2; size <= n; size *= 2) {
      const half = size / 2;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step]!;
          const wi = sign * this.sin[k * step]!;
          const a = offset + (start + k) * stride;
          const b = a + half * stride;
          const xr = re[b]! * wr - im[b]! * wi;
          const xi = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - xr;
          im[b] = im[a]! - xi;
          re[a] = re[a]! + xr;
          im[a] = im[a]! + xi;
        }
      }
    }
  }

  /**
   * The same radix-2 butterflies with the same twiddles, in the same arithmetic, so the results are
   * identical bit for bit; two consecutive stages run together on each group of four values held in
   * locals (half the passes over memory), with per-stage twiddle tables.
   */
  private contiguous(re: Float64Array, im: Float64Array, inverse: boolean, o: number): void {
    const n = this.n;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i]!;
      if (j > i) {
        const a = o + i, b = o + j;
        const tr = re[a]!; re[a] = re[b]!; re[b] = tr;
        const ti = im[a]!; im[a] = im[b]!; im[b] = ti;
      }
    }
    const sign = inverse ? 1 : -1;
    const tc = this.stageCos, ts = this.stageSin;
    let size = 2;
    // pairs of stages: spans s (half h) and 2s
    for (; size * 2 <= n; size *= 4) {
      const h = size / 2, s = size, s2 = size * 2;
      for (let start = 0; start < n; start += s2) {
        for (let k = 0; k < h; k++) {
          const i0 = o + start + k, i1 = i0 + h, i2 = i0 + s, i3 = i2 + h;
          let r0 = re[i0]!, m0 = im[i0]!, r1 = re[i1]!, m1 = im[i1]!;
          let r2 = re[i2]!, m2 = im[i2]!, r3 = re[i3]!, m3 = im[i3]!;
          // stage s: (i0, i1) and (i2, i3), twiddle k of span s
          const wr = tc[h - 1 + k]!, wi = sign * ts[h - 1 + k]!;
          let xr = r1 * wr - m1 * wi;
          let xi = r1 * wi + m1 * wr;
          r1 = r0 - xr; m1 = m0 - xi; r0 = r0 + xr; m0 = m0 + xi;
          xr = r3 * wr - m3 * wi;
          xi = r3 * wi + m3 * wr;
          r3 = r2 - xr; m3 = m2 - xi; r2 = r2 + xr; m2 = m2 + xi;
          // stage 2s: (i0, i2) with twiddle k, (i1, i3) with twiddle k + h, of span 2s
          const ar = tc[s - 1 + k]!, ai = sign * ts[s - 1 + k]!;
          xr = r2 * ar - m2 * ai;
          xi = r2 * ai + m2 * ar;
          re[i2] = r0 - xr; im[i2] = m0 - xi; re[i0] = r0 + xr; im[i0] = m0 + xi;
          const br = tc[s - 1 + k + h]!, bi = sign * ts[s - 1 + k + h]!;
          xr = r3 * br - m3 * bi;
          xi = r3 * bi + m3 * br;
          re[i3] = r1 - xr; im[i3] = m1 - xi; re[i1] = r1 + xr; im[i1] = m1 + xi;
        }
      }
    }
    // an odd number of stages leaves the last one
    if (size <= n) {
      const half = size / 2;
      for (let k = 0; k < half; k++) {
        const wr = tc[half - 1 + k]!, wi = sign * ts[half - 1 + k]!;
        const a = o + k, b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** 2-D transforms of h x w complex arrays (row-major), h and w powers of two. */
export class Fft2 {
  private readonly rows: Fft;
  private readonly cols: Fft;
  private readonly colRe: Float64Array;
  private readonly colIm: Float64Array;

  constructor(readonly h: number, readonly w: number) {
    this.rows = new Fft(w);
    this.cols = h === w ? this.rows : new Fft(h);
    this.colRe = new Float64Array(h);
    this.colIm = new Float64Array(h);
  }

  /**
   * In place; the inverse divides by h * w. Rows first, then columns. `nonzeroRows`: the rows from
   * this one on are all zeros (their row transforms, zeros, are skipped). `neededColumns`: only the
   * columns before this one are wanted (the others are left half-transformed).
   */
  transform(re: Float64Array, im: Float64Array, inverse: boolean, options: { nonzeroRows?: number; neededColumns?: number } = {}): void {
    const { h, w } = this;
    const rows = Math.min(h, options.nonzeroRows ?? h);
    const columns = Math.min(w, options.neededColumns ?? w);
    for (let y = 0; y < rows; y++) this.rows.transform(re, im, inverse, y * w, 1);
    // columns through a contiguous buffer (strided access is slower than the copy)
    const cr = this.colRe, ci = this.colIm;
    for (let x = 0; x < columns; x++) {
      for (let y = 0; y < h; y++) { cr[y] = re[y * w + x]!; ci[y] = im[y * w + x]!; }
      this.cols.transform(cr, ci, inverse, 0, 1);
      for (let y = 0; y < h; y++) { re[y * w + x] = cr[y]!; im[y * w + x] = ci[y]!; }
    }
    if (inverse) {
      const s = 1 / (h * w);
      for (let i = 0; i < h * w; i++) { re[i] = re[i]! * s; im[i] = im[i]! * s; }
    }
  }
}
