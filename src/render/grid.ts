/**
 * Side-by-side figures: rows × columns of pictures, each with an optional caption under it, an optional
 * title above and an optional colorbar below, on a white background. Columns are as wide as their
 * widest picture, rows as tall as their tallest picture plus caption; pictures and captions are centred.
 */
import { fail } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { createCanvas, paste, WHITE, type Rgb } from './canvas.js';
import { renderColorbar, type ColorbarOptions } from './colorbar.js';
import { drawText, LINE_HEIGHT, textWidth, wrapText } from './font.js';

export interface GridCell {
  readonly image: RgbImage;
  readonly caption?: string;
}

export interface GridOptions {
  /** drawn above the grid, left-aligned */
  readonly title?: string;
  /** space around and between cells, in pixels; default 8 */
  readonly padding?: number;
  /** text scale, 1 (5×8 glyphs) or more; default 1 */
  readonly fontScale?: number;
  /** a colorbar under the grid (its width defaults to the grid's, at most 320 × fontScale) */
  readonly colorbar?: Omit<ColorbarOptions, 'width' | 'scale' | 'background'> & { readonly width?: number };
  readonly background?: Rgb;
  readonly textColor?: Rgb;
}

/** Renders the grid; a missing cell (null/undefined) leaves its place empty. */
export function renderGrid(rows: readonly (readonly (GridCell | null | undefined)[])[], options: GridOptions = {}): RgbImage {
  const pad = options.padding ?? 8;
  const scale = options.fontScale ?? 1;
  if (!(Number.isInteger(scale) && scale >= 1)) fail('USAGE', `fontScale must be a positive integer, got ${scale}.`);
  if (!(Number.isInteger(pad) && pad >= 0)) fail('USAGE', `padding must be a non-negative integer, got ${pad}.`);
  const columns = rows.reduce((n, r) => Math.max(n, r.length), 0);
  if (rows.length === 0 || columns === 0) fail('USAGE', 'a grid needs at least one picture.');
  const line = LINE_HEIGHT * scale;
  const ink = options.textColor ?? [32, 32, 32];
  const background = options.background ?? WHITE;

  const colW = new Array<number>(columns).fill(0);
  for (const r of rows) r.forEach((cell, j) => cell && (colW[j] = Math.max(colW[j]!, cell.image.width)));
  // an empty column still gets room for its captions' first words
  for (let j = 0; j < columns; j++) colW[j] = Math.max(colW[j]!, textWidth('M', scale));

  const captions = rows.map((r) => r.map((cell, j) => (cell?.caption ? wrapText(cell.caption, colW[j]!, scale) : [])));
  const imageH = rows.map((r) => r.reduce((h, cell) => Math.max(h, cell?.image.height ?? 0), 0));
  const rowH = rows.map((_r, i) => {
    const text = captions[i]!.reduce((n, lines) => Math.max(n, lines.length), 0);
    return imageH[i]! + (text > 0 ? 4 + text * line : 0);
  });

  const gridW = colW.reduce((a, b) => a + b, 0) + pad * (columns + 1);
  const bar = options.colorbar
    ? renderColorbar({
      ...options.colorbar,
      width: options.colorbar.width ?? Math.min(gridW - 2 * pad, 320 * scale),
      scale,
      background,
      ...(options.textColor ? { textColor: options.textColor } : {}),
    })
    : undefined;
  const width = Math.max(gridW, (bar?.width ?? 0) + 2 * pad);
  const titleLines = options.title ? wrapText(options.title, width - 2 * pad, scale) : [];
  const titleH = titleLines.length > 0 ? titleLines.length * line + pad : 0;
  const height = pad + titleH + rowH.reduce((a, b) => a + b, 0) + pad * rows.length + (bar ? bar.height + pad : 0);

  const canvas = createCanvas(width, height, background);
  titleLines.forEach((text, k) => drawText(canvas, text, pad, pad + k * line, ink, scale));
  let y = pad + titleH;
  rows.forEach((r, i) => {
    let x = pad;
    r.forEach((cell, j) => {
      if (cell) {
        paste(canvas, cell.image, x + Math.floor((colW[j]! - cell.image.width) / 2), y);
        // captions of a row share one baseline, under its tallest picture
        captions[i]![j]!.forEach((text, k) => {
          drawText(canvas, text, x + Math.floor((colW[j]! - textWidth(text, scale)) / 2), y + imageH[i]! + 4 + k * line, ink, scale);
        });
      }
      x += colW[j]! + pad;
    });
    y += rowH[i]! + pad;
  });
  if (bar) paste(canvas, bar, Math.floor((width - bar.width) / 2), y);
  return canvas;
}
