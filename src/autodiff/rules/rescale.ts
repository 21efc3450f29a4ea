/**
 * DeepLIFT's rescale rule (Shrikumar, Greenside & Kundaje 2017, "Learning Important Features Through
 * Propagating Activation Differences", Sec. 3.5.2) as backward rules.
 *
 * The backward signal is DeepLIFT's multiplier m = C / Delta (chain rule for multipliers, Sec. 3.3).
 * Linear ops keep their gradient. An elementwise nonlinearity y = f(x) gets the secant slope
 *   m_x = m_y * (y - y0) / (x - x0),
 * falling back to the gradient m_y * f'(x) where |x - x0| <= NEAR_ZERO (the secant is then the slope
 * anyway, and dividing two rounding-sized differences would only add noise).
 *
 * The reference activations (x0, y0) come from the SAME batch: the caller feeds [inputs; references]
 * (2N examples) and example i is paired with example i + N. Each rule reads its partner's activations
 * by swapping the two halves along the batch axis (Slice + Concat). The multipliers are symmetric in
 * the two members of a pair, so both halves get the same multipliers and whatever seed the second half
 * receives does not change the first half's result.
 *
 * MaxPool: 'rescale' (default) distributes each window's output difference y - y0 to the input
 * positions that won the max, in two parts as Captum's DeepLift does: max(y, y0) - y0 through the
 * input's argmax and y - max(y, y0) through the reference's argmax; the multiplier is that amount
 * divided by x - x0 at each position. Summation-to-delta then holds through the pool. 'gradient'
 * (the DeepLIFT reference code's default) routes the multiplier to the input's argmax unchanged, which
 * breaks summation-to-delta wherever the input and its reference win at different positions.
 *
 * Only ops whose rule keeps summation-to-delta are in these rule sets; any other op on the path fails
 * up front with NO_GRADIENT_RULE naming the op and the rule set.
 */
import { fail } from '../../errors.js';
import { attrs } from '../../onnx/graph.js';
import type { BackwardRule, RuleContext, RuleTable } from '../context.js';

/** |x - x0| at or below this uses the gradient instead of the secant. */
export const NEAR_ZERO = 1e-7;

/** Linear (or affine) ops: their gradient is their multiplier. Mul/Div/MatMul/Gemm only with one operand on the path. */
export const LINEAR_OPS = [
  'Add', 'Sub', 'Sum', 'Neg', 'Mul', 'Div', 'MatMul', 'Gemm', 'Conv', 'ConvTranspose',
  'Identity', 'Dropout', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Expand', 'Transpose', 'Concat', 'Split', 'Slice', 'Pad', 'Cast',
  'AveragePool', 'GlobalAveragePool', 'ReduceMean', 'ReduceSum', 'BatchNormalization',
] as const;

/** Piecewise-constant ops (comparisons, rounding): no gradient flows, as in the standard rules. */
const PIECEWISE_CONSTANT = ['Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Equal', 'Not', 'And', 'Or', 'Xor', 'Sign', 'Floor', 'Ceil', 'Round', 'ArgMax', 'ArgMin'] as const;

/** Elementwise functions of one path input (other inputs constant): rescaled. */
export const ELEMENTWISE_OPS = [
  'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Softplus', 'Elu', 'Gelu', 'Erf',
  'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Abs', 'Pow',
] as const;

/**
 * A view of a rule context with a different output gradient and/or different (non-path) inputs, so a
 * standard rule can be reused on a modified backward signal or with modified weights. Replaced inputs
 * report the shape of the input they replace.
 */
export function ruleView(ctx: RuleContext, over: { readonly dY?: string; readonly inputs?: Readonly<Record<number, string>> }): RuleContext {
  const view = Object.create(ctx) as RuleContext;
  const dY = over.dY;
  if (dY !== undefined) {
    Object.defineProperty(view, 'dY', { get: () => dY });
    Object.defineProperty(view, 'grad', { value: (i = 0) => (i === 0 ? dY : ctx.grad(i)) });
  }
  const inputs = over.inputs ?? {};
  const replaced = new Map(Object.entries(inputs).map(([i, name]) => [name, ctx.input(Number(i))]));
  Object.defineProperty(view, 'input', { value: (i: number) => inputs[i] ?? ctx.input(i) });
  Object.defineProperty(view, 'shape', { value: (name: string) => ctx.shape(replaced.get(name) ?? name) });
  return view;
}

/** Fails unless exactly one of the inputs `which` is on the differentiated path (a linear map of it). */
export function requireOnePathOperand(ctx: RuleContext, rules: string, which: readonly number[]): void {
  if (which.filter((i) => ctx.needs(i)).length > 1) {
    fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: under the '${rules}' rules, ${ctx.node.opType} is only differentiated as a linear map of one operand, but its operands ${which.join(' and ')} both depend on the input (a product of two activations, e.g. Swish or squeeze-and-excitation, has no ${rules} rule). Use a method with standard gradients (gradient, integrated gradients) for this model.`);
  }
}

/** The standard rule of a linear op, refusing products of two path tensors. */
export function linearRule(std: RuleTable, op: string, rules: string): BackwardRule {
  const rule = std[op]!;
  switch (op) {
    case 'Mul':
    case 'MatMul':
    case 'Gemm':
      return (ctx) => {
        requireOnePathOperand(ctx, rules, [0, 1]);
        return rule(ctx);
      };
    case 'Div':
      return (ctx) => {
        if (ctx.needs(1)) fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: under the '${rules}' rules, a division by a tensor that depends on the input is not differentiated (it is not linear). Use a method with standard gradients for this model.`);
        return rule(ctx);
      };
    default:
      return rule;
  }
}

/** The batch halves swapped: example i of [a; b] becomes example i of [b; a], so t - partner(t) is t - t0. */
export function partner(ctx: RuleContext, t: string): string {
  const batch = ctx.op('Slice', [ctx.shapeOf(t), ctx.ints([0]), ctx.ints([1])]);
  const half = ctx.op('Div', [batch, ctx.ints([2])]);
  const axis0 = ctx.ints([0]);
  const first = ctx.op('Slice', [t, ctx.ints([0]), half, axis0]);
  const second = ctx.op('Slice', [t, half, ctx.ints([2 ** 62]), axis0]);
  return ctx.op('Concat', [second, first], [attrs.int('axis', 0)]);
}

/** num / den where |den| > NEAR_ZERO, else `fallback`. */
function secantOr(ctx: RuleContext, num: string, den: string, fallback: string): string {
  const far = ctx.op('Greater', [ctx.op('Abs', [den]), ctx.scalar(NEAR_ZERO, den)]);
  const safe = ctx.where(far, den, ctx.scalar(1, den));
  return ctx.where(far, ctx.div(num, safe), fallback);
}

/** The rescale rule around an elementwise op's standard rule (which gives the fallback gradient). */
export function rescaled(std: BackwardRule): BackwardRule {
  return (ctx) => {
    const grads = std(ctx);
    const x = ctx.input(0);
    const y = ctx.output();
    const dx = ctx.sub(x, partner(ctx, x));
    const dy = ctx.sub(y, partner(ctx, y));
    const fallback = grads[0] ?? ctx.zerosLike(x);
    return [secantOr(ctx, ctx.mul(ctx.dY, dy), dx, fallback), ...grads.slice(1)];
  };
}

/** MaxPool's multiplier that keeps summation-to-delta (see the header). */
function rescaledMaxPool(std: BackwardRule): BackwardRule {
  return (ctx) => {
    // scatters a [N, C, h, w] signal to the positions that won each window of this example's input
    const scatter = (g: string) => std(ruleView(ctx, { dY: g }))[0]!;
    const x = ctx.input(0);
    const y = ctx.output();
    const g = ctx.dY;
    const y0 = partner(ctx, y);
    const top = ctx.op('Max', [y, y0]);
    // through this example's argmax: max(y, y0) - y0; through the partner's argmax: y - max(y, y0)
    const own = scatter(ctx.mul(g, ctx.sub(top, y0)));
    const theirs = partner(ctx, scatter(ctx.mul(partner(ctx, g), ctx.sub(y0, top))));
    const dx = ctx.sub(x, partner(ctx, x));
    return [secantOr(ctx, ctx.add(own, theirs), dx, scatter(g))];
  };
}

export type MaxPoolRule = 'rescale' | 'gradient';

/**
 * The DeepLIFT rescale rule set over the given standard rules: linear ops keep their gradient,
 * elementwise nonlinearities are rescaled, MaxPool as chosen; nothing else is differentiated.
 */
export function rescaleRules(std: RuleTable, maxPool: MaxPoolRule, name: string): RuleTable {
  const out: Record<string, BackwardRule> = {};
  for (const op of LINEAR_OPS) out[op] = linearRule(std, op, name);
  for (const op of PIECEWISE_CONSTANT) out[op] = std[op]!;
  for (const op of ELEMENTWISE_OPS) out[op] = rescaled(std[op]!);
  out['MaxPool'] = maxPool === 'rescale' ? rescaledMaxPool(std['MaxPool']!) : std['MaxPool']!;
  return Object.freeze(out);
}
