/**
 * What the gradient CAMs (Grad-CAM++, XGrad-CAM, HiResCAM, LayerCAM) share: the layer's activations A
 * and d(score)/dA for each example's target, and the two ways they combine them into a map at the
 * layer's resolution: per-channel weights (sum_k w_k A_k) or per-element weights (sum_k W_k ⊙ A_k).
 */
import { fail } from '../errors.js';
import type { HostTensor } from '../runtime/backend.js';
import type { InputSpec } from '../model/input-spec.js';
import { layerGradient } from './engine.js';
import { nchw, toInputResolution } from './maps.js';
import type { MethodContext, MethodResult } from './types.js';

/**
 * The layer's activations and d(score of each example's target)/d(layer): the gradient the forward
 * call computed when it was for this layer, the standard rules and these targets, else a backward pass
 * through the head above the layer.
 */
export async function activationsAndGradient(ctx: MethodContext, method: string): Promise<{ a: HostTensor; grad: HostTensor }> {
  const layer = ctx.layer ?? fail('USAGE', `${method} needs a layer.`);
  const a = ctx.forward.tensors[layer] ?? fail('TENSOR_NOT_FOUND', `the forward pass did not expose '${layer}'.`);
  nchw(a, `the layer '${layer}'`);
  const fused = ctx.forward.layerGradient;
  const sameJob = fused && fused.layer === layer && fused.rules === 'standard' && fused.targets.length === ctx.targets.length
    && fused.targets.every((t, i) => t.index === ctx.targets[i]!.index && t.minus === ctx.targets[i]!.minus);
  const grad = sameJob ? fused.gradient : await layerGradient(ctx.model, layer, ctx.forward, ctx.targets, ctx);
  return { a, grad };
}

/**
 * Per example and channel, weight(A_k, dA_k) from the channel's activations and gradient (both [h * w]
 * views): [N * C].
 */
export function channelWeights(a: HostTensor, grad: HostTensor, weight: (a: Float32Array, g: Float32Array) => number): Float64Array {
  const [n, c, h, w] = nchw(a, 'the layer');
  const hw = h * w;
  const ad = a.data as Float32Array;
  const gd = grad.data as Float32Array;
  if (gd.length !== ad.length) fail('SHAPE', `the layer gradient has ${gd.length} values for a layer of ${ad.length}.`);
  const out = new Float64Array(n * c);
  for (let i = 0; i < n * c; i++) out[i] = weight(ad.subarray(i * hw, (i + 1) * hw), gd.subarray(i * hw, (i + 1) * hw));
  return out;
}

/** Per example, sum over channels of f(dA_k(p), A_k(p)) at every position p: [N, h, w]. */
export function elementwiseSum(a: HostTensor, grad: HostTensor, f: (g: number, a: number) => number): HostTensor {
  const [n, c, h, w] = nchw(a, 'the layer');
  const hw = h * w;
  const ad = a.data as Float32Array;
  const gd = grad.data as Float32Array;
  if (gd.length !== ad.length) fail('SHAPE', `the layer gradient has ${gd.length} values for a layer of ${ad.length}.`);
  const acc = new Float64Array(n * hw);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < c; k++) {
      const src = (b * c + k) * hw;
      for (let p = 0; p < hw; p++) acc[b * hw + p] = acc[b * hw + p]! + f(gd[src + p]!, ad[src + p]!);
    }
  }
  return { type: 'float32', dims: [n, h, w], data: Float32Array.from(acc) };
}

/** Sets the negative values of a map to 0, in place, and returns it. */
export function reluInPlace(t: HostTensor): HostTensor {
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) if (d[i]! < 0) d[i] = 0;
  return t;
}

/** A layer-resolution map [N, h, w] as a method's result: upsampled bilinearly to the input's resolution. */
export function camResult(layerMap: HostTensor, spec: InputSpec): MethodResult {
  return { map: toInputResolution(layerMap, spec), layerMap };
}
