/** Forward values of chosen tensors for a batch of images (a pruned graph, compiled once and cached). */
import { fail } from '../errors.js';
import { withGraph } from '../onnx/graph.js';
import { saveModel } from '../onnx/load.js';
import type { ImageModel } from '../model/image-model.js';
import type { HostTensor, RuntimeBackend } from '../runtime/backend.js';
import { cacheKey } from '../runtime/cache.js';
import { modelKey, sessionsFor } from '../runtime/shared-sessions.js';
import { toModelInput, type ImageBatch } from './image-batch.js';
import { pruneToOutputs } from './plan.js';

export async function activations(model: ImageModel, tensors: readonly string[], images: ImageBatch, options: { backend: RuntimeBackend; threads?: number }): Promise<Record<string, HostTensor>> {
  for (const t of tensors) if (!model.shapes.has(t)) fail('TENSOR_NOT_FOUND', `'${t}' is not a tensor of ${model.name}.`);
  const key = cacheKey(modelKey(model.onnx), 'featurevis-activations', [...tensors]);
  const { session, release } = await sessionsFor(options.backend, options.threads).acquire(key, async () => {
    const outputs = tensors.map((name) => {
      const s = model.shapes.get(name)!;
      return { name, type: { elemType: s.elemType, shape: s.shape } };
    });
    return saveModel(pruneToOutputs(withGraph(model.onnx, { ...model.onnx.graph, outputs })));
  });
  try {
    return await session.run({ [model.inputName]: toModelInput(images, model.input) }, tensors);
  } finally {
    release();
  }
}
