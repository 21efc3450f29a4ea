/**
 * The repulsive forces of t-SNE by FFT-accelerated interpolation (FIt-SNE: Linderman, Rachh, Hoskins,
 * Steinerberger & Kluger 2019, "Fast interpolation-based t-SNE for improved visualization of single-cell
 * RNA-seq data", Nature Methods 16). The square box holding the points is cut into nb × nb intervals of
 * width h; each interval carries p × p equispaced nodes (at (k + 1/2) h / p), so all nodes form one
 * uniform grid of spacing h / p. A kernel sum over the points is replaced by three steps:
 *
 *  1. each point spreads its charges onto the p × p nodes of its interval with the Lagrange weights of
 *     its position (the kernel's dependence on the source is interpolated);
 *  2. the node-to-node sums, a discrete convolution with the kernel sampled on the grid, are computed
 *     with FFTs of a zero-padded circulant embedding (size >= 2 · nodes - 1 per side);
 *  3. the node potentials are interpolated back to the points with the same weights.
 *
 * With q(d) = 1 / (1 + d²): Z = Σ_{i≠j} q(y_i - y_j) from the kernel q with charge 1, and the
 * unnormalized repulsion Σ_j q² (y_i - y_j) = y_i Σ_j q² − Σ_j q² y_j from the kernel q² with charges 1,
 * y₁ and y₂ (coordinates taken from the box centre to keep the difference well conditioned). The three
 * charges and four potentials fit in two complex transforms each way (real inputs packed as re + i·im;
 * both kernels are real and even, so their transforms are real and share one complex FFT).
 *
 * The interpolation error of p nodes per interval is O(h^p); the default (p = 3, at least one interval
 * per unit of distance, at least 40 intervals) keeps the relative error of the forces near 1e-3 or below.
 * Cost per evaluation: O(n p²) for spreading and gathering plus the FFTs of the grid, independent of n.
 */
import { Fft2, nextPowerOfTwo } from '../../util/fft.js';

export interface FftRepulsionOptions {
  /** Lagrange nodes per interval and dimension (p); default 3 */
  readonly nodesPerInterval?: number;
  /** intervals per unit of distance in the map, at least; default 1 */
  readonly intervalsPerUnit?: number;
  /** intervals per side, at least; default 40 */
  readonly minIntervals?: number;
}

/** Lagrange weights of p equispaced nodes at (k + 1/2) / p in [0, 1], evaluated at u, into w[0..p). */
function lagrange(p: number, u: number, w: Float64Array, denom: Float64Array): void {
  for (let k = 0; k < p; k++) {
    let v = 1;
    for (let l = 0; l < p; l++) if (l !== k) v *= u - (l + 0.5) / p;
    w[k] = v / denom[k]!;
  }
}

/** The grid of one evaluation: box, interval width and the transform size. */
export interface FftGrid {
  /** intervals per side */
  readonly intervals: number;
  /** interval width */
  readonly h: number;
  /** transform size per side (a power of two) */
  readonly size: number;
}

export class FftRepulsion {
  private readonly p: number;
  private readonly perUnit: number;
  private readonly minIntervals: number;
  private readonly denom: Float64Array;
  /** per point: first node column and row, then p x-weights and p y-weights */
  private readonly cell: Int32Array;
  private readonly wts: Float64Array;
  private size = 0;
  private fft: Fft2 | undefined;
  private kRe = new Float64Array(0);
  private kIm = new Float64Array(0);
  private aRe = new Float64Array(0);
  private aIm = new Float64Array(0);
  private bRe = new Float64Array(0);
  private bIm = new Float64Array(0);
  /** the grid of the last evaluation */
  grid: FftGrid = { intervals: 0, h: 0, size: 0 };

  constructor(readonly n: number, options: FftRepulsionOptions = {}) {
    this.p = options.nodesPerInterval ?? 3;
    this.perUnit = options.intervalsPerUnit ?? 1;
    this.minIntervals = options.minIntervals ?? 40;
    const p = this.p;
    this.denom = new Float64Array(p);
    for (let k = 0; k < p; k++) {
      let v = 1;
      for (let l = 0; l < p; l++) if (l !== k) v *= (k - l) / p;
      this.denom[k] = v;
    }
    this.cell = new Int32Array(2 * n);
    this.wts = new Float64Array(2 * p * n);
  }

  private allocate(size: number): void {
    if (size === this.size) return;
    this.size = size;
    this.fft = new Fft2(size, size);
    const s = size * size;
    this.kRe = new Float64Array(s);
    this.kIm = new Float64Array(s);
    this.aRe = new Float64Array(s);
    this.aIm = new Float64Array(s);
    this.bRe = new Float64Array(s);
    this.bIm = new Float64Array(s);
  }

  /**
   * Writes the unnormalized repulsive forces Σ_j q_ij² (y_i − y_j) of the n points y (x, y interleaved)
   * into rep and returns Z = Σ_{i≠j} q_ij.
   */
  compute(y: Float64Array, rep: Float64Array): number {
    const { n, p } = this;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < 2 * n; i++) {
      const v = y[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = Math.max(hi - lo, 1e-6);
    const want = Math.max(this.minIntervals, Math.ceil(span * this.perUnit));
    const size = nextPowerOfTwo(2 * p * want - 1);
    // all the intervals the transform size allows: more accuracy at no extra cost
    const nb = Math.floor((size + 1) / (2 * p));
    const m = nb * p;
    const h = (span * (1 + 1e-9)) / nb;
    const centre = (lo + hi) / 2;
    const x0 = centre - (nb * h) / 2;
    const delta = h / p;
    this.grid = { intervals: nb, h, size };
    this.allocate(size);
    const fft = this.fft!;
    const { kRe, kIm, aRe, aIm, bRe, bIm, cell, wts, denom } = this;

    // both kernels sampled at the circulant offsets: q at re, q² at im
    for (let r = 0; r < size; r++) {
      const dr = (r <= size / 2 ? r : r - size) * delta;
      for (let c = 0; c < size; c++) {
        const dc = (c <= size / 2 ? c : c - size) * delta;
        const q = 1 / (1 + dr * dr + dc * dc);
        kRe[r * size + c] = q;
        kIm[r * size + c] = q * q;
      }
    }
    fft.transform(kRe, kIm, false);

    // spread the charges 1 (b), y₁ and y₂ (a, packed re + i·im) onto the nodes (the padding must be
    // zero too: the last evaluation's transforms filled it)
    aRe.fill(0);
    aIm.fill(0);
    bRe.fill(0);
    bIm.fill(0);
    const wx = new Float64Array(p);
    const wy = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      const ux = (y[2 * i]! - x0) / h;
      const uy = (y[2 * i + 1]! - x0) / h;
      const bx = Math.min(nb - 1, Math.floor(ux));
      const by = Math.min(nb - 1, Math.floor(uy));
      lagrange(p, ux - bx, wx, denom);
      lagrange(p, uy - by, wy, denom);
      const o = 2 * p * i;
      for (let k = 0; k < p; k++) {
        wts[o + k] = wx[k]!;
        wts[o + p + k] = wy[k]!;
      }
      cell[2 * i] = bx * p;
      cell[2 * i + 1] = by * p;
      const cx = y[2 * i]! - centre;
      const cy = y[2 * i + 1]! - centre;
      for (let b = 0; b < p; b++) {
        const row = (by * p + b) * size + bx * p;
        const wb = wy[b]!;
        for (let a = 0; a < p; a++) {
          const w = wb * wx[a]!;
          const at = row + a;
          bRe[at] = bRe[at]! + w;
          aRe[at] = aRe[at]! + w * cx;
          aIm[at] = aIm[at]! + w * cy;
        }
      }
    }

    // convolve: a with q² (both parts), b with q² (re) and q (im)
    fft.transform(aRe, aIm, false, { nonzeroRows: m });
    fft.transform(bRe, bIm, false, { nonzeroRows: m });
    const s = size * size;
    for (let t = 0; t < s; t++) {
      const k1 = kRe[t]!;
      const k2 = kIm[t]!;
      aRe[t] = aRe[t]! * k2;
      aIm[t] = aIm[t]! * k2;
      // b is the transform of a real grid: (k2 + i k1) · b gives q² ∗ b + i (q ∗ b)
      const br = bRe[t]!;
      const bi = bIm[t]!;
      bRe[t] = br * k2 - bi * k1;
      bIm[t] = br * k1 + bi * k2;
    }
    fft.transform(aRe, aIm, true, { neededColumns: m });
    fft.transform(bRe, bIm, true, { neededColumns: m });

    // gather back at the points
    let z = 0;
    for (let i = 0; i < n; i++) {
      const o = 2 * p * i;
      const gx = cell[2 * i]!;
      const gy = cell[2 * i + 1]!;
      let phi0 = 0;
      let phi1 = 0;
      let phi2 = 0;
      let psi = 0;
      for (let b = 0; b < p; b++) {
        const row = (gy + b) * size + gx;
        const wb = wts[o + p + b]!;
        for (let a = 0; a < p; a++) {
          const w = wb * wts[o + a]!;
          const at = row + a;
          phi0 += w * bRe[at]!;
          psi += w * bIm[at]!;
          phi1 += w * aRe[at]!;
          phi2 += w * aIm[at]!;
        }
      }
      z += psi;
      rep[2 * i] = (y[2 * i]! - centre) * phi0 - phi1;
      rep[2 * i + 1] = (y[2 * i + 1]! - centre) * phi0 - phi2;
    }
    // each point's own term q(0) = 1 is in the sums
    return z - n;
  }
}
