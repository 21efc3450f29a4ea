/**
 * A horizontal colorbar: the colormap from 0 (left) to 1 (right), framed, with the raw values of its
 * ends underneath (the domain normalize.ts reports) and an optional label above.
 */
import { fail } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { createCanvas, fillRect, WHITE, type Rgb } from './canvas.js';
import { colormap, type Colormap, type ColormapName } from './colormaps.js';
import { drawText, LINE_HEIGHT, textWidth, wrapText } from './font.js';

export interface ColorbarOptions {
  readonly colormap: ColormapName | Colormap;
  /** raw values at the left and right ends */
  readonly domain: readonly [number, number];
  /** total width in pixels */
  readonly width: number;
  /** what the values are, e.g. 'd logit / d pixel'; drawn above the bar */
  readonly label?: string;
  /** bar height in pixels before scaling; default 12 */
  readonly barHeight?: number;
  /** font and bar scale; default 1 */
  readonly scale?: number;
  readonly background?: Rgb;
  readonly textColor?: Rgb;
}

/** A value in at most 3 significant digits, exponent form when very small or large. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-2) return v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

export function renderColorbar(options: ColorbarOptions): RgbImage {
  const scale = options.scale ?? 1;
  const width = Math.floor(options.width);
  if (!(width >= 16)) fail('USAGE', `a colorbar needs a width of at least 16 pixels, got ${options.width}.`);
  const map = typeof options.colormap === 'string' ? colormap(options.colormap) : options.colormap;
  const ink = options.textColor ?? [32, 32, 32];
  const labelLines = options.label ? wrapText(options.label, width, scale) : [];
  const barH = (options.barHeight ?? 12) * scale;
  const line = LINE_HEIGHT * scale;
  const barTop = labelLines.length * line;
  const height = barTop + barH + 2 + line;
  const c = createCanvas(width, height, options.background ?? WHITE);

  labelLines.forEach((text, k) => drawText(c, text, Math.floor((width - textWidth(text, scale)) / 2), k * line, ink, scale));
  // frame, then the gradient inside it
  fillRect(c, 0, barTop, width, barH, ink);
  const inner = width - 2;
  for (let x = 0; x < inner; x++) {
    const i = Math.round((x / Math.max(inner - 1, 1)) * 255) * 3;
    fillRect(c, 1 + x, barTop + 1, 1, barH - 2, [map.lut[i]!, map.lut[i + 1]!, map.lut[i + 2]!]);
  }
  const textTop = barTop + barH + 2;
  const lo = formatValue(options.domain[0]);
  const hi = formatValue(options.domain[1]);
  drawText(c, lo, 0, textTop, ink, scale);
  drawText(c, hi, width - textWidth(hi, scale), textTop, ink, scale);
  if (map.diverging && options.domain[0] === -options.domain[1]) {
    drawText(c, '0', Math.floor((width - textWidth('0', scale)) / 2), textTop, ink, scale);
  }
  return c;
}
