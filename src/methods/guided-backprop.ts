/**
 * `guided-backprop`: guided backpropagation (Springenberg, Dosovitskiy, Brox & Riedmiller 2015,
 * "Striving for Simplicity: The All Convolutional Net", Sec. 3.4, Fig. 1): the gradient of the class
 * score with respect to the input, where every rectifier passes back only positive signals at
 * positions where its forward input was positive: R^l = (f^l > 0) * (R^{l+1} > 0) * R^{l+1}.
 * Relu, Clip (ReLU6) and LeakyRelu get this rule (src/autodiff/rules/modified-relu.ts); every other
 * op keeps its gradient. Sharp, image-like maps; they depend little on the class (Adebayo et al. 2018),
 * so combine with a class-discriminative map (Guided Grad-CAM) when the class matters.
 */
import { inputGradientOf } from './input-gradient.js';
import type { Method } from './types.js';

export const guidedBackpropMethod: Method = {
  id: 'guided-backprop',
  title: 'Guided backpropagation',
  paper: 'Springenberg, Dosovitskiy, Brox & Riedmiller 2015, "Striving for Simplicity: The All Convolutional Net", Sec. 3.4: R^l = (f^l > 0) (R^{l+1} > 0) R^{l+1}',
  answers: 'Which input patterns do the units that raise the class score respond to?',
  passes: '1 forward + 1 backward',
  needsLayer: false,
  usesGradients: true,
  output: 'input',
  signed: true,
  units: 'guided d logit / d x',
  fusesInputGradient: 'guided',
  readsForward: false,
  exposes: () => [],
  async explain(ctx) {
    return { map: await inputGradientOf(ctx, 'guided') };
  },
};
