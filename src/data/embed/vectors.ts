/**
 * A layer's activations for a whole dataset, one vector per picture, streamed through one compiled
 * forward pass: a conv feature map [C, H, W] gives its spatial mean (C values, as global average
 * pooling does), a [C] tensor itself. The model's prediction (arg max of the logits) and the
 * picture's label come along.
 */
import { fail } from '../../errors.js';
import type { ImageModel } from '../../model/image-model.js';
import { forward, type RunOptions } from '../../methods/engine.js';
import { inputBatches, type Dataset } from '../dataset.js';

export interface LayerVectors {
  /** n × dim, row-major */
  readonly vectors: Float32Array;
  readonly n: number;
  readonly dim: number;
  readonly labels: Int32Array;
  readonly predictions: Int32Array;
  readonly seconds: number;
}

export async function layerVectors(model: ImageModel, dataset: Dataset, tensor: string, run: RunOptions & { batch?: number; limit?: number; onProgress?: (done: number, total: number) => void }): Promise<LayerVectors> {
  const t0 = performance.now();
  const shape = model.shapes.get(tensor)?.shape.slice(1);
  if (!shape || (shape.length !== 3 && shape.length !== 1) || shape.some((x) => typeof x !== 'number')) fail('UNKNOWN_LAYER', `'${tensor}' has shape [N, ${(shape ?? []).join(', ')}]; embeddings take a conv feature map [N, C, H, W] or a vector [N, C].`);
  const dim = shape[0] as number;
  const plane = shape.length === 3 ? (shape[1] as number) * (shape[2] as number) : 1;
  const n = Math.min(dataset.length, run.limit ?? Infinity);
  const vectors = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  const predictions = new Int32Array(n);
  const classes = model.output.kind === 'sigmoid-binary' ? 1 : model.output.classes;
  for await (const b of inputBatches(dataset, model.input, run.batch ?? 256)) {
    const count = Math.min(b.count, n - b.start);
    const input = count === b.count ? b.input : { ...b.input, dims: [count, ...b.input.dims.slice(1)], data: b.input.data.subarray(0, (b.input.data.length / b.count) * count) };
    const out = await forward(model, input, [tensor], run);
    const a = out.tensors[tensor]!.data as Float32Array;
    const logits = out.logits.data as Float32Array;
    for (let r = 0; r < count; r++) {
      const i = b.start + r;
      for (let c = 0; c < dim; c++) {
        let s = 0;
        const off = (r * dim + c) * plane;
        for (let p = 0; p < plane; p++) s += a[off + p]!;
        vectors[i * dim + c] = s / plane;
      }
      labels[i] = b.labels[r]!;
      const row = logits.subarray(r * classes, (r + 1) * classes);
      predictions[i] = classes === 1 ? (row[0]! > 0 ? 1 : 0) : row.indexOf(Math.max(...row));
    }
    run.onProgress?.(b.start + count, n);
    if (b.start + count >= n) break;
  }
  return { vectors, n, dim, labels, predictions, seconds: (performance.now() - t0) / 1000 };
}
