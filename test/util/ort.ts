/** Test helpers: run an IR model in onnxruntime-node directly (independent of cnnlens's runtime layer). */
import * as ort from 'onnxruntime-node';
import { saveModel } from '../../src/onnx/load.js';
import type { Model } from '../../src/onnx/ir.js';

export type Feed = { dims: readonly number[]; data: ArrayLike<number> };

export async function session(model: Model): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(saveModel(model), { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

export async function run(s: ort.InferenceSession, feeds: Record<string, Feed>, dtype: 'float32' | 'float64'): Promise<Record<string, { dims: readonly number[]; data: Float64Array }>> {
  const inputs: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) {
    const data = dtype === 'float64' ? Float64Array.from(v.data) : Float32Array.from(v.data);
    inputs[k] = new ort.Tensor(dtype, data, [...v.dims]);
  }
  const out = await s.run(inputs);
  const res: Record<string, { dims: readonly number[]; data: Float64Array }> = {};
  for (const [k, t] of Object.entries(out)) {
    res[k] = { dims: t.dims, data: Float64Array.from(t.data as Float32Array) };
  }
  return res;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** max |a - b| / max |b| (b is the reference). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m / Math.max(maxAbs(b), 1e-30);
}
