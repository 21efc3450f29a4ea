/**
 * `cnnlens search`: the dataset examples that activate each unit of a layer most, one pass for all
 * units, with a grid PNG per unit (pictures with the receptive field outlined, and the patches).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../errors.js';
import { fitToInput } from '../image/preprocess.js';
import type { ImageModel } from '../model/image-model.js';
import { resolveLayer } from '../model/layers.js';
import { loadImageModel } from '../model/load-file.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { encodePng } from '../render/png.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { Dataset } from '../data/dataset.js';
import { openDataset } from '../data/open-dataset.js';
import { receptiveFields, unitBox } from '../data/receptive-field.js';
import { checkUnits, searchDataset, unitShape, type UnitScore } from '../data/search.js';
import { renderUnitFigure } from '../data/search-render.js';
import { EXIT_OK, parseCommandArgs, processIO, requireOption, type CliIO } from './common.js';

const USAGE = `Usage: cnnlens search --model M --data D [--layer L] [--units LIST] [--top K] [--json]

Finds, for each unit of a layer, the dataset examples that activate it most (one pass over the data
for all units). A unit is a channel of a conv feature map (scored by its maximum over space, or its
mean) or one element of a dense layer. Writes a grid PNG per unit: the top pictures with the
receptive field of the strongest position outlined, and under them the patches that field covers.

Options:
  --model PATH      .onnx, .keras, .h5 or TF.js model.json
  --data D          a folder of images (sub-folders are classes), an idx file, a list of files
                    (.txt: one path per line, optional tab + class), or mnist:test, mnist:train,
                    fashion-mnist:test, fashion-mnist:train
  --layer NAME      tensor or layer name (default: the last conv feature map larger than 1x1)
  --units LIST      e.g. 0,3,10-19 (default: all units of the layer)
  --top K           examples per unit (default 9)
  --score S         max or mean over space, for conv units (default max)
  --out DIR         output folder (default ./cnnlens-out/search)
  --checkpoint F    checkpoint file: written as the search goes, resumed from when it matches
  --batch N         examples per forward pass (default 256)
  --no-figures      write the JSON summary only
  --visualize STEPS also optimize a picture for each unit (feature visualization, STEPS Adam steps,
                    e.g. 256) and write <layer>.examples-vs-optimization.png: per unit, its maximal
                    activation examples | its visualization by optimization (conv units; at most 64)
  --json            print the summary as JSON on stdout
  --threads N       ONNX Runtime threads (default: all cores)
  --spec FILE       input spec sidecar (range, mean, std, labels, ...)
  -h, --help        show this help
`;

export function parseUnits(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) fail('USAGE', `--units: '${part}' is neither a unit index nor a range like 10-19.`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) fail('USAGE', `--units: the range '${part}' runs backwards.`);
    for (let u = a; u <= b; u++) out.push(u);
  }
  if (out.length === 0) fail('USAGE', '--units lists no unit.');
  return out;
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail('USAGE', `--${name} must be a positive integer, got '${v}'.`);
  return n;
}

/** The tensor to search: a user's layer name (Keras names too), a tensor name, or the default layer. */
export function searchTensor(model: ImageModel, name: string | undefined): { name: string; tensor: string } {
  if (name === undefined) {
    const l = resolveLayer(model);
    return { name: l.name, tensor: l.tensor };
  }
  const tensor = model.layers?.get(name) ?? name;
  if (!model.shapes.has(tensor)) resolveLayer(model, name); // throws with the list of feature maps
  unitShape(model, tensor);
  return { name, tensor };
}

export function labelName(model: ImageModel, dataset: Dataset, label: number): string | undefined {
  if (label < 0) return undefined;
  return dataset.classes?.[label] ?? model.labels?.[label] ?? String(label);
}

export async function searchCommand(argv: string[], io: CliIO = processIO, deps: { backend?: RuntimeBackend } = {}): Promise<number> {
  const { values: v } = parseCommandArgs('search', argv, {
    model: { type: 'string' }, data: { type: 'string' }, layer: { type: 'string' }, units: { type: 'string' },
    top: { type: 'string' }, score: { type: 'string' }, out: { type: 'string' }, checkpoint: { type: 'string' },
    batch: { type: 'string' }, 'no-figures': { type: 'boolean' }, visualize: { type: 'string' }, json: { type: 'boolean' }, threads: { type: 'string' },
    spec: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, false);
  if (v.help) {
    io.out(USAGE);
    return EXIT_OK;
  }
  const modelPath = requireOption('search', 'model', v.model);
  const dataSpec = requireOption('search', 'data', v.data);
  const score = (v.score ?? 'max') as UnitScore;
  if (score !== 'max' && score !== 'mean') fail('USAGE', `--score must be max or mean, got '${v.score}'.`);
  const top = positiveInt('top', v.top, 9);
  const batch = positiveInt('batch', v.batch, 256);
  const threads = v.threads === undefined ? undefined : positiveInt('threads', v.threads, 1);
  const outDir = v.out ?? join('cnnlens-out', 'search');
  const backend = deps.backend ?? (await import('../runtime/node-backend.js')).nodeBackend;
  const { model, notes } = await loadImageModel(modelPath, v.spec ? { specFile: v.spec } : {});
  for (const n of notes) io.err(`${n}\n`);
  const layer = searchTensor(model, v.layer);
  const shape = unitShape(model, layer.tensor);
  const units = v.units ? parseUnits(v.units) : undefined;
  // checked before anything is written, so a bad --units leaves no output folder behind
  if (units) checkUnits(units, shape[0]!, layer.tensor);
  const dataset = await openDataset(dataSpec);
  io.err(`layer: ${layer.name} [${shape.join('x')}], ${units?.length ?? shape[0]} units; data: ${dataset.name}, ${dataset.length} pictures\n`);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    fail('IO', `cannot create the output folder '${outDir}': ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  let lastShown = 0;
  const result = await searchDataset(model, dataset, {
    tensor: layer.tensor,
    ...(units ? { units } : {}),
    top,
    score,
    batch,
    ...(v.checkpoint ? { checkpoint: v.checkpoint } : {}),
    run: { backend, ...(threads ? { threads } : {}) },
    onProgress: (done, total) => {
      const now = performance.now();
      if (done < total && now - lastShown < (tty ? 200 : 5000)) return;
      lastShown = now;
      const rate = done / Math.max(1e-3, (now - t0) / 1000);
      const bar = '#'.repeat(Math.round((done / total) * 30)).padEnd(30, '.');
      io.err(`${tty ? '\r' : ''}search [${bar}] ${done}/${total} (${rate.toFixed(0)} images/s)${tty ? '\x1b[K' : '\n'}`);
    },
  });
  if (tty) io.err('\n');
  if (result.resumedFrom > 0) io.err(`resumed from the checkpoint at picture ${result.resumedFrom}\n`);

  const files: Record<number, string> = {};
  if (!v['no-figures']) {
    const fields = shape.length === 3 ? receptiveFields(model).get(layer.tensor) : undefined;
    if (shape.length === 3 && !fields) io.err(`note: no receptive field can be computed for ${layer.name}; the figures show whole pictures\n`);
    const group = 64;
    for (let g = 0; g < result.units.length; g += group) {
      const chunk = result.units.slice(g, g + group);
      const pictures = await dataset.picturesAt([...new Set(chunk.flatMap((u) => u.top.map((e) => e.index)))]);
      const fitted = new Map([...pictures].map(([i, p]) => [i, fitToInput(p.image, model.input).image]));
      for (const u of chunk) {
        const items = u.top.map((entry) => ({
          entry,
          picture: fitted.get(entry.index)!,
          ...(fields && entry.y >= 0 ? { box: unitBox(fields, entry.y, entry.x, model.input.height, model.input.width) } : {}),
          ...(pictures.get(entry.index)!.label >= 0 ? { label: labelName(model, dataset, pictures.get(entry.index)!.label)! } : {}),
        }));
        const png = encodePng(renderUnitFigure(`${layer.name} unit ${u.unit}: top ${u.top.length} by ${score}`, items));
        const file = join(outDir, `${fileStem(layer.name)}.unit-${u.unit}.png`);
        await writeFileAtomic(file, png);
        files[u.unit] = file;
      }
    }
  }
  let comparison: string | undefined;
  if (v.visualize !== undefined) {
    if (shape.length !== 3) fail('USAGE', '--visualize needs a conv layer: it optimizes a picture for a channel.');
    if (result.units.length > 64) fail('USAGE', `--visualize optimizes one picture per unit: choose at most 64 units with --units (got ${result.units.length}).`);
    const steps = positiveInt('visualize', v.visualize, 256);
    const { visualize } = await import('../featurevis/visualize.js');
    const { channel, sum } = await import('../featurevis/objectives.js');
    const { toPicture } = await import('../featurevis/image-batch.js');
    const { renderGrid } = await import('../render/grid.js');
    const { resizeNearest } = await import('../data/search-render.js');
    const rows = [];
    const all = await dataset.picturesAt([...new Set(result.units.flatMap((u) => u.top.map((e) => e.index)))]);
    const chunk = 8;
    for (let g = 0; g < result.units.length; g += chunk) {
      const us = result.units.slice(g, g + chunk);
      const vis = await visualize(model, { backend, ...(threads ? { threads } : {}), objective: sum(...us.map((u, b) => channel(layer.tensor, u.unit).forExample(b))), batch: us.length, steps, seed: 0 });
      for (const [b, u] of us.entries()) {
        const size = model.input.width;
        const scale = Math.max(1, Math.floor(84 / size));
        const big = (im: import('../image/types.js').RgbImage) => (scale > 1 ? resizeNearest(im, im.width * scale, im.height * scale) : im);
        const examples = u.top.map((e) => ({ image: big(fitToInput(all.get(e.index)!.image, model.input).image), caption: `#${e.index}` }));
        rows.push([{ image: big(toPicture(vis.images, b)), caption: `unit ${u.unit}: optimized` }, ...examples]);
      }
    }
    comparison = join(outDir, `${fileStem(layer.name)}.examples-vs-optimization.png`);
    await writeFileAtomic(comparison, encodePng(renderGrid(rows, { title: `${layer.name}: visualization by optimization (left) | maximal activation examples`, padding: 6 })));
    io.err(`wrote ${comparison}\n`);
  }
  const summary = {
    model: model.name,
    ...(comparison ? { comparison } : {}),
    data: dataset.name,
    layer: { name: layer.name, tensor: layer.tensor, shape },
    score,
    top,
    pictures: result.done,
    seconds: Math.round(result.seconds * 100) / 100,
    imagesPerSecond: Math.round((result.done - result.resumedFrom) / Math.max(1e-9, result.seconds)),
    units: result.units.map((u) => ({ unit: u.unit, ...(files[u.unit] ? { figure: files[u.unit] } : {}), top: u.top })),
  };
  const summaryFile = join(outDir, `${fileStem(layer.name)}.search.json`);
  await writeFileAtomic(summaryFile, `${JSON.stringify(summary)}\n`);
  io.err(`searched ${result.done} pictures in ${summary.seconds} s (${summary.imagesPerSecond} images/s); wrote ${Object.keys(files).length} figures and ${summaryFile}\n`);
  if (v.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  return EXIT_OK;
}

/** A layer name as a file name: '/relu4/Relu_output_0' → 'relu4_Relu_output_0'. */
export function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || 'layer';
}
