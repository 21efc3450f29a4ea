/**
 * `gradient`: the raw, signed gradient of the class score with respect to the input,
 * d S_c / d x (Simonyan, Vedaldi & Zisserman 2013, Sec. 3.1, before taking magnitudes).
 */
import { inputGradientOf } from './input-gradient.js';
import type { Method } from './types.js';

export const gradientMethod: Method = {
  id: 'gradient',
  title: 'Gradient',
  paper: 'Simonyan, Vedaldi & Zisserman 2013, "Deep Inside Convolutional Networks", Sec. 3.1: w = dS_c/dI',
  answers: 'Which input values would change the class score fastest, and in which direction?',
  passes: '1 forward + 1 backward',
  needsLayer: false,
  usesGradients: true,
  output: 'input',
  signed: true,
  units: 'd logit / d x',
  fusesInputGradient: 'standard',
  readsForward: false,
  exposes: () => [],
  async explain(ctx) {
    return { map: await inputGradientOf(ctx) };
  },
};
