/**
 * What an explanation diff reports: one JSON-ready record per picture (both models' predictions and
 * targets, each method's measures) and a Markdown page with the aggregate table, the pictures that
 * changed most and the per-picture table. Platform neutral.
 */
import { aggregateChanges, type DiffAggregate } from './aggregate.js';
import type { ImageDiff, ModelOutcome } from './diff-image.js';
import type { MapChange } from './measures.js';

export interface PictureRecord {
  readonly name: string;
  readonly source: string;
  /** the common grid the maps were compared on */
  readonly grid: { readonly height: number; readonly width: number; readonly region: ImageDiff['grid']['region'] };
  readonly predictionChanged: boolean;
  readonly a: ModelOutcome;
  readonly b: ModelOutcome;
  /** per method: the measures and each map's raw peak (the value normalized to 1) */
  readonly methods: Readonly<Record<string, MapChange & { readonly peaks: { readonly a: number; readonly b: number } }>>;
  readonly files?: Readonly<Record<string, string>>;
}

export function pictureRecord(name: string, source: string, d: ImageDiff, files?: Record<string, string>): PictureRecord {
  return {
    name,
    source,
    grid: { height: d.grid.height, width: d.grid.width, region: d.grid.region },
    predictionChanged: d.predictionChanged,
    a: d.a,
    b: d.b,
    methods: Object.fromEntries(d.methods.map((m) => [m.method, { ...m.change, peaks: m.peaks }])),
    ...(files ? { files } : {}),
  };
}

export function aggregateRecords(methods: readonly string[], records: readonly PictureRecord[]): DiffAggregate {
  return aggregateChanges(methods, records.map((r) => ({ name: r.name, predictionChanged: r.predictionChanged, changes: r.methods })));
}

/** a name as a Markdown table cell */
const cell = (s: string) => s.replace(/\|/g, '\\|');
const f = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : '');
const top = (o: ModelOutcome) => `${o.predictions[0]!.label} ${(100 * o.predictions[0]!.probability).toFixed(1)}%`;

export interface MarkdownHeader {
  readonly modelA: string;
  readonly modelB: string;
  readonly target: string;
  readonly topFraction: number;
}

export function diffMarkdown(h: MarkdownHeader, methods: readonly string[], records: readonly PictureRecord[], agg: DiffAggregate): string {
  const k = `${Math.round(100 * h.topFraction)}%`;
  const lines = [
    `# Explanation diff: A = ${h.modelA}, B = ${h.modelB} (${agg.pictures} picture${agg.pictures === 1 ? '' : 's'})`,
    '',
    `Target: ${h.target}. Each map is normalized by its method's display rule without clipping (divided by its peak; min-max for occlusion and RISE), then compared: rank correlation (Spearman), SSIM, IoU of the top ${k} pixels by magnitude, L2 = RMS of B - A. Identical explanations give 1, 1, 1, 0.`,
    '',
    `Top prediction changed on ${agg.predictionsChanged} of ${agg.pictures}.`,
    '',
    '## Aggregate (mean / median)',
    '',
    `| method | rank correlation | SSIM | top-${k} IoU | L2 |`,
    '|---|---|---|---|---|',
    ...agg.methods.map((m) => `| \`${m.method}\` | ${[m.measures.rankCorrelation, m.measures.ssim, m.measures.topIoU, m.measures.l2].map((s) => `${f(s.mean)} / ${f(s.median)}`).join(' | ')} |`),
    '',
    '## Changed most (largest L2)',
    '',
    '| method | picture | rank correlation | SSIM | IoU | L2 |',
    '|---|---|---|---|---|---|',
    ...agg.methods.flatMap((m) => m.mostChanged.map((c) => `| \`${m.method}\` | ${cell(c.name)} | ${f(c.rankCorrelation)} | ${f(c.ssim)} | ${f(c.topIoU)} | ${f(c.l2)} |`)),
    '',
    '## Per picture',
    '',
    `| picture | A: top | B: top | changed | target p (A → B) | ${methods.map((m) => `${m}: rho / SSIM / IoU / L2`).join(' | ')} |`,
    `|---|---|---|---|---|${methods.map(() => '---|').join('')}`,
    ...records.map((r) => `| ${cell(r.name)} | ${top(r.a)} | ${top(r.b)} | ${r.predictionChanged ? 'yes' : 'no'} | ${f(r.a.target.probability)} → ${f(r.b.target.probability)} | ${methods.map((m) => {
      const c = r.methods[m]!;
      return `${f(c.rankCorrelation, 2)} / ${f(c.ssim, 2)} / ${f(c.topIoU, 2)} / ${f(c.l2)}`;
    }).join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}
