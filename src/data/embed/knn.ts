/**
 * Exact k nearest neighbours under the Euclidean distance, by brute force in ONNX Runtime: for a block
 * of query rows A and all points B, one graph computes 2·A·Bᵀ − |b|² (the squared distance up to the
 * per-row constant |a|²) with MatMul and keeps the k + 1 largest with TopK. The runtime's matrix
 * product makes 10,000 × 10,000 distances in 64 dimensions a fraction of a second; memory is one
 * block × n floats.
 */
import { fail } from '../../errors.js';
import { DType } from '../../onnx/ir.js';
import { makeModel, saveModel } from '../../onnx/load.js';
import { int64Tensor } from '../../onnx/tensor.js';
import type { RuntimeBackend } from '../../runtime/backend.js';

export interface Neighbours {
  /** n × k neighbour indices, nearest first (a point is not its own neighbour) */
  readonly indices: Int32Array;
  /** n × k squared distances */
  readonly dist2: Float64Array;
}

function knnGraph(k: number): Uint8Array {
  const f = (name: string, shape: (number | string)[]) => ({ name, type: { elemType: DType.FLOAT, shape } });
  return saveModel(makeModel({
    opset: 13,
    inputs: [f('a', ['M', 'D']), f('b', ['N', 'D']), f('bn', [1, 'N'])],
    initializers: [int64Tensor('k', [1], [k])],
    nodes: [
      { name: 'bt', opType: 'Transpose', domain: '', inputs: ['b'], outputs: ['b_t'], attributes: [] },
      { name: 'ab', opType: 'MatMul', domain: '', inputs: ['a', 'b_t'], outputs: ['ab'], attributes: [] },
      { name: 'ab2', opType: 'Add', domain: '', inputs: ['ab', 'ab'], outputs: ['ab2'], attributes: [] },
      { name: 'score', opType: 'Sub', domain: '', inputs: ['ab2', 'bn'], outputs: ['score'], attributes: [] },
      { name: 'topk', opType: 'TopK', domain: '', inputs: ['score', 'k'], outputs: ['values', 'indices'], attributes: [{ name: 'axis', type: 'int', value: 1 }] },
    ],
    outputs: [f('values', ['M', k + 1]), { name: 'indices', type: { elemType: DType.INT64, shape: ['M', k + 1] } }],
  }));
}

export async function knn(data: Float32Array, n: number, d: number, k: number, backend: RuntimeBackend, options: { block?: number; threads?: number } = {}): Promise<Neighbours> {
  if (!(k >= 1 && k < n)) fail('USAGE', `k nearest neighbours needs 1 <= k < n, got k = ${k} for ${n} points.`);
  const kk = k + 1;
  const session = await backend.createSession(knnGraph(kk), options.threads ? { threads: options.threads } : {});
  const norms = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += data[i * d + t]! * data[i * d + t]!;
    norms[i] = s;
  }
  const indices = new Int32Array(n * k);
  const dist2 = new Float64Array(n * k);
  const block = options.block ?? Math.max(1, Math.min(n, Math.floor(2 ** 23 / n)));
  try {
    for (let s = 0; s < n; s += block) {
      const m = Math.min(block, n - s);
      const out = await session.run({
        a: { type: 'float32', dims: [m, d], data: data.subarray(s * d, (s + m) * d) },
        b: { type: 'float32', dims: [n, d], data },
        bn: { type: 'float32', dims: [1, n], data: norms },
      });
      const vals = out.values!.data as Float32Array;
      const idx = out.indices!.data as BigInt64Array;
      for (let r = 0; r < m; r++) {
        const q = s + r;
        let o = 0;
        // drop the point itself (or, among exact duplicates, the last candidate)
        let skipped = false;
        for (let j = 0; j < kk && o < k; j++) {
          const c = Number(idx[r * kk + j]!);
          if (c === q && !skipped) {
            skipped = true;
            continue;
          }
          indices[q * k + o] = c;
          dist2[q * k + o] = Math.max(0, norms[q]! - vals[r * kk + j]!);
          o++;
        }
      }
    }
  } finally {
    await session.release();
  }
  return { indices, dist2 };
}
