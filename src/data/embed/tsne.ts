/**
 * Barnes-Hut t-SNE (van der Maaten 2014, "Accelerating t-SNE using Tree-Based Algorithms", JMLR 15;
 * t-SNE: van der Maaten & Hinton 2008). Input similarities use only the 3·perplexity nearest neighbours
 * of each point (Sec. 4.1: P is sparse); the repulsive forces of the gradient (Eq. 5) are approximated
 * with a quadtree: a cell far enough from a point (cell size / distance < theta, Sec. 4.2) acts as one
 * point of mass at its centre. Optimization as in the reference implementation and openTSNE: early
 * exaggeration 12 for the first 250 iterations with momentum 0.5, then momentum 0.8, adaptive gains,
 * learning rate max(n / 12, 200) (Belkina et al. 2019). Seeded: the same input gives the same map.
 *
 * The repulsive forces can instead come from FFT-accelerated interpolation (tsne-fft.ts, FIt-SNE):
 * O(n) per iteration plus FFTs of a grid that grows with the extent of the map (about one interval per
 * unit of distance, 3 nodes each). For 10,000 points the map grows to ~150 units across and the grid to
 * 1024² transforms, which cost more here than the quadtree walk: Barnes-Hut stays the default.
 *
 * Cost: the exact neighbours by brute force in ONNX Runtime (knn.ts), then O(n log n) per iteration;
 * 10,000 points take about 40 CPU seconds (750 iterations).
 */
import { fail } from '../../errors.js';
import { Random } from '../../util/random.js';
import type { RuntimeBackend } from '../../runtime/backend.js';
import { knn, type Neighbours } from './knn.js';
import { FftRepulsion, type FftRepulsionOptions } from './tsne-fft.js';

/** From this many points on, 'auto' computes the repulsive forces by FFT interpolation. */
export const FFT_THRESHOLD = 5000;

export interface TsneOptions {
  /** effective number of neighbours; default 30 */
  readonly perplexity?: number;
  /** default 750 (250 exaggerated + 500) */
  readonly iterations?: number;
  readonly exaggerationIterations?: number;
  readonly exaggeration?: number;
  /**
   * repulsive forces: 'bh' (Barnes-Hut quadtree, default), 'fft' (FFT-accelerated interpolation,
   * tsne-fft.ts) or 'auto': fft from FFT_THRESHOLD points on, else bh
   */
  readonly repulsion?: 'auto' | 'bh' | 'fft';
  /** Barnes-Hut accuracy: 0 is exact, larger is faster; default 0.5 */
  readonly theta?: number;
  /** FFT interpolation: the grid (see FftRepulsionOptions) */
  readonly fft?: FftRepulsionOptions;
  /** default max(n / exaggeration, 200) */
  readonly learningRate?: number;
  readonly seed?: number;
  readonly onProgress?: (iteration: number, total: number) => void;
}

/** Sparse symmetric P: CSR rows over neighbour lists, values summing to 1 over all entries. */
interface SparseP {
  readonly rowStart: Int32Array;
  readonly cols: Int32Array;
  readonly vals: Float64Array;
}

/** Conditional probabilities p_j|i with a per-point bandwidth matching the perplexity (binary search on beta). */
function affinities(n: number, k: number, nbr: Int32Array, dist2: Float64Array, perplexity: number): SparseP {
  const cond = new Float64Array(n * k);
  const target = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    const d = dist2.subarray(i * k, (i + 1) * k);
    const p = cond.subarray(i * k, (i + 1) * k);
    const dmin = d[0]!;
    for (let it = 0; it < 200; it++) {
      let sum = 0;
      let hsum = 0;
      for (let j = 0; j < k; j++) {
        const v = Math.exp(-(d[j]! - dmin) * beta);
        p[j] = v;
        sum += v;
        hsum += (d[j]! - dmin) * v;
      }
      // entropy H = log(sum) + beta * E[d] (distances shifted by dmin for stability)
      const h = Math.log(sum) + (beta * hsum) / sum;
      for (let j = 0; j < k; j++) p[j] = p[j]! / sum;
      const diff = h - target;
      if (Math.abs(diff) < 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
  }
  // symmetrize: p_ij = (p_j|i + p_i|j) / 2n over the union of the neighbour lists
  const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const c = nbr[i * k + j]!;
      const v = cond[i * k + j]!;
      rows[i]!.set(c, (rows[i]!.get(c) ?? 0) + v);
      rows[c]!.set(i, (rows[c]!.get(i) ?? 0) + v);
    }
  }
  const rowStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) rowStart[i + 1] = rowStart[i]! + rows[i]!.size;
  const cols = new Int32Array(rowStart[n]!);
  const vals = new Float64Array(rowStart[n]!);
  for (let i = 0; i < n; i++) {
    let o = rowStart[i]!;
    for (const [c, v] of rows[i]!) {
      cols[o] = c;
      vals[o++] = v / (2 * n);
    }
  }
  return { rowStart, cols, vals };
}

/** A quadtree over 2-D points in flat arrays, rebuilt every iteration. */
class QuadTree {
  cx = new Float64Array(0);
  cy = new Float64Array(0);
  half = new Float64Array(0);
  mx = new Float64Array(0);
  my = new Float64Array(0);
  count = new Int32Array(0);
  child = new Int32Array(0);
  point = new Int32Array(0);
  size = 0;

  private grow(): void {
    const cap = Math.max(1024, this.cx.length * 2);
    const f = (a: Float64Array) => { const b = new Float64Array(cap); b.set(a); return b; };
    const g = (a: Int32Array, m = 1) => { const b = new Int32Array(cap * m); b.set(a); return b; };
    this.cx = f(this.cx);
    this.cy = f(this.cy);
    this.half = f(this.half);
    this.mx = f(this.mx);
    this.my = f(this.my);
    this.count = g(this.count);
    this.child = g(this.child, 4);
    this.point = g(this.point);
  }

  private node(cx: number, cy: number, half: number): number {
    if (this.size >= this.cx.length) this.grow();
    const i = this.size++;
    this.cx[i] = cx;
    this.cy[i] = cy;
    this.half[i] = half;
    this.mx[i] = 0;
    this.my[i] = 0;
    this.count[i] = 0;
    this.child.fill(-1, i * 4, i * 4 + 4);
    this.point[i] = -1;
    return i;
  }

  build(y: Float64Array, n: number): void {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      x0 = Math.min(x0, y[2 * i]!);
      x1 = Math.max(x1, y[2 * i]!);
      y0 = Math.min(y0, y[2 * i + 1]!);
      y1 = Math.max(y1, y[2 * i + 1]!);
    }
    this.size = 0;
    const half = Math.max(x1 - x0, y1 - y0) / 2 + 1e-5;
    this.node((x0 + x1) / 2, (y0 + y1) / 2, half);
    for (let i = 0; i < n; i++) this.insert(i, y[2 * i]!, y[2 * i + 1]!, y);
  }

  private insert(p: number, px: number, py: number, y: Float64Array): void {
    let nd = 0;
    for (;;) {
      this.mx[nd] = this.mx[nd]! + px;
      this.my[nd] = this.my[nd]! + py;
      this.count[nd] = this.count[nd]! + 1;
      const isLeaf = this.child[nd * 4] === -1 && this.child[nd * 4 + 1] === -1 && this.child[nd * 4 + 2] === -1 && this.child[nd * 4 + 3] === -1;
      if (isLeaf) {
        if (this.count[nd] === 1) {
          this.point[nd] = p;
          return;
        }
        // a leaf with a point already: split it (unless the cell is tiny: duplicates stay together)
        if (this.half[nd]! < 1e-10) return;
        const q = this.point[nd]!;
        this.point[nd] = -1;
        if (q >= 0) this.pushDown(nd, q, y[2 * q]!, y[2 * q + 1]!);
      }
      nd = this.childFor(nd, px, py);
    }
  }

  private pushDown(nd: number, q: number, qx: number, qy: number): void {
    const c = this.childFor(nd, qx, qy);
    this.mx[c] = this.mx[c]! + qx;
    this.my[c] = this.my[c]! + qy;
    this.count[c] = this.count[c]! + 1;
    this.point[c] = q;
  }

  private childFor(nd: number, px: number, py: number): number {
    const east = px > this.cx[nd]! ? 1 : 0;
    const south = py > this.cy[nd]! ? 2 : 0;
    const slot = nd * 4 + east + south;
    let c = this.child[slot]!;
    if (c === -1) {
      const h = this.half[nd]! / 2;
      c = this.node(this.cx[nd]! + (east ? h : -h), this.cy[nd]! + (south ? h : -h), h);
      this.child[slot] = c;
    }
    return c;
  }

  /** Adds point i's unnormalized repulsion to f (x, y) and returns its sum of q_ij over j. */
  repulse(i: number, px: number, py: number, theta2: number, f: Float64Array, stack: Int32Array): number {
    let sumQ = 0;
    let fx = 0;
    let fy = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const nd = stack[--top]!;
      const cnt = this.count[nd]!;
      if (cnt === 0) continue;
      if (cnt === 1 && this.point[nd] === i) continue;
      const comx = this.mx[nd]! / cnt;
      const comy = this.my[nd]! / cnt;
      const dx = px - comx;
      const dy = py - comy;
      const d2 = dx * dx + dy * dy;
      const leaf = this.child[nd * 4] === -1 && this.child[nd * 4 + 1] === -1 && this.child[nd * 4 + 2] === -1 && this.child[nd * 4 + 3] === -1;
      const w = 2 * this.half[nd]!;
      if (leaf || w * w < theta2 * d2) {
        // a leaf holding i among exact duplicates counts the others only
        const m = leaf && d2 === 0 ? cnt - 1 : cnt;
        const q = 1 / (1 + d2);
        sumQ += m * q;
        const mq2 = m * q * q;
        fx += mq2 * dx;
        fy += mq2 * dy;
      } else {
        for (let c = 0; c < 4; c++) {
          const ch = this.child[nd * 4 + c]!;
          if (ch !== -1) stack[top++] = ch;
        }
      }
    }
    f[0] = fx;
    f[1] = fy;
    return sumQ;
  }
}

/** Embeds n points of dimension d (row-major) in 2-D; returns n × 2 coordinates. */
export async function tsne(data: Float32Array, n: number, d: number, backend: RuntimeBackend, options: TsneOptions = {}): Promise<Float64Array> {
  if (data.length !== n * d) fail('USAGE', `t-SNE: ${data.length} values do not make ${n} points of dimension ${d}.`);
  const perplexity = options.perplexity ?? 30;
  if (n < 4) fail('USAGE', `t-SNE needs at least 4 points, got ${n}.`);
  if (!(perplexity > 0) || perplexity * 3 > n - 1) fail('USAGE', `t-SNE: the perplexity ${perplexity} needs more than ${Math.ceil(3 * perplexity)} points; give --perplexity below ${Math.floor((n - 1) / 3)}.`);
  return tsneFromNeighbours(await knn(data, n, d, Math.floor(3 * perplexity), backend), n, options);
}

/** t-SNE from precomputed neighbours (k = 3 × perplexity per point). */
export function tsneFromNeighbours(nb: Neighbours, n: number, options: TsneOptions = {}): Float64Array {
  const perplexity = options.perplexity ?? 30;
  const k = nb.indices.length / n;
  const iterations = options.iterations ?? 750;
  const exIters = options.exaggerationIterations ?? 250;
  const exaggeration = options.exaggeration ?? 12;
  const theta = options.theta ?? 0.5;
  const eta = options.learningRate ?? Math.max(n / exaggeration, 200);

  const P = affinities(n, k, nb.indices, nb.dist2, perplexity);

  const rnd = new Random(options.seed ?? 0);
  const y = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) y[i] = rnd.normal() * 1e-4;
  const update = new Float64Array(2 * n);
  const gains = new Float64Array(2 * n).fill(1);
  const grad = new Float64Array(2 * n);
  const rep = new Float64Array(2 * n);
  const repulsion = options.repulsion ?? 'bh';
  const useFft = repulsion === 'fft' || (repulsion === 'auto' && n >= FFT_THRESHOLD);
  const tree = new QuadTree();
  const interp = useFft ? new FftRepulsion(n, options.fft) : undefined;
  const stack = new Int32Array(64 * 1024);
  const f = new Float64Array(2);
  const theta2 = theta * theta;

  for (let it = 0; it < iterations; it++) {
    const exag = it < exIters ? exaggeration : 1;
    const momentum = it < exIters ? 0.5 : 0.8;
    let sumQ = 0;
    if (interp) sumQ = interp.compute(y, rep);
    else {
      tree.build(y, n);
      for (let i = 0; i < n; i++) {
        sumQ += tree.repulse(i, y[2 * i]!, y[2 * i + 1]!, theta2, f, stack);
        rep[2 * i] = f[0]!;
        rep[2 * i + 1] = f[1]!;
      }
    }
    for (let i = 0; i < n; i++) {
      let ax = 0;
      let ay = 0;
      const yi0 = y[2 * i]!;
      const yi1 = y[2 * i + 1]!;
      for (let e = P.rowStart[i]!; e < P.rowStart[i + 1]!; e++) {
        const j = P.cols[e]!;
        const dx = yi0 - y[2 * j]!;
        const dy = yi1 - y[2 * j + 1]!;
        const q = P.vals[e]! / (1 + dx * dx + dy * dy);
        ax += q * dx;
        ay += q * dy;
      }
      grad[2 * i] = 4 * (exag * ax - rep[2 * i]! / sumQ);
      grad[2 * i + 1] = 4 * (exag * ay - rep[2 * i + 1]! / sumQ);
    }
    let mx = 0;
    let my = 0;
    for (let i = 0; i < 2 * n; i++) {
      const g = grad[i]!;
      gains[i] = Math.sign(g) !== Math.sign(update[i]!) ? gains[i]! + 0.2 : Math.max(0.01, gains[i]! * 0.8);
      update[i] = momentum * update[i]! - eta * gains[i]! * g;
      y[i] = y[i]! + update[i]!;
      if (i % 2 === 0) mx += y[i]!;
      else my += y[i]!;
    }
    mx /= n;
    my /= n;
    for (let i = 0; i < n; i++) {
      y[2 * i] = y[2 * i]! - mx;
      y[2 * i + 1] = y[2 * i + 1]! - my;
    }
    if (options.onProgress && (it % 25 === 24 || it === iterations - 1)) options.onProgress(it + 1, iterations);
  }
  return y;
}
