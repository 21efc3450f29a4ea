/** A small line plot of curves (one colour per series) as an RGB picture, for the evaluate report. */
import { createCanvas, fillRect, BLACK, type Rgb } from '../render/canvas.js';
import { drawText } from '../render/font.js';
import type { RgbImage } from '../image/types.js';

const COLORS: readonly Rgb[] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127]];

export interface Series {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

/** x and y both in [0, 1]. */
export function plotCurves(title: string, series: readonly Series[], width = 360, height = 260): RgbImage {
  const c = createCanvas(width, height);
  const left = 30;
  const top = 20;
  const w = width - left - 10;
  const h = height - top - 30 - 10 * series.length;
  drawText(c, title, left, 4, BLACK);
  fillRect(c, left, top, 1, h + 1, BLACK);
  fillRect(c, left, top + h, w + 1, 1, BLACK);
  drawText(c, '1', 20, top - 3, BLACK);
  drawText(c, '0', 20, top + h - 7, BLACK);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length]!;
    const px = (x: number) => left + Math.round(Math.min(1, Math.max(0, x)) * w);
    const py = (y: number) => top + h - Math.round(Math.min(1, Math.max(0, y)) * h);
    for (let i = 1; i < s.x.length; i++) {
      // a line by dense sampling between the points
      const n = Math.max(Math.abs(px(s.x[i]!) - px(s.x[i - 1]!)), Math.abs(py(s.y[i]!) - py(s.y[i - 1]!)), 1);
      for (let t = 0; t <= n; t++) {
        const x = s.x[i - 1]! + ((s.x[i]! - s.x[i - 1]!) * t) / n;
        const y = s.y[i - 1]! + ((s.y[i]! - s.y[i - 1]!) * t) / n;
        fillRect(c, px(x), py(y), 2, 2, color);
      }
    }
    fillRect(c, left, top + h + 14 + 10 * k, 8, 6, color);
    drawText(c, s.name, left + 12, top + h + 13 + 10 * k, BLACK);
  });
  return c;
}
