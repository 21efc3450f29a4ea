/**
 * `cnnlens invert IMAGE --layer L[,L...]`: feature inversion from each layer (what the layer keeps of
 * the picture), and `cnnlens project IMAGE --layer L --channel C`: the deconvnet projection of the
 * channel's strongest activation. Both write a PNG row (the picture first) and a JSON summary.
 */
import { basename, extname, join } from 'node:path';
import { fail } from '../errors.js';
import { fromPictures, imageBatch, type ImageBatch } from '../featurevis/image-batch.js';
import { invert } from '../featurevis/inversion.js';
import { projectUnit, signedToImage } from '../featurevis/projection.js';
import { fitToInput } from '../image/preprocess.js';
import { readImageFile } from '../image/read-file.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { EXIT_OK, parseCommandArgs, processIO, type CliIO } from './common.js';
import { backendOf, ensureDir, loadModelFor, number, positiveInt, progressLine, writeRow, type VisualizeCommandDeps } from './visualize.js';

export const INVERT_USAGE = `Usage: cnnlens invert IMAGE --layer L[,L...] [options]

Feature inversion: for each layer, optimizes an image whose representation at that layer matches the
picture's (Euclidean loss, total-variation prior, values kept in range), and reports its PSNR.

Options:
  --model FILE    the model (default: the default model)
  --spec FILE     a JSON sidecar describing the model's input
  --layer L,...   layers to invert from
  --steps N       optimization steps (default 300)
  --lr X          Adam's learning rate (default 0.03)
  --tv W          weight of the total-variation prior (default 0.05)
  --jitter PX     random shifts of up to PX pixels each step (default 0)
  --seed S        (default 0)
  --threads N     ONNX Runtime threads
  --out FILE.png  (default cnnlens-out/<image>.invert.png); the JSON goes beside it
  --json          print the JSON summary on stdout
`;

export const PROJECT_USAGE = `Usage: cnnlens project IMAGE --layer L --channel C [options]

Deconvnet projection (Zeiler & Fergus 2014): the strongest activation of the channel for the picture,
alone, mapped back to pixels through the deconvnet (grey = 0).

Options:
  --model FILE    the model (default: the default model)
  --spec FILE     a JSON sidecar describing the model's input
  --threads N     ONNX Runtime threads
  --out FILE.png  (default cnnlens-out/<image>.project.png); the JSON goes beside it
  --json          print the JSON summary on stdout
`;

async function readPicture(path: string, model: Awaited<ReturnType<typeof loadModelFor>>): Promise<ImageBatch> {
  return fromPictures([fitToInput(await readImageFile(path), model.input).image], model.input.channels);
}

function concat(parts: readonly ImageBatch[]): ImageBatch {
  const { c, h, w } = parts[0]!;
  const out = imageBatch(parts.reduce((a, p) => a + p.n, 0), c, h, w);
  let at = 0;
  for (const p of parts) { out.data.set(p.data, at); at += p.data.length; }
  return out;
}

export async function invertCommand(argv: string[], io: CliIO = processIO, deps: VisualizeCommandDeps = {}): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('invert', argv, {
    model: { type: 'string' }, spec: { type: 'string' }, layer: { type: 'string' }, steps: { type: 'string' }, lr: { type: 'string' },
    tv: { type: 'string' }, jitter: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' },
    out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, true);
  if (v.help) {
    io.out(INVERT_USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) fail('USAGE', `cnnlens invert takes one image, got ${positionals.length}. Run 'cnnlens invert --help'.`);
  if (!v.layer) fail('USAGE', "cnnlens invert needs --layer. Run 'cnnlens invert --help'.");
  const path = positionals[0]!;
  const layers = v.layer.split(',').map((s) => s.trim()).filter((s) => s);
  const out = v.out ?? join('cnnlens-out', `${basename(path, extname(path))}.invert.png`);
  if (!out.toLowerCase().endsWith('.png')) fail('USAGE', `--out must name a .png file, got '${out}'.`);
  const options = {
    steps: number('steps', v.steps, 300, positiveInt),
    lr: number('lr', v.lr, 0.03, (x) => x > 0),
    tv: number('tv', v.tv, 0.05, (x) => x >= 0),
    jitter: number('jitter', v.jitter, 0, (x) => Number.isInteger(x) && x >= 0),
    seed: number('seed', v.seed, 0, Number.isInteger),
  };
  const threads = v.threads !== undefined ? number('threads', v.threads, 0, positiveInt) : undefined;
  const model = await loadModelFor(v, io);
  const x = await readPicture(path, model);
  const backend = await backendOf(deps);
  ensureDir(out);
  const results = [];
  for (const layer of layers) {
    const r = await invert(model, x, {
      ...options, backend, layer, ...(threads ? { threads } : {}),
      onProgress: (s, n, val) => progressLine(io, `invert ${layer}: step ${s}/${n}, objective ${val.toFixed(5)}`, s === n),
    });
    io.err(`${layer}: PSNR ${r.psnr[0]!.toFixed(2)} dB\n`);
    results.push({ layer, r });
  }
  await writeRow(out, concat([x, ...results.map((e) => e.r.images)]), ['input', ...results.map((e) => `${e.layer} ${e.r.psnr[0]!.toFixed(1)} dB`)]);
  const jsonFile = out.replace(/\.png$/i, '.json');
  const summary = {
    model: model.name, input: path, ...options,
    layers: results.map(({ layer, r }) => ({ layer, psnrDb: r.psnr[0], start: r.start[0], end: r.end[0], ms: Math.round(r.ms) })),
    files: { image: out, summary: jsonFile },
  };
  await writeFileAtomic(jsonFile, `${JSON.stringify(summary, null, 2)}\n`);
  io.err(`wrote ${out}\n`);
  if (v.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  return EXIT_OK;
}

export async function projectCommand(argv: string[], io: CliIO = processIO, deps: VisualizeCommandDeps = {}): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('project', argv, {
    model: { type: 'string' }, spec: { type: 'string' }, layer: { type: 'string' }, channel: { type: 'string' }, threads: { type: 'string' },
    out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, true);
  if (v.help) {
    io.out(PROJECT_USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) fail('USAGE', `cnnlens project takes one image, got ${positionals.length}. Run 'cnnlens project --help'.`);
  if (!v.layer || v.channel === undefined) fail('USAGE', "cnnlens project needs --layer and --channel. Run 'cnnlens project --help'.");
  const path = positionals[0]!;
  const ch = number('channel', v.channel, 0, (x) => Number.isInteger(x) && x >= 0);
  const out = v.out ?? join('cnnlens-out', `${basename(path, extname(path))}.project.png`);
  if (!out.toLowerCase().endsWith('.png')) fail('USAGE', `--out must name a .png file, got '${out}'.`);
  const threads = v.threads !== undefined ? number('threads', v.threads, 0, positiveInt) : undefined;
  const model = await loadModelFor(v, io);
  const x = await readPicture(path, model);
  const backend = await backendOf(deps);
  ensureDir(out);
  const r = await projectUnit(model, x, v.layer, ch, { backend, ...(threads ? { threads } : {}) });
  await writeRow(out, concat([x, signedToImage(r.map)]), ['input', `${v.layer}:${ch} at (${r.position.x}, ${r.position.y})`]);
  const jsonFile = out.replace(/\.png$/i, '.json');
  const summary = { model: model.name, input: path, layer: v.layer, channel: ch, position: r.position, activation: r.activation, files: { image: out, summary: jsonFile } };
  await writeFileAtomic(jsonFile, `${JSON.stringify(summary, null, 2)}\n`);
  io.err(`strongest activation ${r.activation.toFixed(4)} at (${r.position.x}, ${r.position.y}); wrote ${out}\n`);
  if (v.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  return EXIT_OK;
}
