/**
 * `gradcam++`: Chattopadhyay et al. 2018, "Grad-CAM++: Generalized Gradient-based Visual Explanations
 * for Deep Convolutional Networks", Eq. 19 for alpha (as pytorch-grad-cam computes it). With
 * g = d y_c / d A_k(i, j) (y_c the pre-softmax score) and the paper's exponential assumption Y_c =
 * exp(y_c), the higher derivatives of Y_c are exp(y_c) g^2 and exp(y_c) g^3, and exp(y_c) cancels in
 *   alpha_k(i, j) = g^2 / (2 g^2 + sum_ab A_k(a, b) g^3)      (0 where the denominator is 0, e.g. g = 0)
 *   w_k = sum_ij alpha_k(i, j) ReLU(g)                        (the paper's ReLU(dY/dA) without exp(y_c),
 *                                                             a positive factor per example)
 *   map = ReLU(sum_k w_k A_k), upsampled bilinearly to the input.
 * Unlike pytorch-grad-cam, no 1e-6 is added to the denominator: with gradients below ~1e-3 that
 * constant dominates g^2 and changes the weights. Use it when several instances of the class appear
 * (pixel-wise weighting credits each of them, where Grad-CAM's mean favours the largest).
 */
import { headInputs } from './engine.js';
import { activationsAndGradient, camResult, channelWeights, reluInPlace } from './cam-gradient.js';
import { weightedSum } from './maps.js';
import type { Method } from './types.js';

export const gradcamPlusPlusMethod: Method = {
  id: 'gradcam++',
  title: 'Grad-CAM++',
  paper: 'Chattopadhyay et al. 2018, "Grad-CAM++: Generalized Gradient-based Visual Explanations for Deep Convolutional Networks", Eq. 19: alpha = g^2 / (2 g^2 + sum_ab A g^3), w_k = sum_ij alpha ReLU(g)',
  answers: 'Which regions of the chosen layer\'s feature maps support the class, crediting every positive-gradient location of a feature map?',
  passes: '1 forward + 1 backward through the layers above the chosen one',
  needsLayer: true,
  usesGradients: true,
  output: 'spatial',
  signed: false,
  units: 'ReLU(sum_k w_k A_k)',
  exposes: (model, layer) => (layer ? [layer, ...headInputs(model, layer)] : []),
  fusesLayerGradient: true,
  async explain(ctx) {
    const { a, grad } = await activationsAndGradient(ctx, 'gradcam++');
    const weights = channelWeights(a, grad, (ak, gk) => {
      let sum = 0;
      for (let p = 0; p < ak.length; p++) sum += ak[p]!;
      let w = 0;
      for (let p = 0; p < gk.length; p++) {
        const g = gk[p]!;
        if (g <= 0) continue; // ReLU(g) = 0
        const g2 = g * g;
        const den = 2 * g2 + sum * g2 * g;
        if (den !== 0) w += (g2 / den) * g;
      }
      return w;
    });
    return camResult(reluInPlace(weightedSum(a, weights)), ctx.model.input);
  },
};
