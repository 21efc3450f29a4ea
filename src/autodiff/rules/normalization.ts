/** Backward rules for normalizations and softmax. */
import { fail } from '../../errors.js';
import { attrFloat, attrInt } from '../../onnx/ir.js';
import type { RuleTable } from '../context.js';

export const normalizationRules: RuleTable = {
  BatchNormalization: (ctx) => {
    for (let i = 1; i <= 4; i++) ctx.refuse(i, 'a BatchNormalization parameter');
    if (attrInt(ctx.node, 'training_mode', 0) !== 0) {
      fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: BatchNormalization in training mode is not differentiated; export the model in eval mode.`);
    }
    // inference: y = (x - mean) * scale / sqrt(var + eps) + bias, so dy/dx is a per-channel factor
    const x = ctx.input(0);
    const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
    const factor = ctx.div(ctx.input(1), ctx.op('Sqrt', [ctx.add(ctx.input(4), ctx.scalar(eps, x))]));
    const r = ctx.rank(x);
    const perChannel = ctx.unsqueeze(factor, [...Array(r - 2).keys()].map((i) => i + 1));
    return [ctx.mul(ctx.dY, perChannel)];
  },

  LayerNormalization: (ctx) => {
    ctx.refuse(1, 'the LayerNormalization scale');
    ctx.refuse(2, 'the LayerNormalization bias');
    const x = ctx.input(0);
    const r = ctx.rank(x);
    let axis = attrInt(ctx.node, 'axis', -1);
    if (axis < 0) axis += r;
    const axes = [...Array(r - axis).keys()].map((i) => i + axis);
    const n = axes.reduce((p, a) => p * ctx.dim(x, a), 1);
    const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
    const mean = (t: string) => ctx.scale(ctx.sum(t, axes, true), 1 / n);
    // recompute the normalization statistics rather than rely on optional outputs
    const xc = ctx.sub(x, mean(x));
    const inv = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.add(mean(ctx.mul(xc, xc)), ctx.scalar(eps, x))])]);
    const xhat = ctx.mul(xc, inv);
    const g = ctx.mul(ctx.dY, ctx.input(1));
    const inner = ctx.sub(ctx.sub(g, mean(g)), ctx.mul(xhat, mean(ctx.mul(g, xhat))));
    return [ctx.mul(inv, inner)];
  },

  Softmax: (ctx) => {
    const y = ctx.output();
    const axis = attrInt(ctx.node, 'axis', -1);
    const dot = ctx.sum(ctx.mul(ctx.dY, y), [axis], true);
    return [ctx.mul(y, ctx.sub(ctx.dY, dot))];
  },

  LogSoftmax: (ctx) => {
    const y = ctx.output();
    const axis = attrInt(ctx.node, 'axis', -1);
    const total = ctx.sum(ctx.dY, [axis], true);
    return [ctx.sub(ctx.dY, ctx.mul(ctx.op('Exp', [y]), total))];
  },
};
