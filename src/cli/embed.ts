/**
 * `cnnlens embed`: a layer's activations over a dataset reduced to 2-D with Barnes-Hut t-SNE or UMAP;
 * a scatter plot PNG, an interactive HTML page and the coordinates as JSON.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../errors.js';
import { fitToInput } from '../image/preprocess.js';
import { loadImageModel } from '../model/load-file.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { encodePng } from '../render/png.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { openDataset } from '../data/open-dataset.js';
import { knnAccuracy, renderEmbeddingHtml, renderScatter, spriteSheet } from '../data/embed/render.js';
import { tsne } from '../data/embed/tsne.js';
import { umap } from '../data/embed/umap.js';
import { layerVectors } from '../data/embed/vectors.js';
import type { RgbImage } from '../image/types.js';
import { EXIT_OK, parseCommandArgs, processIO, requireOption, type CliIO } from './common.js';
import { fileStem } from './search.js';

const USAGE = `Usage: cnnlens embed --model M --data D [--layer L] [--method tsne|umap] [--json]

Maps the dataset's activations at a layer to 2-D: Barnes-Hut t-SNE (van der Maaten 2014) or UMAP
(umap-js). A conv feature map contributes its spatial mean per channel. Writes <layer>.<method>.png
(scatter plot coloured by label, misclassified points ringed), <layer>.<method>.html (interactive:
colour by label or prediction, pictures on hover) and <layer>.<method>.json (coordinates, labels,
predictions, timings).

Options:
  --model PATH        .onnx, .keras, .h5 or TF.js model.json
  --data D            a folder of images, an idx file, a list of files, or mnist:test, mnist:train,
                      fashion-mnist:test, fashion-mnist:train
  --layer NAME        tensor name (default: the input of the last dense layer when the model ends in
                      global pooling + dense, else the last conv feature map)
  --method M          tsne (default) or umap
  --limit N           embed the first N pictures only
  --perplexity P      t-SNE perplexity (default 30)
  --tsne-method R     t-SNE repulsive forces: bh (Barnes-Hut quadtree, default) or fft (FFT-accelerated
                      interpolation, FIt-SNE; its grid grows with the map, so it is slower than bh
                      for 10,000 points here)
  --neighbours K      UMAP neighbours (default 15)
  --seed S            random seed (default 0)
  --out DIR           output folder (default ./cnnlens-out/embed)
  --json              print the summary as JSON on stdout
  --threads N         ONNX Runtime threads (default: all cores)
  --spec FILE         input spec sidecar
  -h, --help          show this help
`;

function num(name: string, v: string | undefined, dflt: number, integer = true): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < (integer ? 1 : 0)) fail('USAGE', `--${name} must be a ${integer ? 'positive integer' : 'non-negative number'}, got '${v}'.`);
  return n;
}

export async function embedCommand(argv: string[], io: CliIO = processIO, deps: { backend?: RuntimeBackend } = {}): Promise<number> {
  const { values: v } = parseCommandArgs('embed', argv, {
    model: { type: 'string' }, data: { type: 'string' }, layer: { type: 'string' }, method: { type: 'string' },
    limit: { type: 'string' }, perplexity: { type: 'string' }, 'tsne-method': { type: 'string' }, neighbours: { type: 'string' }, seed: { type: 'string' },
    out: { type: 'string' }, json: { type: 'boolean' }, threads: { type: 'string' }, spec: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, false);
  if (v.help) {
    io.out(USAGE);
    return EXIT_OK;
  }
  const method = v.method ?? 'tsne';
  if (method !== 'tsne' && method !== 'umap') fail('USAGE', `--method must be tsne or umap, got '${method}'.`);
  const repulsion = v['tsne-method'] ?? 'bh';
  if (repulsion !== 'bh' && repulsion !== 'fft') fail('USAGE', `--tsne-method must be bh or fft, got '${repulsion}'.`);
  const modelPath = requireOption('embed', 'model', v.model);
  const dataSpec = requireOption('embed', 'data', v.data);
  const threads = v.threads === undefined ? undefined : num('threads', v.threads, 1);
  const seed = v.seed === undefined ? 0 : num('seed', v.seed, 0, false);
  const outDir = v.out ?? join('cnnlens-out', 'embed');
  const backend = deps.backend ?? (await import('../runtime/node-backend.js')).nodeBackend;
  const { model, notes } = await loadImageModel(modelPath, v.spec ? { specFile: v.spec } : {});
  for (const n of notes) io.err(`${n}\n`);
  const tensor = v.layer ? (model.layers?.get(v.layer) ?? v.layer) : defaultEmbedLayer(model);
  const dataset = await openDataset(dataSpec);
  const limit = v.limit === undefined ? dataset.length : Math.min(dataset.length, num('limit', v.limit, 1));
  io.err(`layer: ${tensor}; data: ${dataset.name}, ${limit} pictures; method: ${method}\n`);
  const tty = process.stderr.isTTY;
  const progress = (what: string) => {
    let last = 0;
    return (done: number, total: number) => {
      const now = performance.now();
      if (done < total && now - last < (tty ? 200 : 5000)) return;
      last = now;
      io.err(`${tty ? '\r' : ''}${what} [${'#'.repeat(Math.round((done / total) * 30)).padEnd(30, '.')}] ${done}/${total}${tty ? '\x1b[K' : '\n'}`);
    };
  };
  const vec = await layerVectors(model, dataset, tensor, { backend, ...(threads ? { threads } : {}), limit, onProgress: progress('activations') });
  if (tty) io.err('\n');
  const t0 = performance.now();
  const points = method === 'tsne'
    ? await tsne(vec.vectors, vec.n, vec.dim, backend, { seed, repulsion, perplexity: num('perplexity', v.perplexity, 30, false), onProgress: progress('t-SNE') })
    : await umap(vec.vectors, vec.n, vec.dim, { seed, neighbours: num('neighbours', v.neighbours, 15), onProgress: progress('UMAP') });
  if (tty) io.err('\n');
  const reduceSeconds = (performance.now() - t0) / 1000;
  const classes = dataset.classes ?? model.labels ?? Array.from({ length: model.output.classes }, (_, i) => String(i));
  const plot = { points, labels: vec.labels, predictions: vec.predictions, classes, title: `${model.name}, ${tensor} (${vec.dim}-d), ${dataset.name}: ${method === 'tsne' ? 't-SNE' : 'UMAP'} of ${vec.n} pictures` };
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    fail('IO', `cannot create the output folder '${outDir}': ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
  const stem = join(outDir, `${fileStem(tensor)}.${method}`);
  await writeFileAtomic(`${stem}.png`, encodePng(renderScatter(plot)));
  // thumbnails: the pictures the model saw, at most 32 pixels a side
  const cell = Math.min(32, Math.max(model.input.height, model.input.width));
  const thumbs: RgbImage[] = [];
  for await (const b of dataset.batches(512)) {
    for (const im of b.images) if (thumbs.length < vec.n) thumbs.push(fitToInput(im, { ...model.input, height: cell, width: cell, resize: 'stretch' }).image);
    if (thumbs.length >= vec.n) break;
  }
  const sheet = spriteSheet(thumbs, cell);
  await writeFileAtomic(`${stem}.html`, renderEmbeddingHtml(plot, { ...sheet, cell }));
  const hasLabels = vec.labels.some((l) => l >= 0);
  const summary = {
    model: model.name,
    data: dataset.name,
    layer: tensor,
    dim: vec.dim,
    method,
    pictures: vec.n,
    seconds: { activations: round(vec.seconds), reduce: round(reduceSeconds) },
    ...(hasLabels ? { accuracy: vec.labels.reduce((s, l, i) => s + (l === vec.predictions[i] ? 1 : 0), 0) / vec.n, knn5InMap: knnAccuracy(points, vec.labels, 5) } : {}),
    files: { png: `${stem}.png`, html: `${stem}.html`, json: `${stem}.json` },
  };
  await writeFileAtomic(`${stem}.json`, `${JSON.stringify({ ...summary, x: Array.from({ length: vec.n }, (_, i) => points[2 * i]), y: Array.from({ length: vec.n }, (_, i) => points[2 * i + 1]), labels: [...vec.labels], predictions: [...vec.predictions] })}\n`);
  io.err(`activations ${summary.seconds.activations} s, ${method} ${summary.seconds.reduce} s${hasLabels ? `; 5-NN accuracy in the map ${(summary.knn5InMap! * 100).toFixed(1)}%` : ''}; wrote ${stem}.{png,html,json}\n`);
  if (v.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  return EXIT_OK;
}

function round(s: number): number {
  return Math.round(s * 100) / 100;
}

/** The input of the classifier's last Gemm/MatMul when it has a [N, C] input, else the last conv map. */
function defaultEmbedLayer(model: import('../model/image-model.js').ImageModel): string {
  const nodes = model.onnx.graph.nodes;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const nd = nodes[i]!;
    if (nd.opType === 'Gemm' || nd.opType === 'MatMul') {
      const s = model.shapes.get(nd.inputs[0]!)?.shape;
      if (s && s.length === 2 && typeof s[1] === 'number') return nd.inputs[0]!;
    }
  }
  const maps = [...model.shapes].filter(([, s]) => s.shape.length === 4);
  if (!maps.length) fail('UNKNOWN_LAYER', `${model.name} has no dense or conv layer to embed; give --layer.`);
  return maps[maps.length - 1]![0];
}
