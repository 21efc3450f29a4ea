/**
 * 1,000 explanations of mixed methods in one process (tiny-cnn, 64x64): after a warm-up that compiles
 * every method's graphs, resident memory stays within 100 MB. Methods cycle over gradient, CAM,
 * integrated-gradient, rule-based, perturbation and smoothing families, with changing targets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readNpy } from '../../src/data/npy.js';
import { explain } from '../../src/methods/explain.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';

const METHODS = ['gradcam', 'saliency', 'integrated-gradients', 'guided-backprop', 'deeplift', 'lrp', 'gradcam++', 'occlusion', 'smoothgrad', 'scorecam', 'rise', 'gradient-x-input'];
const OPTIONS = { 'ig-steps': 16, samples: 4, masks: 32, window: 16, stride: 16, 'scorecam-top': 4 };

test('1,000 explanations of mixed methods keep RSS within 100 MB after warm-up', { timeout: 600_000 }, async (t) => {
  const { model } = await loadImageModel(new URL('../../examples/tiny-cnn.onnx', import.meta.url).pathname);
  const x = readNpy(new Uint8Array(readFileSync(new URL('../../examples/chelsea-64.npy', import.meta.url))));
  const input = { type: 'float32' as const, dims: [...x.shape], data: x.data };
  const known = new Set((await import('../../src/methods/registry.js')).methodIds());
  const methods = METHODS.filter((m) => known.has(m));
  const { getMethod } = await import('../../src/methods/registry.js');
  // each method gets the options it declares (a smoothed method also takes its base's, e.g. IG steps)
  const optionsOf = (m: string) => {
    const names = new Set((getMethod(m).options ?? []).map((o) => o.name));
    return Object.fromEntries(Object.entries(OPTIONS).filter(([k]) => names.has(k)));
  };
  const one = async (i: number) => {
    const method = methods[i % methods.length]!;
    const r = await explain(model, input, { backend: nodeBackend, methods: [method], target: i % 3 === 0 ? 'top' : (i % 10), methodOptions: optionsOf(method), threads: 1 });
    assert.equal(r.results[0]!.map.data.length > 0, true);
  };
  const t0 = performance.now();
  for (let i = 0; i < 5 * methods.length; i++) await one(i); // warm-up: every method's graphs compiled
  global.gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const total = 1000;
  for (let i = 0; i < total; i++) {
    await one(i);
    if (i % 50 === 0) peak = Math.max(peak, process.memoryUsage.rss());
  }
  const after = process.memoryUsage.rss();
  const grown = (Math.max(peak, after) - before) / 2 ** 20;
  t.diagnostic(`${total} explanations (${methods.join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s; RSS ${(before / 2 ** 20).toFixed(0)} MB after warm-up, peak growth ${grown.toFixed(1)} MB`);
  assert.ok(grown < 100, `RSS grew by ${grown.toFixed(1)} MB`);
});
