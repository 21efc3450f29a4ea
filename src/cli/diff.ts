/**
 * `cnnlens diff`: explains the same pictures with two models and reports where and how much the
 * explanations changed (src/diff/): a figure and the difference maps per picture, diff.json and diff.md
 * over all of them, and a short summary. Models, target and layers are checked before any picture is
 * read; every file is written atomically.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { itemStem } from '../batch/explain-item.js';
import type { Dataset } from '../data/dataset.js';
import { writeNpyFileAtomic } from '../data/npy-file.js';
import { openDataset } from '../data/open-dataset.js';
import { pairModels, diffImage, type ModelPair } from '../diff/diff-image.js';
import { diffFigure } from '../diff/figure.js';
import { aggregateRecords, diffMarkdown, pictureRecord, type PictureRecord } from '../diff/report.js';
import type { DiffAggregate } from '../diff/aggregate.js';
import { fail } from '../errors.js';
import { readImageFile } from '../image/read-file.js';
import type { RgbImage } from '../image/types.js';
import { loadImageModel } from '../model/load-file.js';
import { encodePng } from '../render/png.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { EXIT_OK, processIO, requireFiles, type CliIO } from './common.js';
import { diffUsage, parseDiffArgs, type DiffArgs } from './diff-args.js';

interface Picture {
  /** how the picture is called in reports */
  readonly name: string;
  /** its files' stem in the output folder */
  readonly stem: string;
  readonly source: string;
  readonly image: RgbImage;
}

async function* pictures(args: DiffArgs, dataset: Dataset | undefined): AsyncGenerator<Picture> {
  if (!dataset) {
    for (const path of args.inputs) {
      const stem = basename(path, extname(path));
      yield { name: stem, stem, source: path, image: await readImageFile(path) };
    }
    return;
  }
  const count = Math.min(args.limit, dataset.length);
  for await (const b of dataset.batches(16)) {
    for (const [k, image] of b.images.entries()) {
      const i = b.start + k;
      if (i >= count) return;
      yield { name: dataset.itemName(i), stem: itemStem(dataset, i), source: dataset.itemName(i), image };
    }
  }
}

function targetText(pair: ModelPair): string {
  const t = pair.plan.target;
  if (!t) return "model A's top class for each picture, in both models";
  const la = pair.a.labels?.[t.a] ?? `class ${t.a}`;
  const lb = pair.b.labels?.[t.b] ?? `class ${t.b}`;
  return t.a === t.b && la === lb ? `${la} (index ${t.a})` : `A: ${la} (index ${t.a}), B: ${lb} (index ${t.b})`;
}

/** `cnnlens diff ...`; returns the exit code, throws CnnlensError on failure. */
export async function diffCommand(argv: string[], io: CliIO = processIO, deps: { backend?: RuntimeBackend } = {}): Promise<number> {
  const args = parseDiffArgs(argv);
  if (!args) {
    io.out(diffUsage());
    return EXIT_OK;
  }
  requireFiles(args.inputs);
  const backend = deps.backend ?? (await import('../runtime/node-backend.js')).nodeBackend;
  const loaded = [];
  for (const [which, path] of [['A', args.modelA], ['B', args.modelB]] as const) {
    const { model, notes } = await loadImageModel(path);
    for (const n of notes) io.err(`${which}: ${n}\n`);
    loaded.push(model);
  }
  const pair = pairModels(loaded[0]!, loaded[1]!, { methods: args.methods, ...(args.target !== undefined ? { target: args.target } : {}), ...(args.layerA ? { layerA: args.layerA } : {}), ...(args.layerB ? { layerB: args.layerB } : {}) });
  if (pair.plan.warning) io.err(`${pair.plan.warning}\n`);
  if (pair.layers) io.err(`layers: A ${pair.layers.a.name}${pair.layers.a.isDefault ? ' (default)' : ''}, B ${pair.layers.b.name}${pair.layers.b.isDefault ? ' (default)' : ''}\n`);
  const dataset = args.data !== undefined ? await openDataset(args.data) : undefined;
  try {
    mkdirSync(args.outDir, { recursive: true });
  } catch (e) {
    fail('IO', `cannot create the output folder '${args.outDir}': ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }

  const total = dataset ? Math.min(args.limit, dataset.length) : args.inputs.length;
  const tty = process.stderr.isTTY;
  const records: PictureRecord[] = [];
  for await (const p of pictures(args, dataset)) {
    if (total > 1) io.err(`${tty ? '\r' : ''}diff: [${records.length + 1}/${total}] ${p.name}${tty ? '\x1b[K' : '\n'}`);
    const d = await diffImage(pair, p.image, {
      backend,
      ...(args.threads ? { threads: args.threads } : {}),
      methodOptions: args.methodOptions,
      topFraction: args.topFraction,
    });
    const base = join(args.outDir, p.stem);
    mkdirSync(dirname(base), { recursive: true });
    const files: Record<string, string> = {};
    for (const m of d.methods) {
      await writeNpyFileAtomic((files[`${m.method}.diff.npy`] = `${base}.${m.method}.diff.npy`), { type: 'float32', dims: [1, d.grid.height, d.grid.width], data: m.difference });
    }
    const figure = diffFigure(d, {
      name: p.name,
      modelA: pair.a.name,
      modelB: pair.b.name,
      ...(pair.layers ? { layers: { a: pair.layers.a.name, b: pair.layers.b.name } } : {}),
      topFraction: args.topFraction,
    });
    await writeFileAtomic((files.figure = `${base}.diff.png`), encodePng(figure));
    records.push(pictureRecord(p.name, p.source, d, files));
  }
  if (total > 1 && tty) io.err('\n');
  const aggregate = aggregateRecords(pair.methods, records);
  const model = (m: typeof pair.a, layer?: { name: string }) => ({ name: m.name, source: m.source, input: m.input, classes: m.output.classes, ...(m.labels ? { labels: m.labels } : {}), ...(layer ? { layer: layer.name } : {}) });
  const report = {
    models: { a: model(pair.a, pair.layers?.a), b: model(pair.b, pair.layers?.b) },
    methods: pair.methods,
    target: targetText(pair),
    topFraction: args.topFraction,
    normalization: "each map normalized by its method's display rule without clipping (divided by its peak; min-max for occlusion and RISE); difference = B - A of the normalized maps",
    aggregate,
    pictures: records,
  };
  await writeFileAtomic(join(args.outDir, 'diff.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(join(args.outDir, 'diff.md'), diffMarkdown({ modelA: pair.a.name, modelB: pair.b.name, target: report.target, topFraction: args.topFraction }, pair.methods, records, aggregate));
  if (args.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else io.out(summaryText(pair, records, aggregate, args));
  return EXIT_OK;
}

function summaryText(pair: ModelPair, records: readonly PictureRecord[], agg: DiffAggregate, args: DiffArgs): string {
  const k = `${Math.round(100 * args.topFraction)}%`;
  const changed = records.filter((r) => r.predictionChanged);
  const lines = [
    `A: ${pair.a.name}, B: ${pair.b.name}; ${agg.pictures} picture${agg.pictures === 1 ? '' : 's'}; target: ${targetText(pair)}`,
    `top prediction changed on ${changed.length} of ${agg.pictures}${changed.length ? `: ${changed.slice(0, 5).map((r) => `${r.name} (${r.a.predictions[0]!.label} -> ${r.b.predictions[0]!.label})`).join(', ')}${changed.length > 5 ? ', ...' : ''}` : ''}`,
    ...agg.methods.map((m) => {
      const s = m.measures;
      const most = m.mostChanged.slice(0, 3).map((c) => `${c.name} (L2 ${c.l2.toFixed(3)}, rho ${c.rankCorrelation.toFixed(2)})`).join(', ');
      return `${m.method}: rank correlation ${s.rankCorrelation.mean.toFixed(3)} (median ${s.rankCorrelation.median.toFixed(3)}), SSIM ${s.ssim.mean.toFixed(3)}, top-${k} IoU ${s.topIoU.mean.toFixed(3)}, L2 ${s.l2.mean.toFixed(3)}; changed most: ${most}`;
    }),
    `wrote ${join(args.outDir, 'diff.json')}, diff.md and ${records.length} figure${records.length === 1 ? '' : 's'} (<name>.diff.png)`,
  ];
  return `${lines.join('\n')}\n`;
}
