/**
 * How the explorer shows a raw map: the library's display steps (src/methods/display.ts), the same
 * `cnnlens explain` takes, plus drawing into a canvas.
 */
import type { RgbImage } from './lib.js';

export { colorbarFor, colormapFor, displayMaps, overlayFor, spatialMap, type ViewOptions } from '../../src/methods/display.js';

/** Draws an RgbImage into a canvas (resizing the canvas to it). */
export function drawRgb(canvas: HTMLCanvasElement, img: RgbImage): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d')!;
  const id = ctx.createImageData(img.width, img.height);
  for (let i = 0, j = 0; j < img.data.length; i += 4, j += 3) {
    id.data[i] = img.data[j]!;
    id.data[i + 1] = img.data[j + 1]!;
    id.data[i + 2] = img.data[j + 2]!;
    id.data[i + 3] = 255;
  }
  ctx.putImageData(id, 0, 0);
}
