/**
 * Radix-2 fast Fourier transforms (complex, in place, float64) and their 2-D form, for the Fourier
 * image parametrization. Forward: X[k] = sum_n x[n] e^{-2 pi i k n / N}; inverse: the same with +i and
 * divided by N, so inverse(forward(x)) = x.
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
  }

  /** Transforms re/im[offset + k * stride] for k < n in place; `inverse` does not divide by n. */
  transform(re: Float64Array, im: Float64Array, inverse: boolean, offset = 0, stride = 1): void {
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

  /** In place; the inverse divides by h * w. */
  transform(re: Float64Array, im: Float64Array, inverse: boolean): void {
    const { h, w } = this;
    for (let y = 0; y < h; y++) this.rows.transform(re, im, inverse, y * w, 1);
    // columns through a contiguous buffer (strided access is slower than the copy)
    const cr = this.colRe, ci = this.colIm;
    for (let x = 0; x < w; x++) {
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
