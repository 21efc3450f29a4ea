/**
 * `cnnlens evaluate --randomization`: the cascading model-randomization check (src/metrics/randomization.ts)
 * on the first K pictures, for every method. Per depth, the Spearman rank correlation of |map| and the
 * SSIM to the original map, averaged over the K pictures; a method whose mean rank correlation with every
 * layer randomized stays above the threshold (default 0.5) is flagged. Also the figure of the first
 * picture's maps degrading (src/metrics/randomization-figure.ts).
 */
import type { ImageModel } from '../model/image-model.js';
import { cascadingRandomization, parametrizedLayers, type SanityResult } from '../metrics/randomization.js';
import { randomizationFigure } from '../metrics/randomization-figure.js';
import type { HostTensor } from '../runtime/backend.js';
import type { RunOptions } from '../methods/engine.js';
import type { RgbImage } from '../image/types.js';

export interface RandomizationSettings {
  /** pictures to run the check on (the first ones) */
  readonly images: number;
  /** at most this many depths, spread over the layers (undefined: every layer) */
  readonly maxDepths?: number;
  readonly threshold: number;
  readonly seed: number;
}

export interface RandomizationReport {
  readonly images: readonly string[];
  readonly threshold: number;
  readonly seed: number;
  /** layers with weights, from the output down */
  readonly layers: readonly string[];
  readonly methods: readonly {
    readonly method: string;
    /** means over the pictures */
    readonly depths: readonly { readonly depth: number; readonly layer: string; readonly rankCorrelation: number; readonly ssim: number }[];
    readonly flagged: boolean;
    /** per picture, the rank correlation with every layer randomized */
    readonly finalRankCorrelations: readonly number[];
  }[];
}

export async function runRandomization(
  model: ImageModel,
  inputs: readonly { name: string; input: HostTensor }[],
  methods: readonly string[],
  methodOptions: Readonly<Record<string, unknown>>,
  run: RunOptions,
  settings: RandomizationSettings,
): Promise<{ report: RandomizationReport; figure: RgbImage | undefined; markdown: string }> {
  const per: SanityResult[][] = [];
  for (const { input } of inputs) {
    per.push(await cascadingRandomization(model, input, methods, {
      ...run, methodOptions, threshold: settings.threshold, seed: settings.seed,
      ...(settings.maxDepths !== undefined ? { maxDepths: settings.maxDepths } : {}),
    }));
  }
  const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const rows = methods.map((method, k) => {
    const first = per[0]?.[k];
    const depths = (first?.depths ?? []).map((d, j) => ({
      depth: d.depth, layer: d.layer,
      rankCorrelation: mean(per.map((p) => p[k]!.depths[j]!.rankCorrelation)),
      ssim: mean(per.map((p) => p[k]!.depths[j]!.ssim)),
    }));
    const last = depths.at(-1)?.rankCorrelation;
    return { method, depths, flagged: last !== undefined && last > settings.threshold, finalRankCorrelations: per.map((p) => p[k]!.depths.at(-1)?.rankCorrelation ?? NaN) };
  });
  const report: RandomizationReport = { images: inputs.map((i) => i.name), threshold: settings.threshold, seed: settings.seed, layers: parametrizedLayers(model).map((l) => l.node), methods: rows };
  const figure = inputs[0] && per[0]
    ? randomizationFigure(inputs[0].input, model.input, per[0].map((r, k) => ({ ...r, flagged: rows[k]!.flagged })))
    : undefined;
  const depths = rows[0]?.depths ?? [];
  const markdown = [
    `## Cascading randomization (Adebayo et al. 2018), ${inputs.length} picture${inputs.length === 1 ? '' : 's'}`, '',
    'Weights re-initialized from the top layer down to the named one; each cell: Spearman rank correlation of |map| / SSIM with the original map (mean over the pictures). '
      + `A method whose rank correlation stays above ${settings.threshold} with every layer randomized is flagged: its maps depend little on what the model learned.`, '',
    `| method | ${depths.map((d) => `to \`${d.layer}\``).join(' | ')} | flagged |`,
    `|---|${depths.map(() => '---|').join('')}---|`,
    ...rows.map((r) => `| \`${r.method}\` | ${r.depths.map((d) => `${d.rankCorrelation.toFixed(2)} / ${d.ssim.toFixed(2)}`).join(' | ')} | ${r.flagged ? '**yes**' : 'no'} |`),
    '',
  ].join('\n');
  return { report, figure, markdown };
}
