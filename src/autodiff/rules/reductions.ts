/** Backward rules for reductions over axes. */
import { fail } from '../../errors.js';
import { attrInt, attrInts } from '../../onnx/ir.js';
import type { RuleContext, RuleTable } from '../context.js';

/** The reduced axes, normalized; from the attribute or (ReduceSum >= 13, others >= 18) the second input. */
function reducedAxes(ctx: RuleContext, axesAsInputSince: number, opset: number): number[] {
  const r = ctx.rank(ctx.input(0));
  let axes: readonly number[] | undefined;
  if (opset >= axesAsInputSince) {
    const name = ctx.input(1);
    if (name) {
      axes = ctx.constValue(name);
      if (!axes) fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: reductions over computed axes are not differentiated.`);
    }
  } else axes = attrInts(ctx.node, 'axes');
  if (!axes || axes.length === 0) {
    if (attrInt(ctx.node, 'noop_with_empty_axes', 0)) return [];
    return [...Array(r).keys()];
  }
  return axes.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b);
}

function reduceBackward(ctx: RuleContext, axesAsInputSince: number, mean: boolean, opset: number): string {
  const x = ctx.input(0);
  const axes = reducedAxes(ctx, axesAsInputSince, opset);
  if (axes.length === 0) return ctx.dY;
  const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
  const g = ctx.expandLike(keep ? ctx.dY : ctx.unsqueeze(ctx.dY, axes), x);
  if (!mean) return g;
  const count = axes.reduce((n, a) => n * ctx.dim(x, a), 1);
  return ctx.scale(g, 1 / count);
}

export function reductionRules(opset: number): RuleTable {
  return {
    ReduceSum: (ctx) => [reduceBackward(ctx, 13, false, opset)],
    ReduceMean: (ctx) => [reduceBackward(ctx, 18, true, opset)],
  };
}
