/**
 * Figures of a dataset search: per unit, its top examples (the picture the model saw, with the
 * receptive field of the strongest position outlined) and under them the patches that field covers,
 * each enlarged to the same size. Platform neutral: pictures in, RGB pictures out.
 */
import type { RgbImage } from '../image/types.js';
import { renderGrid, type GridCell } from '../render/grid.js';
import type { PixelBox } from './receptive-field.js';
import type { TopEntry } from './topk.js';

/** Nearest-neighbour resize (crisp pixels for small pictures such as MNIST digits). */
export function resizeNearest(image: RgbImage, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor((y * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor((x * image.width) / width));
      data.set(image.data.subarray((sy * image.width + sx) * 3, (sy * image.width + sx) * 3 + 3), (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

export function cropImage(image: RgbImage, box: PixelBox): RgbImage {
  const w = Math.max(1, box.x1 - box.x0);
  const h = Math.max(1, box.y1 - box.y0);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) data.set(image.data.subarray(((box.y0 + y) * image.width + box.x0) * 3, ((box.y0 + y) * image.width + box.x0 + w) * 3), y * w * 3);
  return { width: w, height: h, data };
}

/** A copy of the picture with a one-pixel rectangle outline (in the picture's own pixels, scaled by `scale`). */
export function outlineBox(image: RgbImage, box: PixelBox, scale: number, color: readonly [number, number, number] = [255, 64, 32]): RgbImage {
  const data = image.data.slice();
  const x0 = box.x0 * scale;
  const y0 = box.y0 * scale;
  const x1 = Math.min(image.width, box.x1 * scale) - 1;
  const y1 = Math.min(image.height, box.y1 * scale) - 1;
  const set = (x: number, y: number) => data.set(color, (y * image.width + x) * 3);
  for (let x = x0; x <= x1; x++) {
    set(x, y0);
    set(x, y1);
  }
  for (let y = y0; y <= y1; y++) {
    set(x0, y);
    set(x1, y);
  }
  return { width: image.width, height: image.height, data };
}

export interface UnitFigureItem {
  readonly entry: TopEntry;
  /** the picture the model saw (input size) */
  readonly picture: RgbImage;
  /** the receptive field of the strongest position, for conv units */
  readonly box?: PixelBox;
  /** class name or index, when known */
  readonly label?: string;
}

/** The grid of one unit's top examples: pictures (with the field outlined) and, for conv units, the patches. */
export function renderUnitFigure(title: string, items: readonly UnitFigureItem[], options: { cell?: number } = {}): RgbImage {
  const first = items[0]?.picture;
  // small pictures are enlarged to about 84 pixels a side, large ones shown at most 160 pixels wide
  const cell = options.cell ?? (first ? Math.max(1, Math.round(84 / Math.max(first.width, first.height))) * Math.max(first.width, first.height) : 84);
  const pictures: GridCell[] = [];
  const patches: GridCell[] = [];
  for (const it of items) {
    const s = Math.max(it.picture.width, it.picture.height);
    const scale = Math.max(1, Math.floor(cell / s));
    const big = scale > 1 ? resizeNearest(it.picture, it.picture.width * scale, it.picture.height * scale) : it.picture;
    const shown = it.box ? outlineBox(big, it.box, scale) : big;
    pictures.push({ image: shown, caption: `#${it.entry.index}${it.label !== undefined ? ` ${it.label}` : ''} ${it.entry.value.toPrecision(3)}` });
    if (it.box) {
      const patch = cropImage(it.picture, it.box);
      const f = cell / Math.max(patch.width, patch.height);
      patches.push({ image: resizeNearest(patch, Math.max(1, Math.round(patch.width * f)), Math.max(1, Math.round(patch.height * f))) });
    }
  }
  return renderGrid(patches.length ? [pictures, patches] : [pictures], { title, padding: 6 });
}
