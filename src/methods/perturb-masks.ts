/**
 * RISE's random masks (Petsiuk, Das & Saenko 2018, Sec. 3.2): a `cells` x `cells` grid of independent
 * Bernoulli(p) values, upsampled bilinearly to (cells + 1) C_H x (cells + 1) C_W, and an H x W window of
 * it taken at a random offset (dy, dx), uniform in [0, C_H) x [0, C_W). The cell size is
 * C = ceil(size / cells) (the paper writes floor; with ceil, as the authors' code has it, the window fits
 * for every input size). Bilinear means half-pixel centres, clamped at the edges.
 */
import { upsampleBilinear } from '../render/upsample.js';
import type { Random } from '../util/random.js';

export interface MaskGeometry {
  readonly height: number;
  readonly width: number;
  readonly cells: number;
  readonly p: number;
}

/** The cell size along an axis of `size` pixels. */
export function cellSize(size: number, cells: number): number {
  return Math.ceil(size / cells);
}

/**
 * Draws one mask [height * width] in [0, 1] into `out`. Random numbers are drawn in a fixed order
 * (cells row by row, then dy, then dx), so a seed gives the same sequence of masks however they are
 * batched.
 */
export function drawMask(g: MaskGeometry, r: Random, out: Float32Array): void {
  const { height: h, width: w, cells: s, p } = g;
  const grid = new Float32Array(s * s);
  for (let i = 0; i < grid.length; i++) grid[i] = r.next() < p ? 1 : 0;
  const ch = cellSize(h, s);
  const cw = cellSize(w, s);
  const dy = Math.floor(r.next() * ch);
  const dx = Math.floor(r.next() * cw);
  const upH = (s + 1) * ch;
  const upW = (s + 1) * cw;
  const up = upsampleBilinear(grid, s, s, upH, upW);
  for (let y = 0; y < h; y++) out.set(up.subarray((y + dy) * upW + dx, (y + dy) * upW + dx + w), y * w);
}
