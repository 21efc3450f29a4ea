/** The gradient job end to end, on models with closed-form answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runGradientJob } from '../../src/autodiff/gradient-job.js';
import { CnnlensError } from '../../src/errors.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import type { GradientJobOptions } from '../../src/cli/gradient.js';
import type { HostTensor } from '../../src/runtime/backend.js';
import { TestGraph, attrs } from '../util/build.js';

/** logits = x W^T + b (then an optional final activation): d logit_k / dx = W[k] exactly. */
function linear(final?: 'Softmax' | 'Sigmoid', classes = 3) {
  const g = new TestGraph('float32', 5);
  const x = g.input('x', [1, 4]);
  const wData = g.rnd.normals(classes * 4);
  const w = g.value([classes, 4], wData);
  let y = g.op('Gemm', [x, w, g.weight([classes])], [attrs.int('transB', 1)]);
  if (final) y = g.op(final, [y]);
  return { model: g.model(y), w: wData };
}

function job(model: GradientJobOptions['model'], input: HostTensor, index: number): GradientJobOptions {
  return { model, modelPath: 'm.onnx', input, inputPath: 'x.npy', target: { kind: 'class', index }, rules: 'standard', backend: nodeBackend, threads: 1 };
}

const x = (batch: number): HostTensor => ({ type: 'float32', dims: [batch, 4], data: Float32Array.from({ length: batch * 4 }, (_, i) => Math.sin(i + 1)) });

for (const final of [undefined, 'Softmax', 'Sigmoid'] as const) {
  test(`saliency of a linear model${final ? ` behind a final ${final}` : ''} is the weight row of the class (pre-activation logit)`, async () => {
    const { model, w } = linear(final);
    for (const k of [0, 2]) {
      const r = await runGradientJob(job(model, x(3), k));
      assert.equal(r.stripped, final);
      for (let b = 0; b < 3; b++) {
        for (let j = 0; j < 4; j++) assert.ok(Math.abs(r.gradient.data[b * 4 + j]! as number - w[k * 4 + j]!) < 1e-6);
      }
    }
  });
}

test('bad inputs to the job give typed errors', async () => {
  const { model } = linear();
  const codeOf = async (p: Promise<unknown>) => {
    try { await p; } catch (e) { assert.ok(e instanceof CnnlensError, String(e)); return e.code; }
    return 'no error';
  };
  assert.equal(await codeOf(runGradientJob(job(model, { type: 'float32', dims: [1, 5], data: new Float32Array(5) }, 0))), 'INPUT_SHAPE');
  assert.equal(await codeOf(runGradientJob(job(model, { type: 'float32', dims: [1, 4], data: Float32Array.of(1, NaN, 0, 0) }, 0))), 'INPUT_VALUE');
  assert.equal(await codeOf(runGradientJob(job(model, x(1), 3))), 'USAGE');
  assert.equal(await codeOf(runGradientJob({ ...job(model, x(1), 0), wrt: 'nonexistent' })), 'TENSOR_NOT_FOUND');
  const seed: HostTensor = { type: 'float32', dims: [2, 3], data: new Float32Array(6) };
  assert.equal(await codeOf(runGradientJob({ ...job(model, x(1), 0), target: { kind: 'seed', seed, path: 's.npy' } })), 'INPUT_SHAPE');
});

test('a batch run in chunks under a small memory budget gives the same gradients, with progress', async () => {
  const { readFileSync } = await import('node:fs');
  const { loadModel } = await import('../../src/onnx/load.js');
  const model = loadModel(new Uint8Array(readFileSync(new URL('../../examples/tiny-cnn.onnx', import.meta.url))));
  const n = 5 * 3 * 64 * 64;
  const input: HostTensor = { type: 'float32', dims: [5, 3, 64, 64], data: Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.01)) };
  const whole = await runGradientJob(job(model, input, 4));
  const progress: number[] = [];
  const chunked = await runGradientJob({ ...job(model, input, 4), memoryBudgetBytes: 1, onProgress: (done) => progress.push(done) });
  assert.deepEqual(progress, [1, 2, 3, 4, 5]);
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((whole.gradient.data[i] as number) - (chunked.gradient.data[i] as number)));
    maxAbs = Math.max(maxAbs, Math.abs(whole.gradient.data[i] as number));
  }
  assert.ok(maxAbs > 0);
  assert.ok(maxDiff <= 1e-6 * maxAbs, `chunked differs by ${maxDiff}`);
  const aborted = new AbortController();
  aborted.abort(new Error('stop'));
  await assert.rejects(runGradientJob({ ...job(model, input, 4), memoryBudgetBytes: 1, signal: aborted.signal }), /stop/);
});

test('a fixed-batch model runs in chunks of exactly its batch, whatever the memory budget', async () => {
  const g = new TestGraph('float32', 6);
  const xin = g.input('x', [2, 4]);
  const w = g.rnd.normals(12);
  const y = g.op('Gemm', [xin, g.value([3, 4], w)], [attrs.int('transB', 1)]);
  const model = g.model(y);
  const r = await runGradientJob({ ...job(model, x(6), 1), memoryBudgetBytes: 1 });
  assert.deepEqual(r.gradient.dims, [6, 4]);
  for (let b = 0; b < 6; b++) for (let j = 0; j < 4; j++) assert.ok(Math.abs((r.gradient.data[b * 4 + j] as number) - w[4 + j]!) < 1e-6);
  await assert.rejects(runGradientJob(job(model, x(3), 1)), (e: unknown) => e instanceof CnnlensError && e.code === 'INPUT_SHAPE' && /batches of exactly 2/.test(e.message));
});

test('a long chunked job keeps its session while other jobs evict it from the cache', async () => {
  const { readFileSync } = await import('node:fs');
  const { loadModel } = await import('../../src/onnx/load.js');
  const model = loadModel(new Uint8Array(readFileSync(new URL('../../examples/tiny-cnn.onnx', import.meta.url))));
  const n = 24;
  const input: HostTensor = { type: 'float32', dims: [n, 3, 64, 64], data: Float32Array.from({ length: n * 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.001)) };
  const long = runGradientJob({ ...job(model, input, 1), memoryBudgetBytes: 1, threads: 1 });
  const small = (wrt: string, rules: 'standard' | 'guided' | 'deconvnet') =>
    runGradientJob({ ...job(model, { ...input, dims: [1, 3, 64, 64], data: (input.data as Float32Array).subarray(0, 3 * 64 * 64) }, 1), wrt, rules, threads: 1 });
  const others = await Promise.all([small('block3/relu', 'standard'), small('block3/relu', 'guided'), small('pool1', 'standard'), small('pool1', 'deconvnet'), small('gap', 'standard')]);
  assert.equal(others.length, 5);
  const r = await long;
  assert.deepEqual(r.gradient.dims, [n, 3, 64, 64]);
});
