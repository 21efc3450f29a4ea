/**
 * `deconvnet`: the deconvolutional-network visualization of Zeiler & Fergus 2014 ("Visualizing and
 * Understanding Convolutional Networks", Sec. 2.1) as a backward pass from the class score: convolutions
 * are transposed, max pools are unpooled through the forward pass's switches, and every rectifier is
 * applied to the backward signal itself, ignoring the forward input: R^l = (R^{l+1} > 0) * R^{l+1}
 * (src/autodiff/rules/modified-relu.ts; LeakyRelu applies its own slope to the signal). Shows the
 * input patterns a score's units are tuned to; like guided backprop, barely class-specific.
 */
import { inputGradientOf } from './input-gradient.js';
import type { Method } from './types.js';

export const deconvnetMethod: Method = {
  id: 'deconvnet',
  title: 'Deconvnet',
  paper: 'Zeiler & Fergus 2014, "Visualizing and Understanding Convolutional Networks", Sec. 2.1: R^l = (R^{l+1} > 0) R^{l+1} at rectifiers, transposed filters, unpooling by switches',
  answers: 'Which input patterns is the class score tuned to, projected back through the network?',
  passes: '1 forward + 1 backward',
  needsLayer: false,
  usesGradients: true,
  output: 'input',
  signed: true,
  units: 'deconvnet projection of the logit',
  fusesInputGradient: 'deconvnet',
  readsForward: false,
  exposes: () => [],
  async explain(ctx) {
    return { map: await inputGradientOf(ctx, 'deconvnet') };
  },
};
