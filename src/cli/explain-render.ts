/**
 * What `cnnlens explain` draws: per method an overlay of the display-normalized map on the picture
 * the model saw, and a figure with the picture and every method side by side, captioned, with a
 * colorbar per method in the map's own units (the display steps are src/methods/display.ts, shared
 * with the explorer).
 */
import type { RgbImage } from '../image/types.js';
import type { ExplainResult } from '../methods/explain.js';
import { colorbarFor, colormapFor, displayMaps, overlayFor, spatialMap, type ViewOptions } from '../methods/display.js';
import { getMethod } from '../methods/registry.js';
import type { ImageModel } from '../model/image-model.js';
import type { ColormapName } from '../render/colormaps.js';
import { renderGrid } from '../render/grid.js';
import { htmlReport } from '../render/html-report.js';
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

/** Renders every item (one example each); with --normalize shared, one domain over all items and methods of the same units. */
export function renderInput(model: ImageModel, items: readonly { example: { name: string; picture: RgbImage }; result: ExplainResult }[], args: ExplainArgs): RenderedInput[] {
  const methods = items[0]?.result.results.map((r) => r.method) ?? [];
  const view: ViewOptions = {
    normalize: args.normalize,
    sign: args.sign ?? 'auto',
    colormap: (args.colormap as ColormapName | undefined) ?? 'auto',
    alpha: args.alpha,
    percentile: args.percentile,
  };
  // one display map per (item, method); per image, each item is normalized on its own
  const ids = items.flatMap(() => methods);
  const raws = items.flatMap(({ result }) => methods.map((m) => spatialMap(result.results.find((r) => r.method === m)!.map as HostTensor & { data: Float32Array }, model.input)));
  const shown = args.normalize === 'shared' ? displayMaps(ids, raws, view) : raws.map((r, i) => displayMaps([ids[i]!], [r], view)[0]!);
  return items.map(({ example, result }, i) => {
    const target = result.targets[0]!;
    const top = result.predictions[0]![0]!;
    const overlays: Record<string, Uint8Array> = {};
    const cells: { image: RgbImage; caption: string }[] = [
      { image: example.picture, caption: `${example.name}: ${top.label} ${(100 * top.probability).toFixed(1)}%` },
    ];
    const bars: (RgbImage | null)[] = [null];
    methods.forEach((method, k) => {
      const d = shown[i * methods.length + k]!;
      const cmap = colormapFor(method, d, view);
      const img = overlayFor(example.picture, d, cmap, args.alpha);
      overlays[method] = encodePng(img);
      const where = getMethod(method).needsLayer && result.layer ? ` @ ${result.layer.name}` : '';
      cells.push({ image: img, caption: `${getMethod(method).title}${where}` });
      bars.push(colorbarFor(method, d, cmap, img.width));
    });
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
