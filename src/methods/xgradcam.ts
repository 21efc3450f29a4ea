/**
 * `xgradcam`: Fu et al. 2020, "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of
 * CNNs": channel weights are the gradients averaged with the activations as weights,
 *   alpha_k = sum_ij (A_k(i, j) / sum_ab A_k(a, b)) d y_c / d A_k(i, j)   (0 when sum_ab A_k = 0),
 * and the map is ReLU(sum_k alpha_k A_k), upsampled bilinearly to the input. These weights make the map
 * satisfy the paper's sensitivity and conservation axioms better than Grad-CAM's plain mean for layers
 * whose head is close to linear. pytorch-grad-cam adds 1e-7 to the sum of activations; this does not.
 */
import { headInputs } from './engine.js';
import { activationsAndGradient, camResult, channelWeights, reluInPlace } from './cam-gradient.js';
import { weightedSum } from './maps.js';
import type { Method } from './types.js';

export const xgradcamMethod: Method = {
  id: 'xgradcam',
  title: 'XGrad-CAM',
  paper: 'Fu et al. 2020, "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs": alpha_k = sum_ij (A_k(i,j) / sum_ab A_k(a,b)) dy_c/dA_k(i,j)',
  answers: 'Which regions of the chosen layer\'s feature maps support the class, with each feature map weighted by its activation-weighted gradient?',
  passes: '1 forward + 1 backward through the layers above the chosen one',
  needsLayer: true,
  usesGradients: true,
  output: 'spatial',
  signed: false,
  units: 'ReLU(sum_k alpha_k A_k)',
  exposes: (model, layer) => (layer ? [layer, ...headInputs(model, layer)] : []),
  fusesLayerGradient: true,
  async explain(ctx) {
    const { a, grad } = await activationsAndGradient(ctx, 'xgradcam');
    const weights = channelWeights(a, grad, (ak, gk) => {
      let sum = 0;
      let dot = 0;
      for (let p = 0; p < ak.length; p++) {
        sum += ak[p]!;
        dot += ak[p]! * gk[p]!;
      }
      return sum === 0 ? 0 : dot / sum;
    });
    return camResult(reluInPlace(weightedSum(a, weights)), ctx.model.input);
  },
};
