/**
 * `gradient-x-input`: the gradient of the class score times the input, x ⊙ dS_c/dx (Shrikumar et al.
 * 2016, "Not Just a Black Box", Sec. 2; Ancona et al. 2018, "Towards better understanding of
 * gradient-based attribution methods", Sec. 2.1). Signed, one value per input element. For a linear
 * model it is each term w_i x_i of the score; it equals Integrated Gradients from the zero input when
 * the score is linear along the path. Use it as a one-pass first look at which inputs push the score up.
 */
import { inputGradientOf } from './input-gradient.js';
import type { Method } from './types.js';

export const gradientXInputMethod: Method = {
  id: 'gradient-x-input',
  title: 'Gradient × Input',
  paper: 'Shrikumar et al. 2016, "Not Just a Black Box: Learning Important Features Through Propagating Activation Differences"; Ancona et al. 2018, Sec. 2.1: R_i = x_i * dS_c/dx_i',
  answers: 'Which input values, weighted by their own size, push the class score up or down?',
  passes: '1 forward + 1 backward',
  needsLayer: false,
  usesGradients: true,
  output: 'input',
  signed: true,
  units: 'x * d logit / d x',
  fusesInputGradient: 'standard',
  readsForward: false,
  exposes: () => [],
  async explain(ctx) {
    const grad = await inputGradientOf(ctx);
    const g = grad.data as Float32Array;
    const x = ctx.input.data as Float32Array;
    const out = new Float32Array(g.length);
    for (let i = 0; i < out.length; i++) out[i] = g[i]! * x[i]!;
    return { map: { type: 'float32', dims: [...ctx.input.dims], data: out } };
  },
};
