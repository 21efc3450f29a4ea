/**
 * `cnnlens visualize`: activation maximization of channels (a grid, one image per channel, optimized
 * together in one batch) or of any objective; writes the PNG, an optional strip of the optimization
 * and a JSON with the objective at the start and the end. Also the helpers the dream, invert and
 * project commands share.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fail } from '../errors.js';
import { toPicture, type ImageBatch } from '../featurevis/image-batch.js';
import { channel, diversity, parseObjective, sum, type Objective } from '../featurevis/objectives.js';
import type { OptimizerName } from '../featurevis/optimizer.js';
import type { ParamKind, Squash } from '../featurevis/parametrizations/image.js';
import { blur, l1, l2, tv, type Regularizer } from '../featurevis/regularizers.js';
import { visualize } from '../featurevis/visualize.js';
import type { ImageModel } from '../model/image-model.js';
import { loadImageModel } from '../model/load-file.js';
import { encodePng } from '../render/png.js';
import { renderGrid, type GridCell } from '../render/grid.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { EXIT_OK, parseCommandArgs, processIO, type CliIO } from './common.js';

export const VISUALIZE_USAGE = `Usage: cnnlens visualize [--model M] --layer L --channel C[,C...] [options]
       cnnlens visualize [--model M] --objective EXPR [options]

Optimizes images that maximize channels of a layer (activation maximization, Lucid's defaults:
Fourier + decorrelated colour parametrization, random pad/jitter/scale/rotate). Several channels are
optimized together, one image each, and written side by side.

Options:
  --model FILE        ONNX, .keras, .h5 or TF.js model.json (default: the default model)
  --spec FILE         a JSON sidecar describing the model's input (range, mean, std, ...)
  --layer L           a layer (feature map or dense layer; Keras names work)
  --channel C,...     channel indices of the layer
  --objective EXPR    instead: e.g. "channel(L, 3) - 0.5 * diversity(L)"; terms neuron(L, c[, x, y]),
                      channel(L, c), layer(L), class(k), diversity(L)
  --batch N           images optimized together for --objective (default 1)
  --diversity W       subtract W * diversity(L) (with --layer; the batch then shows varied images)
  --steps N           optimization steps (default 512)
  --lr X              learning rate (default 0.05)
  --optimizer NAME    adam (default) or ascent
  --param NAME        fourier (default) or pixel
  --squash NAME       sigmoid (default) or clamp
  --decorrelate yes|no  decorrelated colour space (default yes)
  --transforms NAME   standard (default) or none
  --tv W --l1 W --l2 W --blur W   penalties on the image (default 0)
  --normalize-grad    scale each step's gradient to unit RMS
  --seed S            seeds the start and the transforms (default 0): same seed, same picture
  --strip K           also write K snapshots of the optimization as <out>.strip.png
  --threads N         ONNX Runtime threads (default: all cores)
  --out FILE.png      (default cnnlens-out/visualize.png); the JSON goes to FILE.json
  --json              print the JSON summary on stdout
`;

export interface VisualizeCommandDeps {
  backend?: RuntimeBackend;
}

export function number(name: string, v: string | undefined, fallback: number, check: (x: number) => boolean = Number.isFinite): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (v.trim() === '' || !check(x)) fail('USAGE', `--${name} must be ${check === Number.isFinite ? 'a number' : 'a positive integer'}, got '${v}'.`);
  return x;
}

export const positiveInt = (x: number) => Number.isInteger(x) && x >= 1;

export function choice<T extends string>(name: string, v: string | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v as T)) fail('USAGE', `--${name} must be one of ${allowed.join(', ')}, got '${v}'.`);
  return v as T;
}

export async function loadModelFor(args: { model?: string | undefined; spec?: string | undefined }, io: CliIO): Promise<ImageModel> {
  const { model, notes } = await loadImageModel(args.model, args.spec ? { specFile: args.spec } : {});
  for (const n of notes) io.err(`${n}\n`);
  return model;
}

export async function backendOf(deps: { backend?: RuntimeBackend }): Promise<RuntimeBackend> {
  return deps.backend ?? (await import('../runtime/node-backend.js')).nodeBackend;
}

export function ensureDir(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (e) {
    fail('IO', `cannot create the folder of '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
}

/** Writes a PNG of the examples side by side (one row), with captions. */
export async function writeRow(file: string, images: ImageBatch, captions: readonly string[], title?: string): Promise<void> {
  const cells: GridCell[] = Array.from({ length: images.n }, (_, b) => ({ image: toPicture(images, b), ...(captions[b] ? { caption: captions[b] } : {}) }));
  const picture = images.n === 1 && !title && !captions[0] ? cells[0]!.image : renderGrid([cells], title ? { title } : {});
  await writeFileAtomic(file, encodePng(picture));
}

/** A terminal progress line (only on a TTY). */
export function progressLine(io: CliIO, text: string, done: boolean): void {
  if (!process.stderr.isTTY) return;
  io.err(`\r${text}\x1b[K${done ? '\n' : ''}`);
}

export async function visualizeCommand(argv: string[], io: CliIO = processIO, deps: VisualizeCommandDeps = {}): Promise<number> {
  const { values: v } = parseCommandArgs('visualize', argv, {
    model: { type: 'string' }, spec: { type: 'string' }, layer: { type: 'string' }, channel: { type: 'string' }, objective: { type: 'string' },
    batch: { type: 'string' }, diversity: { type: 'string' }, steps: { type: 'string' }, lr: { type: 'string' }, optimizer: { type: 'string' },
    param: { type: 'string' }, squash: { type: 'string' }, decorrelate: { type: 'string' }, transforms: { type: 'string' },
    tv: { type: 'string' }, l1: { type: 'string' }, l2: { type: 'string' }, blur: { type: 'string' }, 'normalize-grad': { type: 'boolean' },
    seed: { type: 'string' }, strip: { type: 'string' }, threads: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, false);
  if (v.help) {
    io.out(VISUALIZE_USAGE);
    return EXIT_OK;
  }
  let objective: Objective;
  let batch: number;
  let captions: string[];
  if (v.objective !== undefined) {
    if (v.channel !== undefined) fail('USAGE', 'give either --objective or --layer with --channel, not both.');
    objective = parseObjective(v.objective);
    batch = number('batch', v.batch, 1, positiveInt);
    captions = [];
  } else {
    if (v.layer === undefined || v.channel === undefined) fail('USAGE', "cnnlens visualize needs --layer and --channel (or --objective). Run 'cnnlens visualize --help'.");
    const channels = v.channel.split(',').map((s) => number('channel', s.trim(), 0, (x) => Number.isInteger(x) && x >= 0));
    const layer = v.layer;
    objective = channels.length === 1 ? channel(layer, channels[0]!) : sum(...channels.map((c, b) => channel(layer, c).forExample(b)));
    batch = channels.length === 1 ? number('batch', v.batch, 1, positiveInt) : channels.length;
    if (channels.length > 1 && v.batch !== undefined && Number(v.batch) !== channels.length) fail('USAGE', `--batch ${v.batch} does not match the ${channels.length} channels (one image each).`);
    captions = channels.length === 1 ? [] : channels.map((c) => `${layer}:${c}`);
  }
  const div = number('diversity', v.diversity, 0);
  if (div !== 0) {
    if (v.layer === undefined) fail('USAGE', '--diversity needs --layer.');
    objective = objective.minus(diversity(v.layer).times(div));
  }
  const regularizers: Regularizer[] = [];
  for (const [name, make] of [['tv', tv], ['l1', l1], ['l2', l2], ['blur', blur]] as const) {
    const w = number(name, v[name], 0);
    if (w !== 0) regularizers.push(make(w));
  }
  const steps = number('steps', v.steps, 512, (x) => Number.isInteger(x) && x >= 0);
  const strip = number('strip', v.strip, 0, (x) => Number.isInteger(x) && x >= 0);
  const threads = v.threads !== undefined ? number('threads', v.threads, 0, positiveInt) : undefined;
  const out = v.out ?? 'cnnlens-out/visualize.png';
  if (!out.toLowerCase().endsWith('.png')) fail('USAGE', `--out must name a .png file, got '${out}'.`);
  const options = {
    steps, batch, objective, regularizers,
    lr: number('lr', v.lr, 0.05, (x) => x > 0),
    optimizer: choice<OptimizerName>('optimizer', v.optimizer, ['adam', 'ascent'], 'adam'),
    param: choice<ParamKind>('param', v.param, ['fourier', 'pixel'], 'fourier'),
    squash: choice<Squash>('squash', v.squash, ['sigmoid', 'clamp'], 'sigmoid'),
    decorrelate: choice('decorrelate', v.decorrelate, ['yes', 'no'], 'yes') === 'yes',
    transforms: choice('transforms', v.transforms, ['standard', 'none'] as const, 'standard'),
    normalizeGradient: v['normalize-grad'] === true,
    seed: number('seed', v.seed, 0, Number.isInteger),
  };
  const model = await loadModelFor(v, io);
  const backend = await backendOf(deps);
  ensureDir(out);
  io.err(`objective: ${objective.toString()} (batch ${batch}, ${steps} steps)\n`);
  const snapshots = strip > 0 ? Array.from({ length: strip }, (_, k) => Math.round((k * steps) / Math.max(1, strip - 1))) : [];
  const r = await visualize(model, {
    ...options, backend, ...(threads ? { threads } : {}), snapshots,
    onProgress: (s, n, val) => progressLine(io, `visualize: step ${s}/${n}, objective ${val.toFixed(4)}`, s === n),
  });
  await writeRow(out, r.images, captions);
  const files: Record<string, string> = { image: out };
  if (strip > 0) {
    const stripFile = out.replace(/\.png$/i, '.strip.png');
    const rows = Array.from({ length: batch }, (_, b) => r.snapshots.map((s) => ({ image: toPicture(s.images, b), caption: `step ${s.step}` })));
    await writeFileAtomic(stripFile, encodePng(renderGrid(rows)));
    files.strip = stripFile;
  }
  const summary = {
    model: model.name, objective: r.objective, batch, steps, seed: options.seed,
    parametrization: { param: options.param, decorrelate: options.decorrelate, squash: options.squash },
    transforms: r.transforms, regularizers: regularizers.map((x) => ({ name: x.name, weight: x.weight })),
    optimizer: { name: options.optimizer, lr: options.lr },
    start: r.start, end: r.end, ms: Math.round(r.ms), files,
  };
  const jsonFile = out.replace(/\.png$/i, '.json');
  files.summary = jsonFile;
  await writeFileAtomic(jsonFile, `${JSON.stringify(summary, null, 2)}\n`);
  io.err(`objective ${r.start.map((x) => x.toFixed(4)).join(', ')} -> ${r.end.map((x) => x.toFixed(4)).join(', ')}; wrote ${out}\n`);
  if (v.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  return EXIT_OK;
}
