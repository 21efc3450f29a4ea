/**
 * Backward rules for elementwise activations. Masks are computed from the activation's *output*
 * where that is equivalent, so ONNX Runtime can keep fusing Conv with its activation in the forward pass.
 */
import { attrFloat, attrString } from '../../onnx/ir.js';
import type { RuleContext, RuleTable } from '../context.js';

/** Clip's bounds as graph tensors ('' when absent); opset >= 11 passes them as inputs. */
export function clipBounds(ctx: RuleContext): { min: string; max: string } {
  return { min: ctx.input(1), max: ctx.input(2) };
}

/** Mask of min < y < max for a Clip output y (where the gradient passes). */
export function clipMask(ctx: RuleContext): string | undefined {
  const y = ctx.output();
  const { min, max } = clipBounds(ctx);
  const lo = min ? ctx.op('Greater', [y, min]) : undefined;
  const hi = max ? ctx.op('Less', [y, max]) : undefined;
  if (lo && hi) return ctx.op('And', [lo, hi]);
  return lo ?? hi;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export const activationRules: RuleTable = {
  Relu: (ctx) => [ctx.masked(ctx.greaterThan(ctx.output(), 0), ctx.dY)],

  LeakyRelu: (ctx) => {
    const alpha = attrFloat(ctx.node, 'alpha', 0.01);
    // for alpha >= 0 the output is positive exactly where the input is
    const sign = alpha >= 0 ? ctx.output() : ctx.input(0);
    return [ctx.where(ctx.greaterThan(sign, 0), ctx.dY, ctx.scale(ctx.dY, alpha))];
  },

  PRelu: (ctx) => {
    ctx.refuse(1, 'the PRelu slope');
    const x = ctx.input(0);
    const g = ctx.where(ctx.greaterThan(x, 0), ctx.dY, ctx.mul(ctx.dY, ctx.input(1)));
    return [g];
  },

  Clip: (ctx) => {
    ctx.refuse(1, 'the Clip minimum');
    ctx.refuse(2, 'the Clip maximum');
    const mask = clipMask(ctx);
    return [mask ? ctx.masked(mask, ctx.dY) : ctx.dY];
  },

  Sigmoid: (ctx) => {
    const y = ctx.output();
    const dy = ctx.mul(y, ctx.sub(ctx.scalar(1, y), y));
    return [ctx.mul(ctx.dY, dy)];
  },

  Tanh: (ctx) => {
    const y = ctx.output();
    return [ctx.mul(ctx.dY, ctx.sub(ctx.scalar(1, y), ctx.mul(y, y)))];
  },

  HardSigmoid: (ctx) => {
    const alpha = attrFloat(ctx.node, 'alpha', 0.2);
    const y = ctx.output();
    const mask = ctx.op('And', [ctx.greaterThan(y, 0), ctx.lessThan(y, 1)]);
    return [ctx.masked(mask, ctx.scale(ctx.dY, alpha))];
  },

  HardSwish: (ctx) => {
    // y = x * clip(x/6 + 1/2, 0, 1): dy/dx = 0 below -3, 1 above 3, x/3 + 1/2 between
    const x = ctx.input(0);
    const mid = ctx.add(ctx.scale(x, 1 / 3), ctx.scalar(0.5, x));
    const local = ctx.where(ctx.lessThan(x, -3), ctx.scalar(0, x), ctx.where(ctx.greaterThan(x, 3), ctx.scalar(1, x), mid));
    return [ctx.mul(ctx.dY, local)];
  },

  Softplus: (ctx) => [ctx.mul(ctx.dY, ctx.op('Sigmoid', [ctx.input(0)]))],

  Erf: (ctx) => {
    const x = ctx.input(0);
    const e = ctx.op('Exp', [ctx.neg(ctx.mul(x, x))]);
    return [ctx.mul(ctx.dY, ctx.scale(e, 2 / Math.sqrt(Math.PI)))];
  },

  Gelu: (ctx) => {
    const x = ctx.input(0);
    if (attrString(ctx.node, 'approximate', 'none') === 'tanh') {
      // y = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)
      const x2 = ctx.mul(x, x);
      const u = ctx.scale(ctx.mul(x, ctx.add(ctx.scalar(1, x), ctx.scale(x2, 0.044715))), SQRT_2_OVER_PI);
      const t = ctx.op('Tanh', [u]);
      const du = ctx.scale(ctx.add(ctx.scalar(1, x), ctx.scale(x2, 3 * 0.044715)), SQRT_2_OVER_PI);
      const sech2 = ctx.sub(ctx.scalar(1, x), ctx.mul(t, t));
      const local = ctx.add(ctx.scale(ctx.add(ctx.scalar(1, x), t), 0.5), ctx.scale(ctx.mul(ctx.mul(x, sech2), du), 0.5));
      return [ctx.mul(ctx.dY, local)];
    }
    // y = x Phi(x): dy/dx = Phi(x) + x phi(x)
    const cdf = ctx.scale(ctx.add(ctx.scalar(1, x), ctx.op('Erf', [ctx.scale(x, Math.SQRT1_2)])), 0.5);
    const pdf = ctx.scale(ctx.op('Exp', [ctx.scale(ctx.mul(x, x), -0.5)]), INV_SQRT_2PI);
    return [ctx.mul(ctx.dY, ctx.add(cdf, ctx.mul(x, pdf)))];
  },

  Elu: (ctx) => {
    // y = x (x > 0), alpha (e^x - 1) otherwise: dy/dx = 1 or y + alpha
    const alpha = attrFloat(ctx.node, 'alpha', 1);
    const x = ctx.input(0);
    const y = ctx.output();
    return [ctx.mul(ctx.dY, ctx.where(ctx.greaterThan(x, 0), ctx.scalar(1, x), ctx.add(y, ctx.scalar(alpha, y))))];
  },

  Exp: (ctx) => [ctx.mul(ctx.dY, ctx.output())],
  Log: (ctx) => [ctx.div(ctx.dY, ctx.input(0))],
  Sqrt: (ctx) => [ctx.div(ctx.scale(ctx.dY, 0.5), ctx.output())],
  Neg: (ctx) => [ctx.neg(ctx.dY)],
  Reciprocal: (ctx) => {
    const y = ctx.output();
    return [ctx.neg(ctx.mul(ctx.dY, ctx.mul(y, y)))];
  },
  Abs: (ctx) => [ctx.mul(ctx.dY, ctx.op('Sign', [ctx.input(0)]))],
};
