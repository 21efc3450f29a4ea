/**
 * Modified backward rules for rectifiers, the basis of guided backpropagation and deconvnet.
 *
 * - guided (Springenberg et al. 2015, "Striving for Simplicity", eq. for R^{l}): the gradient passes
 *   where both the forward input is positive and the gradient is positive: dx = relu(dy) * f'(x).
 * - deconvnet (Zeiler & Fergus 2014): the rectifier is applied to the backward signal itself,
 *   ignoring the forward input: dx = relu(dy) (LeakyRelu: leaky_relu(dy)).
 *
 * Both apply to Relu, Clip used as a rectifier (ReLU6) and LeakyRelu; every other op keeps its
 * standard rule.
 */
import { attrFloat } from '../../onnx/ir.js';
import { attrs } from '../../onnx/graph.js';
import type { RuleContext, RuleTable } from '../context.js';
import { clipMask } from './activations.js';

const positive = (ctx: RuleContext) => ctx.op('Relu', [ctx.dY]);

export const guidedRules: RuleTable = {
  Relu: (ctx) => [ctx.masked(ctx.greaterThan(ctx.output(), 0), positive(ctx))],
  Clip: (ctx) => {
    const mask = clipMask(ctx);
    const g = positive(ctx);
    return [mask ? ctx.masked(mask, g) : g];
  },
  LeakyRelu: (ctx) => {
    const alpha = attrFloat(ctx.node, 'alpha', 0.01);
    const sign = alpha >= 0 ? ctx.output() : ctx.input(0);
    const g = positive(ctx);
    return [ctx.where(ctx.greaterThan(sign, 0), g, ctx.scale(g, alpha))];
  },
};

export const deconvnetRules: RuleTable = {
  Relu: (ctx) => [positive(ctx)],
  Clip: (ctx) => [positive(ctx)],
  LeakyRelu: (ctx) => [ctx.op('LeakyRelu', [ctx.dY], [attrs.float('alpha', attrFloat(ctx.node, 'alpha', 0.01))])],
};
