/**
 * `gradcam`: Selvaraju et al. 2017, "Grad-CAM", Eq. 1–2: channel weights are the spatial means of the
 * gradients, alpha_k = 1/Z sum_ij dy_c/dA_k(i,j); the map is ReLU(sum_k alpha_k A_k), upsampled
 * bilinearly to the input's resolution. One forward pass plus a backward pass through the head only.
 */
import { fail } from '../errors.js';
import { headInputs, layerGradient } from './engine.js';
import { spatialMeans, toInputResolution, weightedSum } from './maps.js';
import type { Method } from './types.js';

export const gradcamMethod: Method = {
  id: 'gradcam',
  title: 'Grad-CAM',
  paper: 'Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization", Eq. 1-2',
  answers: 'Which regions of the chosen layer\'s feature maps support the class?',
  passes: '1 forward + 1 backward through the layers above the chosen one',
  needsLayer: true,
  usesGradients: true,
  output: 'spatial',
  signed: false,
  units: 'ReLU(sum_k alpha_k A_k)',
  exposes: (model, layer) => (layer ? [layer, ...headInputs(model, layer)] : []),
  fusesLayerGradient: true,
  async explain(ctx) {
    const layer = ctx.layer ?? fail('USAGE', 'gradcam needs a layer.');
    const a = ctx.forward.tensors[layer] ?? fail('TENSOR_NOT_FOUND', `the forward pass did not expose '${layer}'.`);
    const fused = ctx.forward.layerGradient;
    const sameJob = fused && fused.layer === layer && fused.rules === 'standard' && fused.targets.every((t, i) => t.index === ctx.targets[i]!.index && t.minus === ctx.targets[i]!.minus);
    const grad = sameJob ? fused.gradient : await layerGradient(ctx.model, layer, ctx.forward, ctx.targets, ctx);
    const cam = weightedSum(a, spatialMeans(grad));
    const data = cam.data as Float32Array;
    for (let i = 0; i < data.length; i++) if (data[i]! < 0) data[i] = 0;
    return { map: toInputResolution(cam, ctx.model.input), layerMap: cam };
  },
};
