/**
 * Where two models' maps of one picture are compared. Each model sees its own fit of the picture (its
 * size, centre crop or stretch), so each map covers a region of the original picture (its crop). Maps
 * are compared on a common grid over the region both models saw (the intersection of the crops):
 * - same crop and same size: the models' own grid, maps untouched;
 * - same crop, different sizes (e.g. 224x224 and 299x299 centre crops): the larger size, maps
 *   resized bilinearly (src/render/upsample.ts);
 * - different crops: the intersection, at the finer of the two models' pixel densities, each map
 *   sampled bilinearly at the grid's pixel centres (half-pixel centres, clamped to the map's edge).
 * Platform neutral.
 */
import { centerCropBox } from '../image/preprocess.js';
import { resizeBilinear } from '../image/resample.js';
import type { Rect, RgbImage } from '../image/types.js';
import type { InputSpec } from '../model/input-spec.js';
import { upsampleBilinear } from '../render/upsample.js';

export interface CommonGrid {
  /** the region of the original picture compared, in its pixels */
  readonly region: Rect;
  readonly height: number;
  readonly width: number;
}

/** The region of a width x height picture that a model with this input spec sees. */
export function cropOf(picture: { readonly width: number; readonly height: number }, spec: InputSpec): Rect {
  return spec.resize === 'stretch' ? { x: 0, y: 0, width: picture.width, height: picture.height } : centerCropBox(picture.width, picture.height, spec.width, spec.height);
}

const sameRect = (p: Rect, q: Rect) => p.x === q.x && p.y === q.y && p.width === q.width && p.height === q.height;

export function commonGrid(picture: { readonly width: number; readonly height: number }, a: InputSpec, b: InputSpec): CommonGrid {
  const ca = cropOf(picture, a);
  const cb = cropOf(picture, b);
  if (sameRect(ca, cb)) return { region: ca, height: Math.max(a.height, b.height), width: Math.max(a.width, b.width) };
  const x0 = Math.max(ca.x, cb.x);
  const y0 = Math.max(ca.y, cb.y);
  const region = { x: x0, y: y0, width: Math.min(ca.x + ca.width, cb.x + cb.width) - x0, height: Math.min(ca.y + ca.height, cb.y + cb.height) - y0 };
  const density = Math.max(a.width / ca.width, a.height / ca.height, b.width / cb.width, b.height / cb.height);
  return { region, height: Math.max(1, Math.round(region.height * density)), width: Math.max(1, Math.round(region.width * density)) };
}

/** One model's [h, w] map (over `crop` of the picture) on the common grid, row-major [grid.height, grid.width]. */
export function mapOnGrid(map: ArrayLike<number>, h: number, w: number, crop: Rect, grid: CommonGrid): Float32Array {
  const { region, height: H, width: W } = grid;
  if (sameRect(crop, region)) return upsampleBilinear(map, h, w, H, W);
  const axis = (n: number, lo: number, span: number, clo: number, cspan: number, size: number) => {
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const src = ((lo + ((i + 0.5) * span) / n - clo) * size) / cspan - 0.5;
      const s = Math.min(Math.max(src, 0), size - 1);
      i0[i] = Math.floor(s);
      i1[i] = Math.min(i0[i]! + 1, size - 1);
      f[i] = s - i0[i]!;
    }
    return { i0, i1, f };
  };
  const ys = axis(H, region.y, region.height, crop.y, crop.height, h);
  const xs = axis(W, region.x, region.width, crop.x, crop.width, w);
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    const r0 = ys.i0[y]! * w;
    const r1 = ys.i1[y]! * w;
    const fy = ys.f[y]!;
    for (let x = 0; x < W; x++) {
      const fx = xs.f[x]!;
      const top = map[r0 + xs.i0[x]!]! * (1 - fx) + map[r0 + xs.i1[x]!]! * fx;
      const bottom = map[r1 + xs.i0[x]!]! * (1 - fx) + map[r1 + xs.i1[x]!]! * fx;
      out[y * W + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** The picture over the common grid (on a model's own grid: exactly the picture that model saw, as fitToInput makes it). */
export function pictureOnGrid(picture: RgbImage, grid: CommonGrid): RgbImage {
  return resizeBilinear(picture, grid.width, grid.height, grid.region);
}
