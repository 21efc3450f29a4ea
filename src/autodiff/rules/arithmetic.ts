/** Backward rules for broadcasting arithmetic and matrix products. */
import { fail } from '../../errors.js';
import { attrFloat, attrInt } from '../../onnx/ir.js';
import type { RuleContext, RuleTable } from '../context.js';

/** Gradient of a broadcasting binary op: g (of the output's shape) summed down to input i's shape. */
function toInput(ctx: RuleContext, i: number, g: string): string | undefined {
  if (!ctx.needs(i)) return undefined;
  return ctx.unbroadcast(g, ctx.shape(ctx.output()), ctx.input(i));
}

/** Swaps the last two axes of a tensor of rank r. */
function swapLast(ctx: RuleContext, x: string, r: number): string {
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return ctx.transpose(x, perm);
}

export const arithmeticRules: RuleTable = {
  Add: (ctx) => [toInput(ctx, 0, ctx.dY), toInput(ctx, 1, ctx.dY)],

  Sub: (ctx) => [toInput(ctx, 0, ctx.dY), ctx.needs(1) ? toInput(ctx, 1, ctx.neg(ctx.dY)) : undefined],

  Sum: (ctx) => ctx.node.inputs.map((_, i) => toInput(ctx, i, ctx.dY)),

  Mul: (ctx) => [
    ctx.needs(0) ? toInput(ctx, 0, ctx.mul(ctx.dY, ctx.input(1))) : undefined,
    ctx.needs(1) ? toInput(ctx, 1, ctx.mul(ctx.dY, ctx.input(0))) : undefined,
  ],

  Div: (ctx) => {
    const b = ctx.input(1);
    return [
      ctx.needs(0) ? toInput(ctx, 0, ctx.div(ctx.dY, b)) : undefined,
      // d(a/b)/db = -(a/b)/b = -y/b
      ctx.needs(1) ? toInput(ctx, 1, ctx.neg(ctx.div(ctx.mul(ctx.dY, ctx.output()), b))) : undefined,
    ];
  },

  Pow: (ctx) => {
    ctx.refuse(1, 'the exponent of Pow');
    const x = ctx.input(0);
    const p = ctx.input(1);
    const pv = ctx.constValue(p);
    let local: string;
    if (pv && pv.length === 1 && pv[0] === 2) local = ctx.scale(x, 2);
    else if (pv && pv.length === 1 && pv[0] === 1) return [toInput(ctx, 0, ctx.dY)];
    else {
      const pCast = ctx.elemType(p) === ctx.elemType(x) ? p : ctx.op('Cast', [p], [{ name: 'to', type: 'int', value: ctx.elemType(x) }]);
      local = ctx.mul(pCast, ctx.op('Pow', [x, ctx.sub(pCast, ctx.scalar(1, x))]));
    }
    return [toInput(ctx, 0, ctx.mul(ctx.dY, local))];
  },

  MatMul: (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    const ra = ctx.rank(a);
    const rb = ctx.rank(b);
    const y = ctx.output();
    const yShape = ctx.shape(y);
    if (ra < 2) fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: MatMul with a 1-D first operand is not differentiated; reshape it to 2-D.`);
    let ga: string | undefined;
    let gb: string | undefined;
    if (rb === 1) {
      // y[..., n] = a[..., n, k] b[k]
      if (ctx.needs(0)) ga = ctx.mul(ctx.unsqueeze(ctx.dY, [ctx.rank(y)]), b);
      if (ctx.needs(1)) gb = ctx.sum(ctx.mul(ctx.unsqueeze(ctx.dY, [ctx.rank(y)]), a), [...Array(ra - 1).keys()], false);
      return [ga, gb];
    }
    const ry = yShape.length;
    if (ctx.needs(0)) {
      const g = ctx.op('MatMul', [ctx.dY, swapLast(ctx, b, rb)]);
      ga = ctx.unbroadcast(g, [...yShape.slice(0, ry - 2), ...ctx.shape(a).slice(-2)], a);
    }
    if (ctx.needs(1)) {
      const g = ctx.op('MatMul', [swapLast(ctx, a, ra), ctx.dY]);
      gb = ctx.unbroadcast(g, [...yShape.slice(0, ry - 2), ...ctx.shape(b).slice(-2)], b);
    }
    return [ga, gb];
  },

  Gemm: (ctx) => {
    // Y = alpha * A' B' + beta * C, with A' = transA ? A^T : A and B' likewise
    const alpha = attrFloat(ctx.node, 'alpha', 1);
    const beta = attrFloat(ctx.node, 'beta', 1);
    const transA = attrInt(ctx.node, 'transA', 0);
    const transB = attrInt(ctx.node, 'transB', 0);
    const a = ctx.input(0);
    const b = ctx.input(1);
    const gemm = (x: string, y: string, tA: number, tB: number) =>
      ctx.op('Gemm', [x, y], [
        { name: 'alpha', type: 'float', value: alpha },
        { name: 'transA', type: 'int', value: tA },
        { name: 'transB', type: 'int', value: tB },
      ]);
    let ga: string | undefined;
    let gb: string | undefined;
    let gc: string | undefined;
    if (ctx.needs(0)) {
      // dA' = alpha dY B'^T ; dA = transA ? (dA')^T = alpha B' dY^T
      ga = transA ? gemm(b, ctx.dY, transB, 1) : gemm(ctx.dY, b, 0, transB ? 0 : 1);
    }
    if (ctx.needs(1)) {
      // dB' = alpha A'^T dY ; dB = transB ? alpha dY^T A' : dB'
      gb = transB ? gemm(ctx.dY, a, 1, transA) : gemm(a, ctx.dY, transA ? 0 : 1, 0);
    }
    if (ctx.needs(2)) gc = ctx.unbroadcast(ctx.scale(ctx.dY, beta), ctx.shape(ctx.output()), ctx.input(2));
    return [ga, gb, gc];
  },
};
