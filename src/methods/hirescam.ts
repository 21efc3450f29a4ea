/**
 * `hirescam`: Draelos & Carin 2020, "Use HiResCAM instead of Grad-CAM for faithful explanations of
 * convolutional neural networks": the gradient multiplied element-wise with the activations
 * and summed over channels, map = sum_k (d y_c / d A_k) ⊙ A_k, upsampled bilinearly to the input. No
 * gradient averaging, so the map only highlights locations the score actually depends on; for a
 * GAP + linear head it equals CAM divided by h w. The map is signed like CAM (no final ReLU;
 * pytorch-grad-cam clips negatives, which a renderer can do with a sequential colormap).
 */
import { headInputs } from './engine.js';
import { activationsAndGradient, camResult, elementwiseSum } from './cam-gradient.js';
import type { Method } from './types.js';

export const hirescamMethod: Method = {
  id: 'hirescam',
  title: 'HiResCAM',
  paper: 'Draelos & Carin 2020, "Use HiResCAM instead of Grad-CAM for faithful explanations of convolutional neural networks": sum_k dy_c/dA_k * A_k',
  answers: 'How much does each location of the chosen layer add to the class score, to first order?',
  passes: '1 forward + 1 backward through the layers above the chosen one',
  needsLayer: true,
  usesGradients: true,
  output: 'spatial',
  signed: true,
  units: 'sum_k dy_c/dA_k * A_k',
  exposes: (model, layer) => (layer ? [layer, ...headInputs(model, layer)] : []),
  fusesLayerGradient: true,
  async explain(ctx) {
    const { a, grad } = await activationsAndGradient(ctx, 'hirescam');
    return camResult(elementwiseSum(a, grad, (g, v) => g * v), ctx.model.input);
  },
};
