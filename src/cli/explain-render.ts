/**
 * What `cnnlens explain` draws: per method an overlay of the display-normalized map on the picture
 * the model saw, and a figure with the picture and every method side by side, captioned, with a
 * colorbar per method in the map's own units. Input-space maps are shown summed over channels
 * (signed) for `gradient`-like methods; spatial maps as they are.
 */
import type { RgbImage } from '../image/types.js';
import type { ExplainResult } from '../methods/explain.js';
import { getMethod } from '../methods/registry.js';
import type { ImageModel } from '../model/image-model.js';
import { defaultColormapFor, type ColormapName } from '../render/colormaps.js';
import { renderColorbar } from '../render/colorbar.js';
import { renderGrid } from '../render/grid.js';
import { htmlReport } from '../render/html-report.js';
import { normalizeMaps, type DisplayMap, type RawMap, type SignMode } from '../render/normalize.js';
import { overlay } from '../render/overlay.js';
import { encodePng } from '../render/png.js';
import type { HostTensor } from '../runtime/backend.js';
import type { ExplainArgs } from './explain-args.js';

export interface RenderedInput {
  readonly name: string;
  readonly caption: string;
  /** method id → overlay PNG */
  readonly overlays: Readonly<Record<string, Uint8Array>>;
  readonly figure: Uint8Array;
  readonly summary: Record<string, unknown>;
}

/** The [H, W] map shown for a method's raw result of one example. */
function spatial(map: HostTensor, model: ImageModel, example: number): RawMap {
  const { height: h, width: w, channels: c, layout } = model.input;
  const data = map.data as Float32Array;
  if (map.dims.length === 3) return { data: data.subarray(example * h * w, (example + 1) * h * w), dims: [h, w] };
  // input-shaped: sum over channels keeps the sign
  const out = new Float32Array(h * w);
  const base = example * c * h * w;
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += layout === 'NCHW' ? data[base + k * h * w + p]! : data[base + p * c + k]!;
    out[p] = s;
  }
  return { data: out, dims: [h, w] };
}

function signFor(method: string, args: Pick<ExplainArgs, 'sign'>): SignMode {
  if (args.sign) return args.sign;
  const m = getMethod(method);
  if (m.id === 'gradient') return 'all';
  return m.signed ? 'all' : 'positive';
}

/** Renders every item (one example each); with --normalize shared, one domain per method across items. */
export function renderInput(model: ImageModel, items: readonly { example: { name: string; picture: RgbImage }; result: ExplainResult }[], args: ExplainArgs): RenderedInput[] {
  const methods = items[0]?.result.results.map((r) => r.method) ?? [];
  // display maps per method, normalized per image or over all items
  const display = new Map<string, DisplayMap[]>();
  for (const method of methods) {
    const raw = items.map(({ result }) => spatial(result.results.find((r) => r.method === method)!.map, model, 0));
    const options = { sign: signFor(method, args), percentile: args.percentile };
    const how = getMethod(method).display ?? 'zero';
    if (how !== 'zero' && !args.sign) {
      // min-max: the map's own range; inverted, the domain runs from the maximum down to the minimum
      const range = (maps: readonly RawMap[]): readonly [number, number] => {
        let lo = Infinity;
        let hi = -Infinity;
        for (const m of maps) for (let i = 0; i < m.data.length; i++) { lo = Math.min(lo, m.data[i]!); hi = Math.max(hi, m.data[i]!); }
        if (!(hi > lo)) hi = lo + 1;
        return how === 'min-max-inverted' ? [hi, lo] : [lo, hi];
      };
      const scaled = (maps: readonly RawMap[]) => normalizeMaps(maps, { mode: 'raw', sign: 'all', domain: range(maps) });
      display.set(method, args.normalize === 'shared' ? scaled(raw) : raw.map((r) => scaled([r])[0]!));
      continue;
    }
    display.set(method, args.normalize === 'shared' ? normalizeMaps(raw, { ...options, mode: 'shared' }) : raw.map((r) => normalizeMaps([r], { ...options, mode: 'per-image' })[0]!));
  }
  return items.map(({ example, result }, i) => {
    const target = result.targets[0]!;
    const top = result.predictions[0]![0]!;
    const overlays: Record<string, Uint8Array> = {};
    const cells: { image: RgbImage; caption: string }[] = [
      { image: example.picture, caption: `${example.name}: ${top.label} ${(100 * top.probability).toFixed(1)}%` },
    ];
    const bars: (RgbImage | null)[] = [null];
    for (const method of methods) {
      const d = display.get(method)![i]!;
      const cmap = (args.colormap as ColormapName | undefined) ?? ((getMethod(method).display ?? 'zero') !== 'zero' && !args.sign ? 'turbo' : defaultColormapFor(d.sign));
      const img = overlay(example.picture, d.values, { colormap: cmap, alpha: args.alpha });
      overlays[method] = encodePng(img);
      const where = getMethod(method).needsLayer && result.layer ? ` @ ${result.layer.name}` : '';
      cells.push({ image: img, caption: `${getMethod(method).title}${where}` });
      bars.push(renderColorbar({ colormap: cmap, domain: d.domain, width: img.width, label: getMethod(method).output === 'input' ? `${getMethod(method).units}, summed over channels` : getMethod(method).units }));
    }
    const caption = `target: ${target.label} (${target.minus === undefined ? 'logit' : 'logit difference'} ${target.score.toFixed(3)})`;
    const figure = encodePng(renderGrid([cells, bars.map((b) => (b ? { image: b } : null))], { title: caption }));
    return {
      name: example.name,
      caption,
      overlays,
      figure,
      summary: { predictions: result.predictions[0], target, layer: result.layer?.name },
    };
  });
}

export function renderReport(model: ImageModel, inputs: readonly RenderedInput[]): string {
  return htmlReport({
    title: `cnnlens: ${model.name}`,
    entries: inputs.map((r) => ({
      input: r.name,
      caption: r.caption,
      figures: [{ label: 'figure', png: r.figure }],
      summary: r.summary,
    })),
  });
}
