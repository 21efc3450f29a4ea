/**
 * The figure of one picture's explanation diff: one row per method with the picture, model A's map over
 * it, model B's map over it (each shown as `cnnlens explain` shows it, with a colorbar in the map's
 * units) and the signed difference B̂ - Â of the normalized maps in a diverging colormap. The
 * difference is shown from -t to t with t the 99.5th percentile of |B̂ - Â|, but at least 0.1 (a tenth
 * of a map's peak), so where the maps changed stands out while noise-level changes stay pale; the
 * colorbar gives t. Small pictures (MNIST) are enlarged with crisp pixels. Platform neutral.
 */
import { resizeNearest } from '../data/search-render.js';
import { LUMA_601 } from '../image/preprocess.js';
import type { RgbImage } from '../image/types.js';
import { colorbarFor, colormapFor, displayMaps, type ViewOptions } from '../methods/display.js';
import { getMethod } from '../methods/registry.js';
import { renderColorbar } from '../render/colorbar.js';
import { renderGrid, type GridCell } from '../render/grid.js';
import { normalizeMap, percentile } from '../render/normalize.js';
import { overlay } from '../render/overlay.js';
import type { ImageDiff } from './diff-image.js';

export interface FigureLabels {
  readonly name: string;
  readonly modelA: string;
  readonly modelB: string;
  /** per method, the layer each model used (CAM methods) */
  readonly layers?: { readonly a: string; readonly b: string };
  /** the fraction k of the top-k IoU, for the caption */
  readonly topFraction: number;
}

const VIEW: ViewOptions = { normalize: 'per-image', sign: 'auto', colormap: 'auto', alpha: 0.5, percentile: 99.5 };
/** the smallest half-range of the difference's colour scale, in units of a map's peak */
const MIN_DIFF_SCALE = 0.1;
const pct = (p: number) => `${(100 * p).toFixed(1)}%`;

/** The figure as a picture; pictures smaller than `minSide` pixels are enlarged by a whole factor. */
export function diffFigure(d: ImageDiff, labels: FigureLabels, minSide = 168): RgbImage {
  const { height: h, width: w } = d.grid;
  const factor = Math.max(1, Math.floor(minSide / Math.max(h, w)));
  const base = factor > 1 ? resizeNearest(d.picture, w * factor, h * factor) : d.picture;
  const gray = grayish(base);
  const width = base.width;
  const dims = [h, w] as const;
  const ta = d.a.predictions[0]!;
  const tb = d.b.predictions[0]!;
  const rows: (GridCell | null)[][] = [];
  for (const m of d.methods) {
    const info = getMethod(m.method);
    const at = (which: 'a' | 'b') => (info.needsLayer && labels.layers ? ` @ ${labels.layers[which]}` : '');
    const [da, db] = [m.raw.a, m.raw.b].map((raw) => displayMaps([m.method], [{ data: raw, dims }], VIEW)[0]!);
    const cmap = colormapFor(m.method, da!, VIEW);
    const t = Math.max(percentile(m.difference.map(Math.abs), 99.5), MIN_DIFF_SCALE);
    const diff = normalizeMap({ data: m.difference, dims }, { mode: 'raw', sign: 'all', domain: [-t, t] });
    const c = m.change;
    rows.push([
      { image: base, caption: labels.name },
      { image: overlay(base, da!.values, { colormap: cmap, alpha: VIEW.alpha, mapDims: dims }), caption: `A: ${info.title}${at('a')}` },
      { image: overlay(base, db!.values, { colormap: cmap, alpha: VIEW.alpha, mapDims: dims }), caption: `B: ${info.title}${at('b')}` },
      { image: overlay(gray, diff.values, { colormap: 'coolwarm', alpha: 0.8, mapDims: dims }), caption: `B - A: rho ${c.rankCorrelation.toFixed(2)}, SSIM ${c.ssim.toFixed(2)}, IoU@${Math.round(100 * labels.topFraction)}% ${c.topIoU.toFixed(2)}, L2 ${c.l2.toFixed(3)}` },
    ]);
    rows.push([
      null,
      { image: colorbarFor(m.method, da!, cmap, width) },
      { image: colorbarFor(m.method, db!, colormapFor(m.method, db!, VIEW), width) },
      { image: renderColorbar({ colormap: 'coolwarm', domain: diff.domain, width, label: 'B - A, each map / its peak' }) },
    ]);
  }
  const changed = d.predictionChanged ? 'prediction changed' : 'same prediction';
  const title = `${labels.name}: target ${d.a.target.label}${d.b.target.label !== d.a.target.label ? ` / ${d.b.target.label}` : ''}. `
    + `A (${labels.modelA}): ${ta.label} ${pct(ta.probability)}; B (${labels.modelB}): ${tb.label} ${pct(tb.probability)} (${changed})`;
  return renderGrid(rows, { title });
}

/** The picture in gray, lightened, so the diverging colours of the difference stand out over it. */
function grayish(p: RgbImage): RgbImage {
  const data = new Uint8Array(p.data.length);
  for (let i = 0; i < p.width * p.height; i++) {
    const y = LUMA_601[0] * p.data[i * 3]! + LUMA_601[1] * p.data[i * 3 + 1]! + LUMA_601[2] * p.data[i * 3 + 2]!;
    data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = Math.min(255, Math.round(128 + y / 2));
  }
  return { width: p.width, height: p.height, data };
}
