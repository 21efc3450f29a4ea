/**
 * Dataset views, timed: dataset search over the 10,000 MNIST test images for all 64 units of the
 * trained MNIST CNN's last conv layer (against a straightforward PyTorch loop, bench/datasets_torch.py,
 * same threads); the 64-d embedding vectors of the 10,000 images; t-SNE (neighbours + Barnes-Hut
 * optimization) and UMAP of those 10,000 points. Wall-clock and CPU seconds are both reported: on a
 * shared machine the CPU time says what the work costs.
 *
 * t-SNE runs twice on the same neighbours: repulsive forces by Barnes-Hut and by FFT interpolation.
 *
 * Run: npx tsx bench/datasets.bench.ts [--threads 1]   (writes bench/results/datasets.json)
 *      npx tsx bench/datasets.bench.ts --tsne-only     (the t-SNE part; updates its entry in that file)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDataset } from '../src/data/open-dataset.js';
import { searchDataset } from '../src/data/search.js';
import { knn } from '../src/data/embed/knn.js';
import { knnAccuracy } from '../src/data/embed/render.js';
import { tsneFromNeighbours } from '../src/data/embed/tsne.js';
import { umap } from '../src/data/embed/umap.js';
import { layerVectors } from '../src/data/embed/vectors.js';
import { loadImageModel } from '../src/model/load-file.js';
import { nodeBackend } from '../src/runtime/node-backend.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' }, 'tsne-only': { type: 'boolean', default: false } } });
const threads = Number(values.threads);
const root = new URL('../', import.meta.url).pathname;

async function timed<T>(f: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const { model } = await loadImageModel(join(root, 'models', 'mnist-cnn.onnx'));
const data = await openDataset('mnist:test');
const run = { backend: nodeBackend, threads };
const r = (x: number) => Math.round(x * 100) / 100;
const resultsFile = join(root, 'bench', 'results', 'datasets.json');
const machine = `${threads} ONNX Runtime / PyTorch thread(s); load average at start ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`;

async function tsneBoth(v: { vectors: Float32Array; n: number; dim: number; labels: Int32Array }) {
  const nb = await timed(() => knn(v.vectors, v.n, v.dim, 90, nodeBackend, { threads }));
  const bh = await timed(() => tsneFromNeighbours(nb.value, v.n, { seed: 1, repulsion: 'bh' }));
  const fft = await timed(() => tsneFromNeighbours(nb.value, v.n, { seed: 1, repulsion: 'fft' }));
  const part = (t: { value: Float64Array; wall: number; cpu: number }) => ({ optimizeSeconds: r(t.wall), optimizeCpuSeconds: r(t.cpu), knn5InMap: r(knnAccuracy(t.value, v.labels, 5) * 100) / 100 });
  return { points: v.n, iterations: 750, neighboursSeconds: r(nb.wall), neighboursCpuSeconds: r(nb.cpu), barnesHut: part(bh), fft: part(fft), machine };
}

if (values['tsne-only']) {
  const v = await layerVectors(model, data, '/Flatten_output_0', run);
  const tsne = await tsneBoth(v);
  console.log(JSON.stringify(tsne, null, 2));
  const old = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown> : {};
  writeFileSync(resultsFile, `${JSON.stringify({ ...old, tsne }, null, 2)}\n`);
  process.exit(0);
}
// warm-up: compile the forward plan once
await searchDataset(model, data, { tensor: '/relu4/Relu_output_0', run, stopAfter: 256 });
const search = await timed(() => searchDataset(model, data, { tensor: '/relu4/Relu_output_0', top: 9, batch: 256, run }));
const torch = JSON.parse(execFileSync('/usr/bin/python3', [join(root, 'bench', 'datasets_torch.py'), String(threads)], { encoding: 'utf8' }).trim().split('\n').pop()!) as { seconds: number; imagesPerSecond: number };
const vec = await timed(() => layerVectors(model, data, '/Flatten_output_0', run));
const v = vec.value;
const ts = await tsneBoth(v);
const um = await timed(() => umap(v.vectors, v.n, v.dim, { seed: 1 }));

const result = {
  machine,
  search: { images: 10000, units: 64, layer: '/relu4/Relu_output_0 [64x7x7]', seconds: r(search.wall), cpuSeconds: r(search.cpu), imagesPerSecond: Math.round(10000 / search.wall), torchSeconds: r(torch.seconds), torchImagesPerSecond: Math.round(torch.imagesPerSecond), ratioTorchOverCnnlens: r(torch.seconds / search.wall) },
  embedding: { images: 10000, dim: v.dim, seconds: r(vec.wall), cpuSeconds: r(vec.cpu), imagesPerSecond: Math.round(10000 / vec.wall) },
  tsne: ts,
  umap: { points: 10000, seconds: r(um.wall), cpuSeconds: r(um.cpu) },
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
