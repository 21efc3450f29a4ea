/**
 * `layercam`: Jiang et al. 2021, "LayerCAM: Exploring Hierarchical Class Activation Maps for
 * Localization": each activation is weighted by its own positive gradient,
 * map = ReLU(sum_k ReLU(d y_c / d A_k) ⊙ A_k), upsampled bilinearly to the input. Per-location weights
 * keep fine detail, so it also gives usable maps at early layers (average several with --layer).
 */
import { headInputs } from './engine.js';
import { activationsAndGradient, camResult, elementwiseSum, reluInPlace } from './cam-gradient.js';
import type { Method } from './types.js';

export const layercamMethod: Method = {
  id: 'layercam',
  title: 'LayerCAM',
  paper: 'Jiang et al. 2021, "LayerCAM: Exploring Hierarchical Class Activation Maps for Localization": ReLU(sum_k ReLU(dy_c/dA_k) * A_k)',
  answers: 'Which locations of the chosen layer both activate and would raise the class score?',
  passes: '1 forward + 1 backward through the layers above the chosen one',
  needsLayer: true,
  usesGradients: true,
  output: 'spatial',
  signed: false,
  units: 'ReLU(sum_k ReLU(dy_c/dA_k) * A_k)',
  exposes: (model, layer) => (layer ? [layer, ...headInputs(model, layer)] : []),
  fusesLayerGradient: true,
  async explain(ctx) {
    const { a, grad } = await activationsAndGradient(ctx, 'layercam');
    return camResult(reluInPlace(elementwiseSum(a, grad, (g, v) => (g > 0 ? g * v : 0))), ctx.model.input);
  },
};
