/**
 * `cnnlens explain`: for each input and method, an overlay PNG, the raw map as .npy, a side-by-side
 * figure and a JSON summary; an HTML report when there is more than one input. Everything for an
 * input is computed before any of its files is written, and every file is written atomically.
 */
import { mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { readNpyFile, writeNpyFileAtomic } from '../data/npy-file.js';
import { toHostTensor } from '../data/npy.js';
import { fail } from '../errors.js';
import { tensorToImage } from '../image/from-tensor.js';
import { fitToInput, preprocess } from '../image/preprocess.js';
import { readImageFile } from '../image/read-file.js';
import type { RgbImage } from '../image/types.js';
import { explain, type ExplainResult } from '../methods/explain.js';
import { getMethod } from '../methods/registry.js';
import type { ImageModel } from '../model/image-model.js';
import { resolveLayer } from '../model/layers.js';
import { loadImageModel } from '../model/load-file.js';
import { resolveTarget, type TargetSpec } from '../model/targets.js';
import type { HostTensor, RuntimeBackend } from '../runtime/backend.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { EXIT_OK, processIO, requireFiles, type CliIO } from './common.js';
import { explainUsage, parseExplainArgs, type ExplainArgs } from './explain-args.js';
import { renderInput, renderReport, type RenderedInput } from './explain-render.js';

/** One example to explain: its display name, the picture the model sees, and the model input. */
export interface Example {
  readonly name: string;
  readonly source: string;
  readonly picture: RgbImage;
  readonly input: HostTensor;
}

async function readExamples(path: string, model: ImageModel): Promise<Example[]> {
  const stem = basename(path, extname(path));
  if (extname(path).toLowerCase() === '.npy') {
    let t = toHostTensor(await readNpyFile(path));
    const s = model.input;
    const one = s.layout === 'NCHW' ? [s.channels, s.height, s.width] : [s.height, s.width, s.channels];
    if (t.dims.length === 3) t = { ...t, dims: [1, ...t.dims] };
    if (t.dims.length !== 4 || one.some((d, i) => d !== t.dims[i + 1])) {
      fail('INPUT_SHAPE', `'${path}' has shape [${t.dims.join(', ')}], but ${model.name} takes [N, ${one.join(', ')}] (${s.layout}).`);
    }
    if (t.type !== 'float32') {
      if (t.type !== 'float64') fail('INPUT_VALUE', `'${path}' holds ${t.type}; give float32 or float64 values.`);
      t = { type: 'float32', dims: t.dims, data: Float32Array.from(t.data as Float64Array) };
    }
    const n = t.dims[0]!;
    const per = t.data.length / n;
    return Array.from({ length: n }, (_, b) => {
      const input: HostTensor = { type: 'float32', dims: [1, ...t.dims.slice(1)], data: (t.data as Float32Array).slice(b * per, (b + 1) * per) };
      return { name: n > 1 ? `${stem}-${b}` : stem, source: path, picture: tensorToImage(input, 0, s), input };
    });
  }
  const image = await readImageFile(path);
  const picture = fitToInput(image, model.input).image;
  return [{ name: stem, source: path, picture, input: preprocess([image], model.input) }];
}

export interface ExplainCommandDeps {
  backend?: RuntimeBackend;
}

export interface InputSummary {
  readonly input: string;
  readonly predictions: ExplainResult['predictions'][number];
  readonly target: ExplainResult['targets'][number];
  readonly files: Readonly<Record<string, string>>;
  readonly timingsMs: Readonly<Record<string, number>>;
  /** per method, the values it reports beside its map (e.g. IG's completeness delta) */
  readonly values?: Readonly<Record<string, Readonly<Record<string, number | undefined>>>>;
}

/** `cnnlens explain ...`; returns the exit code, throws CnnlensError on failure. */
export async function explainCommand(argv: string[], io: CliIO = processIO, deps: ExplainCommandDeps = {}): Promise<number> {
  const args = parseExplainArgs(argv);
  if (!args) {
    io.out(explainUsage());
    return EXIT_OK;
  }
  requireFiles(args.inputs);
  const backend = deps.backend ?? (await import('../runtime/node-backend.js')).nodeBackend;
  const { model, notes } = await loadImageModel(args.modelPath, {
    spec: args.spec,
    ...(args.specFile ? { specFile: args.specFile } : {}),
    ...(args.labelsFile ? { labelsFile: args.labelsFile } : {}),
  });
  for (const n of notes) io.err(`${n}\n`);
  // settle the target and the layer before any input is read or any file written
  const target: TargetSpec = args.target === undefined ? 'top' : args.versus !== undefined ? { of: args.target, minus: args.versus } : args.target;
  resolveTarget(model, target);
  const layers = args.methods.some((m) => getMethod(m).needsLayer) ? (args.layers.length ? args.layers : [undefined]).map((l) => resolveLayer(model, l)) : [];
  for (const layer of layers) io.err(`layer: ${layer.name} [${layer.shape.slice(1).join('x')}]${layer.isDefault ? ' (default: the last conv feature map larger than 1x1)' : ''}\n`);
  if (layers.length > 1) io.err('CAM maps are averaged over these layers\n');
  const layer = layers[0];
  try {
    mkdirSync(args.outDir, { recursive: true });
  } catch (e) {
    fail('IO', `cannot create the output folder '${args.outDir}': ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }

  const summaries: InputSummary[] = [];
  const rendered: RenderedInput[] = [];
  const computed: { example: Example; result: ExplainResult }[] = [];
  const progress = args.inputs.length > 1;
  for (const [i, path] of args.inputs.entries()) {
    if (progress) io.err(`${process.stderr.isTTY ? '\r' : ''}explain: [${i + 1}/${args.inputs.length}] ${path}${process.stderr.isTTY ? '\x1b[K' : '\n'}`);
    for (const example of await readExamples(path, model)) {
      const result = await explain(model, example.input, {
        backend,
        methods: args.methods,
        target,
        ...(layers.length ? { layer: layers.map((l) => l.name) } : {}),
        methodOptions: args.methodOptions,
        ...(args.threads ? { threads: args.threads } : {}),
        // multi-pass methods (IG steps, occlusion windows, ...) report their batches on a terminal
        ...(process.stderr.isTTY ? { onProgress: (done: number, total: number) => { if (total > 1) io.err(`\r  ${example.name}: ${done}/${total} passes\x1b[K${done === total ? '\r' : ''}`); } } : {}),
      });
      computed.push({ example, result });
      if (args.normalize === 'per-image') await writeOutputs(args, model, [computed.pop()!], io, summaries);
    }
  }
  if (progress && process.stderr.isTTY) io.err('\n');
  if (args.normalize === 'shared') await writeOutputs(args, model, computed, io, summaries);
  if (rendered.length > 1) {
    const report = join(args.outDir, 'report.html');
    await writeFileAtomic(report, renderReport(model, rendered));
    io.err(`wrote ${report}\n`);
  }
  const summary = {
    model: { name: model.name, source: model.source, input: model.input, output: model.output, ...(model.labels ? { labels: model.labels } : {}) },
    methods: args.methods,
    ...(layer ? { layer: { name: layer.name, tensor: layer.tensor, shape: layer.shape, default: layer.isDefault } } : {}),
    ...(layers.length > 1 ? { layers: layers.map((l) => ({ name: l.name, tensor: l.tensor, shape: l.shape })) } : {}),
    outDir: args.outDir,
    inputs: summaries,
  };
  if (args.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  return EXIT_OK;

  async function writeOutputs(a: ExplainArgs, m: ImageModel, items: { example: Example; result: ExplainResult }[], out: CliIO, into: InputSummary[]) {
    const pictures = renderInput(m, items, a);
    for (const [k, { example, result }] of items.entries()) {
      const files: Record<string, string> = {};
      const stem = join(a.outDir, example.name);
      for (const r of result.results) {
        await writeNpyFileAtomic((files[`${r.method}.npy`] = `${stem}.${r.method}.npy`), r.map);
        for (const [name, t] of Object.entries(r.extra?.maps ?? {})) await writeNpyFileAtomic((files[`${r.method}.${name}.npy`] = `${stem}.${r.method}.${name}.npy`), t);
        await writeFileAtomic((files[`${r.method}.png`] = `${stem}.${r.method}.png`), pictures[k]!.overlays[r.method]!);
      }
      await writeFileAtomic((files.figure = `${stem}.figure.png`), pictures[k]!.figure);
      const entry: InputSummary = {
        input: example.source,
        predictions: result.predictions[0]!,
        target: result.targets[0]!,
        files,
        timingsMs: { forward: round(result.forwardMs), ...Object.fromEntries(result.results.map((r) => [r.method, round(r.ms)])) },
        ...(result.results.some((r) => r.extra?.values) ? { values: Object.fromEntries(result.results.filter((r) => r.extra?.values).map((r) => [r.method, Object.fromEntries(Object.entries(r.extra!.values!).map(([k, v]) => [k, v[0]]))])) } : {}),
      };
      await writeFileAtomic((files.summary = `${stem}.json`), `${JSON.stringify({ ...entry, layer: result.layer?.name, model: m.name }, null, 2)}\n`);
      into.push(entry);
      rendered.push(pictures[k]!);
      if (!a.json) out.err(`${example.name}: ${result.targets[0]!.label} (p=${result.predictions[0]![0]!.probability.toFixed(3)} for top class ${result.predictions[0]![0]!.label}) -> ${stem}.*\n`);
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
