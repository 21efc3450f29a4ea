/**
 * Embeddings of the trained MNIST CNN's 64-d features (the input of its dense layer) for the 10,000
 * MNIST test pictures: in the 2-D maps of Barnes-Hut t-SNE and of UMAP, a 5-nearest-neighbour vote
 * recovers the label of at least 90% of the points (the classes separate). Also: the ONNX Runtime
 * neighbour search equals a brute-force search in JavaScript.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDataset } from '../../src/data/open-dataset.js';
import { knn } from '../../src/data/embed/knn.js';
import { knnAccuracy } from '../../src/data/embed/render.js';
import { tsneFromNeighbours } from '../../src/data/embed/tsne.js';
import { umap } from '../../src/data/embed/umap.js';
import { layerVectors, type LayerVectors } from '../../src/data/embed/vectors.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { Random } from '../../src/util/random.js';

const root = new URL('../../', import.meta.url).pathname;
let cached: LayerVectors | undefined;
async function features(): Promise<LayerVectors> {
  if (cached) return cached;
  const { model } = await loadImageModel(join(root, 'models', 'mnist-cnn.onnx'));
  cached = await layerVectors(model, await openDataset('mnist:test'), '/Flatten_output_0', { backend: nodeBackend });
  return cached;
}

test('the neighbours found in ONNX Runtime are the brute-force neighbours', async () => {
  const r = new Random(5);
  const n = 700, d = 13, k = 20;
  const x = Float32Array.from({ length: n * d }, () => r.normal());
  const nb = await knn(x, n, d, k, nodeBackend, { block: 128 });
  for (let q = 0; q < n; q += 37) {
    const all = Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let t = 0; t < d; t++) s += (x[q * d + t]! - x[j * d + t]!) ** 2;
      return [s, j] as const;
    }).filter(([, j]) => j !== q).sort((a, b) => a[0] - b[0]);
    assert.deepEqual([...nb.indices.subarray(q * k, (q + 1) * k)], all.slice(0, k).map((p) => p[1]));
    for (let j = 0; j < k; j++) assert.ok(Math.abs(nb.dist2[q * k + j]! - all[j]![0]) < 1e-3 * Math.max(1, all[j]![0]));
  }
});

test('t-SNE of 10,000 MNIST test embeddings: 5-NN in the map >= 90%', async () => {
  const v = await features();
  const nb = await knn(v.vectors, v.n, v.dim, 90, nodeBackend);
  const t0 = process.cpuUsage();
  const y = tsneFromNeighbours(nb, v.n, { seed: 1 });
  const cpu = process.cpuUsage(t0);
  const acc = knnAccuracy(y, v.labels, 5);
  console.log(`t-SNE: 5-NN accuracy ${(acc * 100).toFixed(2)}%, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`);
  assert.ok(acc >= 0.9, `5-NN accuracy in the t-SNE map ${acc}`);
  // seeded: the same map again
  assert.deepEqual(tsneFromNeighbours(nb, v.n, { seed: 1, iterations: 30 }), tsneFromNeighbours(nb, v.n, { seed: 1, iterations: 30 }));
});

test('UMAP of 10,000 MNIST test embeddings: 5-NN in the map >= 90%', async () => {
  const v = await features();
  const y = await umap(v.vectors, v.n, v.dim, { seed: 1 });
  const acc = knnAccuracy(y, v.labels, 5);
  console.log(`UMAP: 5-NN accuracy ${(acc * 100).toFixed(2)}%`);
  assert.ok(acc >= 0.9, `5-NN accuracy in the UMAP map ${acc}`);
});
