/**
 * Deconvnet projection of a unit (Zeiler & Fergus 2014, "Visualizing and Understanding Convolutional
 * Networks", Sec. 2.1): take the strongest activation of a channel for an image, keep it alone (every
 * other activation of the layer set to zero) and map it back to pixel space through the deconvnet:
 * transposed convolutions with the same filters, and ReLUs that pass only positive signals. In the
 * engine that is the gradient of that one activation w.r.t. the input under the 'deconvnet' rule
 * set, scaled by the activation.
 */
import { fail } from '../errors.js';
import type { ImageModel } from '../model/image-model.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { activations } from './activations.js';
import { fromModelGradient, imageBatch, toModelInput, type ImageBatch } from './image-batch.js';
import { neuron } from './objectives.js';
import { layerTensor, objectivePlan } from './plan.js';

export interface ProjectionResult {
  /** the projection, input-shaped [1, C, H, W], raw and signed */
  readonly map: ImageBatch;
  /** where the channel is strongest, in the layer's coordinates, and its value */
  readonly position: { readonly x: number; readonly y: number };
  readonly activation: number;
}

export async function projectUnit(model: ImageModel, image: ImageBatch, layer: string, channel: number, options: { backend: RuntimeBackend; threads?: number }): Promise<ProjectionResult> {
  if (image.n !== 1) fail('USAGE', 'projectUnit takes one image.');
  const tensor = layerTensor(model, layer);
  const act = (await activations(model, [tensor], image, options))[tensor]!;
  if (act.dims.length !== 4) fail('SHAPE', `'${layer}' is not a [N, C, H, W] feature map; a deconvnet projection needs positions.`);
  const [, C, H, W] = act.dims as [number, number, number, number];
  if (!(Number.isInteger(channel) && channel >= 0 && channel < C)) fail('USAGE', `channel ${channel} does not exist: '${layer}' has ${C} channels (0..${C - 1}).`);
  const data = act.data as Float32Array;
  let best = -Infinity, at = 0;
  for (let p = 0; p < H * W; p++) if (data[channel * H * W + p]! > best) { best = data[channel * H * W + p]!; at = p; }
  const position = { x: at % W, y: Math.floor(at / W) };
  const plan = await objectivePlan(model, neuron(layer, channel, position.x, position.y), { ...options, batch: 1, rules: 'deconvnet' });
  const r = await plan.run(toModelInput(image, model.input));
  const g = fromModelGradient(r.gradient, model.input);
  return { map: imageBatch(1, g.c, g.h, g.w, Float32Array.from(g.data, (v) => v * best)), position, activation: best };
}

/** A signed map as a picture: grey is zero, each channel scaled by the map's largest magnitude. */
export function signedToImage(map: ImageBatch): ImageBatch {
  let m = 0;
  for (const v of map.data) m = Math.max(m, Math.abs(v));
  return imageBatch(map.n, map.c, map.h, map.w, Float32Array.from(map.data, (v) => 0.5 + (m > 0 ? v / (2 * m) : 0)));
}
