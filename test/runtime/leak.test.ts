/** 500 gradient runs in one process: resident memory must stay flat (growth < 50 MB after warm-up). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runGradientJob, releaseGradientSessions } from '../../src/autodiff/gradient-job.js';
import { readNpy } from '../../src/data/npy.js';
import { loadModel } from '../../src/onnx/load.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';

test('500 gradient runs grow RSS by less than 50 MB', async (t) => {
  const model = loadModel(new Uint8Array(readFileSync(new URL('../../examples/tiny-cnn.onnx', import.meta.url))));
  const input = readNpy(new Uint8Array(readFileSync(new URL('../../examples/chelsea-64.npy', import.meta.url))));
  const job = (k: number) => runGradientJob({
    model, modelPath: 'tiny-cnn.onnx', input: { type: 'float32', dims: input.shape, data: input.data }, inputPath: 'chelsea-64.npy',
    target: { kind: 'class', index: k % 10 }, rules: (['standard', 'guided', 'deconvnet'] as const)[k % 3]!, backend: nodeBackend, threads: 1,
  });
  for (let i = 0; i < 100; i++) await job(i);
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 500; i++) {
    const r = await job(i);
    assert.equal(r.gradient.dims.join(), '1,3,64,64');
  }
  const grown = (process.memoryUsage().rss - before) / 2 ** 20;
  t.diagnostic(`RSS grew by ${grown.toFixed(1)} MB over 500 runs`);
  assert.ok(grown < 50, `RSS grew by ${grown.toFixed(1)} MB`);
  await releaseGradientSessions(nodeBackend);
});
