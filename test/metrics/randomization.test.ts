/** Rank correlation and SSIM against closed forms; the cascading randomization check on tiny-cnn. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readNpy } from '../../src/data/npy.js';
import { cascadingRandomization, parametrizedLayers, randomizeWeights } from '../../src/metrics/randomization.js';
import { spearman, ssim } from '../../src/metrics/similarity.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';

test('spearman: monotone maps correlate 1, reversed -1, ties averaged', () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // ranks (0.5, 0.5, 2) and (0, 1, 2): Pearson of those
  const r = spearman([5, 5, 7], [1, 2, 3]);
  assert.ok(Math.abs(r - Math.sqrt(3) / 2) < 1e-12);
});

test('ssim: identical maps (up to scale and offset) give 1; unrelated maps less', () => {
  const a = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i / 3));
  assert.ok(Math.abs(ssim(a, a.map((v) => 3 * v + 1), 10, 10) - 1) < 1e-9);
  assert.ok(ssim(a, Float32Array.from({ length: 100 }, (_, i) => Math.cos(i * 7.1)), 10, 10) < 0.5);
});

test('cascading randomization on tiny-cnn: the model is not mutated, maps lose resemblance with depth', { timeout: 120_000 }, async () => {
  const { model } = await loadImageModel(new URL('../../examples/tiny-cnn.onnx', import.meta.url).pathname);
  const x = readNpy(new Uint8Array(readFileSync(new URL('../../examples/chelsea-64.npy', import.meta.url))));
  const input = { type: 'float32' as const, dims: [...x.shape], data: x.data };
  const layers = parametrizedLayers(model);
  assert.ok(layers.length >= 2);
  const before = JSON.stringify(model.onnx.graph.initializers.map((t) => t.raw.slice(0, 16)));
  const r1 = randomizeWeights(model, new Set(layers[0]!.weights), 1);
  assert.notEqual(r1.onnx.graph.initializers, model.onnx.graph.initializers);
  assert.equal(JSON.stringify(model.onnx.graph.initializers.map((t) => t.raw.slice(0, 16))), before);
  const results = await cascadingRandomization(model, input, ['gradcam', 'gradient-x-input'], { backend: nodeBackend });
  for (const r of results) {
    assert.equal(r.depths.length, layers.length);
    assert.equal(r.maps.length, layers.length + 1);
    for (const d of r.depths) assert.ok(d.rankCorrelation >= -1 && d.rankCorrelation <= 1 && Number.isFinite(d.ssim));
    console.log(`${r.method}: ${r.depths.map((d) => `${d.depth}:${d.rankCorrelation.toFixed(2)}/${d.ssim.toFixed(2)}`).join(' ')}${r.flagged ? ' (flagged)' : ''}`);
  }
  // with every layer randomized, Grad-CAM no longer resembles the original
  assert.ok(results[0]!.depths.at(-1)!.rankCorrelation < 0.9);
});
