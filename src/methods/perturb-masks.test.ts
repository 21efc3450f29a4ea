/**
 * RISE's masks against the geometry of Petsiuk et al. 2018, Sec. 3.2, written out here: with scripted
 * random numbers the mask is known exactly (grid cell g kept iff its number < p; shift floor(u C)), and
 * its value at pixel (y, x) is sum_g grid_g wy_g(y + dy) wx_g(x + dx), where w are the bilinear weights
 * (half-pixel centres, clamped) of s cells on an axis of (s + 1) C samples. Checked to 1e-6 (float32).
 * Statistically: E[M] = p at every pixel; with N masks, sd of the mean <= sqrt(p (1 - p) / N) (M in
 * [0, 1] and E[M] = p give Var(M) <= p - p^2), held to 5 sd.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../util/random.js';
import { cellSize, drawMask } from './perturb-masks.js';

class Scripted extends Random {
  private i = 0;
  constructor(private readonly values: readonly number[]) {
    super(0);
  }
  override next(): number {
    const v = this.values[this.i++];
    assert.ok(v !== undefined, 'drew more numbers than scripted');
    return v;
  }
}

function weights(Y: number, cells: number, out: number): number[] {
  const w = new Array<number>(cells).fill(0);
  const src = Math.max(0, ((Y + 0.5) * cells) / out - 0.5);
  const lo = Math.min(Math.floor(src), cells - 1);
  w[lo]! += 1 - (src - lo);
  w[Math.min(lo + 1, cells - 1)]! += src - lo;
  return w;
}

test('a mask from scripted random numbers equals the bilinear, shifted grid of the paper', () => {
  for (const [h, w, s, p] of [[12, 12, 3, 0.5], [10, 7, 4, 0.3], [5, 9, 5, 0.8], [6, 6, 1, 0.5]] as const) {
    const ch = cellSize(h, s);
    const cw = cellSize(w, s);
    assert.equal(ch, Math.ceil(h / s));
    const r = new Random(h * 100 + s);
    const cellsU = Array.from({ length: s * s }, () => r.next());
    for (const [uy, ux] of [[0, 0], [0.999, 0.5], [0.4, 0.999]]) {
      const mask = new Float32Array(h * w);
      drawMask({ height: h, width: w, cells: s, p }, new Scripted([...cellsU, uy!, ux!]), mask);
      const grid = cellsU.map((u) => (u < p ? 1 : 0));
      const dy = Math.floor(uy! * ch);
      const dx = Math.floor(ux! * cw);
      for (let y = 0; y < h; y++) {
        const wy = weights(y + dy, s, (s + 1) * ch);
        for (let x = 0; x < w; x++) {
          const wx = weights(x + dx, s, (s + 1) * cw);
          let want = 0;
          for (let gy = 0; gy < s; gy++) for (let gx = 0; gx < s; gx++) want += grid[gy * s + gx]! * wy[gy]! * wx[gx]!;
          assert.ok(Math.abs(mask[y * w + x]! - want) <= 1e-6, `${h}x${w} s ${s} shift ${dy},${dx} pixel ${y},${x}: ${mask[y * w + x]} vs ${want}`);
        }
      }
    }
  }
});

test('masks average to p at every pixel; a seed gives the same masks', () => {
  const g = { height: 9, width: 11, cells: 3, p: 0.3 };
  const n = 20000;
  const r = new Random(1);
  const sum = new Float64Array(g.height * g.width);
  const mask = new Float32Array(g.height * g.width);
  for (let i = 0; i < n; i++) {
    drawMask(g, r, mask);
    for (let q = 0; q < sum.length; q++) {
      assert.ok(mask[q]! >= 0 && mask[q]! <= 1);
      sum[q] = sum[q]! + mask[q]!;
    }
  }
  const sd = Math.sqrt((g.p * (1 - g.p)) / n);
  const worst = Math.max(...sum.map((s) => Math.abs(s / n - g.p)));
  assert.ok(worst <= 5 * sd, `max |mean - p| ${worst} > 5 sd ${5 * sd}`);
  const a = new Float32Array(99);
  const b = new Float32Array(99);
  drawMask(g, new Random(7), a);
  drawMask(g, new Random(7), b);
  assert.deepEqual(a, b);
});
