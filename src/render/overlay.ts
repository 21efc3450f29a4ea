/**
 * Heatmaps on pictures. A display map (values in [0, 1], e.g. from normalize.ts) is coloured through a
 * colormap and alpha-blended over the picture: out = round((1 - alpha) * base + alpha * colour).
 * A map of lower resolution is first resized to the picture with half-pixel-centred bilinear
 * interpolation (upsample.ts), the upsampling Grad-CAM implementations use.
 */
import { fail } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { colormap, colormapIndex, type Colormap, type ColormapName } from './colormaps.js';
import { upsampleBilinear } from './upsample.js';

export interface OverlayOptions {
  /** colormap name or table; default 'turbo' */
  readonly colormap?: ColormapName | Colormap;
  /** weight of the heatmap colour, 0 (picture only) .. 1 (heatmap only); default 0.5 */
  readonly alpha?: number;
  /** [height, width] of the map when it is smaller than the picture; default: the picture's size */
  readonly mapDims?: readonly [number, number];
}

function resolve(map: ColormapName | Colormap | undefined): Colormap {
  return map === undefined ? colormap('turbo') : typeof map === 'string' ? colormap(map) : map;
}

function checkValues(map01: ArrayLike<number>, h: number, w: number): void {
  if (map01.length !== h * w) fail('INPUT_SHAPE', `a ${h}x${w} map needs ${h * w} values, got ${map01.length}.`);
  for (let i = 0; i < map01.length; i++) {
    if (Number.isNaN(map01[i]!)) fail('INPUT_VALUE', `the map holds NaN at row ${Math.floor(i / w)}, column ${i % w}; normalize raw maps first (normalize.ts).`);
  }
}

/** The map coloured through `map` (values clamped to [0, 1]) as a width × height picture. */
export function heatmapImage(map01: ArrayLike<number>, width: number, height: number, cmap?: ColormapName | Colormap): RgbImage {
  checkValues(map01, height, width);
  const { lut } = resolve(cmap);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const k = colormapIndex(map01[i]!) * 3;
    data[i * 3] = lut[k]!;
    data[i * 3 + 1] = lut[k + 1]!;
    data[i * 3 + 2] = lut[k + 2]!;
  }
  return { width, height, data };
}

/** `base` with the coloured map blended over it; the map is resized to the picture when `mapDims` differ. */
export function overlay(base: RgbImage, map01: ArrayLike<number>, options: OverlayOptions = {}): RgbImage {
  const alpha = options.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) fail('USAGE', `overlay alpha must lie in [0, 1], got ${alpha}.`);
  const { width: W, height: H } = base;
  if (base.data.length !== W * H * 3) fail('INPUT_SHAPE', `a ${W}x${H} RGB picture needs ${W * H * 3} bytes, got ${base.data.length}.`);
  const [h, w] = options.mapDims ?? [H, W];
  checkValues(map01, h, w);
  const full = h === H && w === W ? map01 : upsampleBilinear(map01, h, w, H, W);
  const heat = heatmapImage(full, W, H, resolve(options.colormap));
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.round((1 - alpha) * base.data[i]! + alpha * heat.data[i]!);
  return { width: W, height: H, data };
}
