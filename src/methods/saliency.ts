/**
 * `saliency`: the image-specific class saliency map of Simonyan, Vedaldi & Zisserman 2013, Sec. 3.1:
 * M_ij = max_c |w_h(i,j,c)| with w = dS_c/dI, the largest gradient magnitude over colour channels.
 */
import { inputGradientOf } from './input-gradient.js';
import { reduceChannels } from './maps.js';
import type { Method } from './types.js';

export const saliencyMethod: Method = {
  id: 'saliency',
  title: 'Saliency',
  paper: 'Simonyan, Vedaldi & Zisserman 2013, "Deep Inside Convolutional Networks", Sec. 3.1: M_ij = max_c |w_h(i,j,c)|',
  answers: 'Which pixels would change the class score most if they changed a little?',
  passes: '1 forward + 1 backward',
  needsLayer: false,
  usesGradients: true,
  output: 'spatial',
  signed: false,
  units: 'max over channels of |d logit / d x|',
  fusesInputGradient: 'standard',
  readsForward: false,
  exposes: () => [],
  async explain(ctx) {
    const grad = await inputGradientOf(ctx);
    return { map: reduceChannels(grad, ctx.model.input, (m, v) => Math.max(m, Math.abs(v)), 0) };
  },
};
