/**
 * The figure of the cascading randomization check (Adebayo et al. 2018, Fig. 2 layout): one row per
 * method, the picture the model saw first (captioned with the method's title, and FLAGGED when its maps
 * barely changed), then the original map and the map after each randomization depth, captioned with the
 * deepest layer re-initialized and the similarity to the original (Spearman ρ of |map|, SSIM).
 * Each map is scaled for display on its own (randomized maps change scale by orders of magnitude), with
 * the method's usual sign mode and colormap. Small inputs are enlarged by an integer factor (nearest
 * neighbour) so that every cell is at least `minCell` pixels. Platform neutral.
 */
import type { RgbImage } from '../image/types.js';
import { tensorToImage } from '../image/from-tensor.js';
import { colormapFor, displayMaps, spatialMap, type ViewOptions } from '../methods/display.js';
import { getMethod } from '../methods/registry.js';
import type { InputSpec } from '../model/input-spec.js';
import { renderGrid, type GridCell } from '../render/grid.js';
import { heatmapImage } from '../render/overlay.js';
import type { HostTensor } from '../runtime/backend.js';
import type { DepthSimilarity } from './randomization.js';

export interface RandomizationRow {
  readonly method: string;
  /** the maps at each depth, depth 0 (the original) first */
  readonly maps: readonly HostTensor[];
  readonly depths: readonly DepthSimilarity[];
  readonly flagged: boolean;
}

export interface RandomizationFigureOptions {
  /** the smallest cell side in pixels; default 96 */
  readonly minCell?: number;
  readonly title?: string;
}

const VIEW: ViewOptions = { normalize: 'per-image', sign: 'auto', colormap: 'auto', alpha: 1, percentile: 99 };

/** Nearest-neighbour enlargement by an integer factor. */
export function enlarge(image: RgbImage, factor: number): RgbImage {
  if (factor === 1) return image;
  const W = image.width * factor;
  const H = image.height * factor;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (Math.floor(y / factor) * image.width + Math.floor(x / factor)) * 3;
      data.set(image.data.subarray(s, s + 3), (y * W + x) * 3);
    }
  }
  return { width: W, height: H, data };
}

/** The integer factor that makes an H x W input at least `minCell` pixels on its longer side. */
export function cellFactor(spec: Pick<InputSpec, 'height' | 'width'>, minCell = 96): number {
  return Math.max(1, Math.ceil(minCell / Math.max(spec.height, spec.width)));
}

/** Rows = methods, columns = picture, original map, then each depth. `input` is the example [1, ...]. */
export function randomizationFigure(input: HostTensor, spec: InputSpec, rows: readonly RandomizationRow[], options: RandomizationFigureOptions = {}): RgbImage {
  const factor = cellFactor(spec, options.minCell ?? 96);
  const picture = enlarge(tensorToImage(input, 0, spec), factor);
  const cells: GridCell[][] = rows.map((row) => {
    const shown = row.maps.map((m) => {
      const raw = spatialMap(m as HostTensor & { data: Float32Array }, spec);
      const d = displayMaps([row.method], [raw], VIEW)[0]!;
      return enlarge(heatmapImage(d.values, spec.width, spec.height, colormapFor(row.method, d, VIEW)), factor);
    });
    return [
      { image: picture, caption: `${getMethod(row.method).title.replace(/\u00d7/g, 'x')}${row.flagged ? '\nFLAGGED' : ''}` },
      { image: shown[0]!, caption: 'original' },
      ...row.depths.map((d, k) => ({ image: shown[k + 1]!, caption: `to ${d.layer}\nrho ${d.rankCorrelation.toFixed(2)}\nSSIM ${d.ssim.toFixed(2)}` })),
    ];
  });
  return renderGrid(cells, { title: options.title ?? 'Cascading randomization of this picture\'s maps: weights re-initialized from the top layer down to the named one; rho = Spearman correlation of |map| with the original, SSIM = structural similarity' });
}
