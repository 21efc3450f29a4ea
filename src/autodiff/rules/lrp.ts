/**
 * Layer-wise relevance propagation (Bach et al. 2015, "On Pixel-Wise Explanations for Non-Linear
 * Classifier Decisions by Layer-Wise Relevance Propagation"; Montavon et al. 2019, "Layer-Wise Relevance
 * Propagation: An Overview", Sec. 10.2) as backward rules, in the gradient x input form.
 *
 * The backward signal at a tensor t is m_t with relevance R_t = t * m_t (elementwise), so relevance at
 * the input is x * (the modified gradient), and a one-hot seed at the logit gives R = logit there.
 * Rules, for a layer z_j = sum_i x_i w_ij + b_j (Conv, Gemm, MatMul with a constant operand):
 * - epsilon (Montavon 2019, Eq. 5):  R_i = x_i sum_j w_ij R_j / (z_j + eps sign(z_j)), sign(0) = +1.
 *   With R_j = z_j m_j this is the gradient rule applied to m_j z_j / (z_j + eps sign(z_j)) (Ancona et
 *   al. 2018, "Towards better understanding of gradient-based attribution methods", Sec. 3.1). The
 *   bias and eps absorb some relevance; eps = 0 is LRP-0 (a zero z_j then passes nothing).
 * - zplus (Montavon et al. 2017, "Explaining nonlinear classification decisions with deep Taylor
 *   decomposition", z+ rule; = LRP-alpha1beta0 of Bach et al. 2015, Eq. 60):
 *   R_i = sum_j (x_i w_ij)^+ / sum_i' (x_i' w_i'j)^+ R_j. For x >= 0 (after a ReLU) this is
 *   x_i w+_ij / sum x_i' w+_i'j; for signed inputs (the pixel layer) (x w)^+ = x+ w+ + x- w-. With
 *   s_j = R_j / z+_j: m_i = [x_i > 0] (W+^T s)_i + [x_i < 0] (W-^T s)_i. The bias is ignored, so all
 *   of R_j is redistributed, except where z+_j = 0 (no positive contribution), where it is dropped.
 * Every other op passes relevance as the gradient x input form does by itself:
 * - Relu, LeakyRelu, PRelu: the gradient equals y / x, so R_x = R_y (relevance passes unchanged);
 *   Clip (ReLU6) gets m_x = m_y y / x explicitly;
 * - MaxPool / GlobalMaxPool: the gradient routes m to the winner, R_winner = y m (winner-take-all);
 * - AveragePool / GlobalAveragePool, Add, Sub, Sum, Concat, reshapes: the gradient splits relevance in
 *   proportion to the contributions (R_i = x_i m / k for an average of k values);
 * - BatchNormalization not folded into a Conv (an affine map per channel): its shift absorbs relevance.
 * BatchNormalization after a Conv is folded into it before differentiation (fold-batchnorm.ts), so the
 * rules see the folded layer, as LRP prescribes. Any other op on the path fails up front with
 * NO_GRADIENT_RULE naming the op and the rule set.
 */
import { fail } from '../../errors.js';
import { attrFloat } from '../../onnx/ir.js';
import type { BackwardRule, RuleContext, RuleTable } from '../context.js';
import { linearRule, requireOnePathOperand, ruleView } from './rescale.js';

export type LrpRule = { readonly kind: 'epsilon'; readonly epsilon: number } | { readonly kind: 'zplus' };

/** Ops whose gradient already propagates relevance as LRP prescribes (see the header). */
const PASS_OPS = [
  'Relu', 'LeakyRelu', 'PRelu', 'MaxPool', 'GlobalMaxPool', 'AveragePool', 'GlobalAveragePool', 'ReduceMean', 'ReduceSum',
  'Add', 'Sub', 'Sum', 'Neg', 'Mul', 'Div', 'BatchNormalization',
  'Identity', 'Dropout', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Expand', 'Transpose', 'Concat', 'Split', 'Slice', 'Pad', 'Cast',
] as const;

/** The index of the operand on the path (the layer's input) and of the constant weight. */
function operands(ctx: RuleContext, rules: string): { p: number; q: number } {
  if (ctx.node.opType === 'Conv') return { p: 0, q: 1 };
  requireOnePathOperand(ctx, rules, [0, 1]);
  return ctx.needs(0) ? { p: 0, q: 1 } : { p: 1, q: 0 };
}

/** The layer's linear part (no bias) applied to input `x` with weight `w`. */
function linearPart(ctx: RuleContext, p: number, x: string, w: string): string {
  const pair = p === 0 ? [x, w] : [w, x];
  switch (ctx.node.opType) {
    case 'Conv':
      return ctx.op('Conv', [x, w], ctx.node.attributes);
    case 'Gemm':
      return ctx.op('Gemm', pair, ctx.node.attributes.filter((a) => a.name !== 'beta'));
    default:
      return ctx.op('MatMul', pair);
  }
}

/** m_j z_j / (z_j + eps sign(z_j)) with sign(0) = +1; 0 where the denominator is 0 (eps = 0 and z = 0). */
function epsilonSignal(ctx: RuleContext, eps: number): string {
  const z = ctx.output();
  const sign = ctx.where(ctx.op('Less', [z, ctx.scalar(0, z)]), ctx.scalar(-eps, z), ctx.scalar(eps, z));
  const den = ctx.add(z, sign);
  const nonzero = ctx.op('Not', [ctx.op('Equal', [den, ctx.scalar(0, z)])]);
  const ratio = ctx.where(nonzero, ctx.div(z, ctx.where(nonzero, den, ctx.scalar(1, z))), ctx.scalar(0, z));
  return ctx.mul(ctx.dY, ratio);
}

function layerRule(std: BackwardRule, rule: LrpRule, rules: string): BackwardRule {
  return (ctx) => {
    const { p, q } = operands(ctx, rules);
    if (rule.kind === 'epsilon') return std(ruleView(ctx, { dY: epsilonSignal(ctx, rule.epsilon) }));
    if (ctx.node.opType === 'Gemm' && attrFloat(ctx.node, 'alpha', 1) <= 0) {
      fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: the z+ rule needs Gemm's alpha > 0, got ${attrFloat(ctx.node, 'alpha', 1)}. Use --lrp-rule epsilon.`);
    }
    const x = ctx.input(p);
    const w = ctx.input(q);
    const z = ctx.output();
    const xPos = ctx.op('Relu', [x]);
    const xNeg = ctx.sub(x, xPos);
    const wPos = ctx.op('Relu', [w]);
    const wNeg = ctx.sub(w, wPos);
    const zPlus = ctx.add(linearPart(ctx, p, xPos, wPos), linearPart(ctx, p, xNeg, wNeg));
    const positive = ctx.op('Greater', [zPlus, ctx.scalar(0, z)]);
    // s_j = R_j / z+_j with R_j = z_j m_j; 0 where no input contributes positively
    const s = ctx.where(positive, ctx.div(ctx.mul(ctx.dY, z), ctx.where(positive, zPlus, ctx.scalar(1, z))), ctx.scalar(0, z));
    const through = (weight: string) => std(ruleView(ctx, { dY: s, inputs: { [q]: weight } }))[p]!;
    const g = ctx.where(ctx.op('Greater', [x, ctx.scalar(0, x)]), through(wPos), through(wNeg));
    const out: (string | undefined)[] = [];
    out[p] = g;
    return out;
  };
}

/** Clip (e.g. ReLU6) passing relevance unchanged: m_x = m_y y / x (0 where x = 0). */
const clipPassRule: BackwardRule = (ctx) => {
  ctx.refuse(1, 'the Clip minimum');
  ctx.refuse(2, 'the Clip maximum');
  const x = ctx.input(0);
  const nonzero = ctx.op('Not', [ctx.op('Equal', [x, ctx.scalar(0, x)])]);
  const ratio = ctx.where(nonzero, ctx.div(ctx.output(), ctx.where(nonzero, x, ctx.scalar(1, x))), ctx.scalar(0, x));
  return [ctx.mul(ctx.dY, ratio)];
};

/** The LRP rule set over the given standard rules. */
export function lrpRules(std: RuleTable, rule: LrpRule, name: string): RuleTable {
  const out: Record<string, BackwardRule> = {};
  for (const op of PASS_OPS) out[op] = linearRule(std, op, name);
  for (const op of ['Conv', 'Gemm', 'MatMul']) out[op] = layerRule(std[op]!, rule, name);
  out['Clip'] = clipPassRule;
  return Object.freeze(out);
}
