/** A mutable RGB drawing surface for figures: fill, rectangles and pasting images. */
import type { RgbImage } from '../image/types.js';

export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

export interface Canvas extends RgbImage {
  readonly data: Uint8Array;
}

export function createCanvas(width: number, height: number, background: Rgb = WHITE): Canvas {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(background, i);
  return { width, height, data };
}

/** Fills the rectangle (clipped to the canvas). */
export function fillRect(canvas: Canvas, x: number, y: number, w: number, h: number, color: Rgb): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(canvas.width, Math.floor(x + w));
  const y1 = Math.min(canvas.height, Math.floor(y + h));
  for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) canvas.data.set(color, (yy * canvas.width + xx) * 3);
}

/** Copies `image` with its top-left corner at (x, y), clipped to the canvas. */
export function paste(canvas: Canvas, image: RgbImage, x: number, y: number): void {
  for (let yy = 0; yy < image.height; yy++) {
    const cy = y + yy;
    if (cy < 0 || cy >= canvas.height) continue;
    const from = Math.max(0, -x);
    const to = Math.min(image.width, canvas.width - x);
    if (to <= from) return;
    canvas.data.set(image.data.subarray((yy * image.width + from) * 3, (yy * image.width + to) * 3), (cy * canvas.width + x + from) * 3);
  }
}
