/** Test helper: two models that must compute identical outputs for the same input `x`. */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { Model } from '../../src/onnx/ir.js';
import { saveModel } from '../../src/onnx/load.js';
import { numel } from '../../src/onnx/tensor.js';
import { Random } from '../../src/util/random.js';

type Level = 'disabled' | 'basic' | 'extended' | 'all';

async function runAt(model: Model, dims: number[], seed: number, level: Level): Promise<Record<string, { dims: readonly number[]; data: Float32Array }>> {
  const s = await ort.InferenceSession.create(saveModel(model), { intraOpNumThreads: 1, graphOptimizationLevel: level });
  try {
    const x = new ort.Tensor('float32', Float32Array.from(new Random(seed).normals(numel(dims))), dims);
    const out = await s.run({ x });
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: t.data as Float32Array }]));
  } finally {
    await s.release();
  }
}

/** Runs both models (input `x`) at each input size; every output must be identical. */
export async function assertSameOutputs(a: Model, b: Model, sizes: number[][], level: Level = 'all'): Promise<void> {
  for (const [k, dims] of sizes.entries()) {
    const ra = await runAt(a, dims, k + 1, level);
    const rb = await runAt(b, dims, k + 1, level);
    assert.deepEqual(Object.keys(rb).sort(), Object.keys(ra).sort());
    for (const name of Object.keys(ra)) {
      assert.deepEqual(rb[name]!.dims, ra[name]!.dims, `dims of ${name} at input ${dims}`);
      assert.deepEqual(rb[name]!.data, ra[name]!.data, `values of ${name} at input ${dims}`);
    }
  }
}
