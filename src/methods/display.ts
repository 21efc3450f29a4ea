/**
 * How a raw map is shown, the same in the CLI and the explorer: input-shaped maps summed over channels
 * (the sign kept), the method's preferred scaling ('zero', 'min-max', 'min-max-inverted'), per-image or
 * shared normalization (shared within maps of the same units and scaling), a sign mode, a colormap, an
 * overlay and a colorbar in the map's units. Methods return raw maps; these are the explicit display steps.
 */
import type { RgbImage } from '../image/types.js';
import type { InputSpec } from '../model/input-spec.js';
import { defaultColormapFor, type ColormapName } from '../render/colormaps.js';
import { renderColorbar } from '../render/colorbar.js';
import { normalizeMaps, type DisplayMap, type RawMap, type SignMode } from '../render/normalize.js';
import { overlay } from '../render/overlay.js';
import { getMethod } from './registry.js';

export interface ViewOptions {
  readonly normalize: 'per-image' | 'shared';
  /** 'auto': the method's own choice */
  readonly sign: SignMode | 'auto';
  readonly colormap: ColormapName | 'auto';
  readonly alpha: number;
  readonly percentile: number;
}

/** The [H, W] map shown for one example of a raw method map (input-shaped maps summed over channels, keeping the sign). */
export function spatialMap(map: { readonly dims: readonly number[]; readonly data: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> } }, spec: InputSpec, example = 0): RawMap {
  const { height: h, width: w, channels: c, layout } = spec;
  const data = map.data;
  if (map.dims.length === 3) return { data: data.subarray(example * h * w, (example + 1) * h * w), dims: [h, w] };
  const base = example * c * h * w;
  const out = new Float32Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += layout === 'NCHW' ? data[base + k * h * w + p]! : data[base + p * c + k]!;
    out[p] = s;
  }
  return { data: out, dims: [h, w] };
}

function signFor(method: string, view: ViewOptions): SignMode {
  if (view.sign !== 'auto') return view.sign;
  const m = getMethod(method);
  return m.id === 'gradient' || m.signed ? 'all' : 'positive';
}

function minMax(maps: readonly RawMap[], inverted: boolean): readonly [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of maps) for (let i = 0; i < m.data.length; i++) { lo = Math.min(lo, m.data[i]!); hi = Math.max(hi, m.data[i]!); }
  if (!(hi > lo)) hi = lo + 1;
  return inverted ? [hi, lo] : [lo, hi];
}

/** Display maps for several methods' raw maps; with 'shared', one domain over every map of the same units. */
export function displayMaps(methods: readonly string[], raws: readonly RawMap[], view: ViewOptions): DisplayMap[] {
  const out: DisplayMap[] = new Array(raws.length);
  // maps are comparable only within the same units and scaling: share within such groups
  const groups = new Map<string, number[]>();
  methods.forEach((id, i) => {
    const m = getMethod(id);
    const how = m.display ?? 'zero';
    const key = view.normalize === 'shared' ? `${m.units}|${how}|${signFor(id, view)}` : `#${i}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const idx of groups.values()) {
    const id = methods[idx[0]!]!;
    const how = getMethod(id).display ?? 'zero';
    const maps = idx.map((i) => raws[i]!);
    const done = how !== 'zero' && view.sign === 'auto'
      ? normalizeMaps(maps, { mode: 'raw', sign: 'all', domain: minMax(maps, how === 'min-max-inverted') })
      : normalizeMaps(maps, { mode: maps.length > 1 ? 'shared' : 'per-image', sign: signFor(id, view), percentile: view.percentile });
    idx.forEach((i, k) => (out[i] = done[k]!));
  }
  return out;
}

export function colormapFor(method: string, d: DisplayMap, view: ViewOptions): ColormapName {
  if (view.colormap !== 'auto') return view.colormap;
  return (getMethod(method).display ?? 'zero') !== 'zero' && view.sign === 'auto' ? 'turbo' : defaultColormapFor(d.sign);
}

export function overlayFor(picture: RgbImage, d: DisplayMap, cmap: ColormapName, alpha: number): RgbImage {
  return overlay(picture, d.values, { colormap: cmap, alpha });
}

export function colorbarFor(method: string, d: DisplayMap, cmap: ColormapName, width: number): RgbImage {
  const m = getMethod(method);
  return renderColorbar({ colormap: cmap, domain: d.domain, width, label: m.output === 'input' ? `${m.units}, summed over channels` : m.units });
}
