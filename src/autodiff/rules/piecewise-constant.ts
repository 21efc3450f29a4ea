/**
 * Ops whose output is piecewise constant in their inputs (comparisons, logic, rounding, arg-reductions):
 * their gradient is zero almost everywhere, so no gradient flows back through them. Graphs use them to
 * build masks, e.g. a thresholded ReLU imported from Keras as x * Cast(Greater(x, t)).
 */
import type { BackwardRule, RuleTable } from '../context.js';

const noGradient: BackwardRule = (ctx) => ctx.node.inputs.map(() => undefined);

const OPS = ['Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Equal', 'Not', 'And', 'Or', 'Xor', 'Sign', 'Floor', 'Ceil', 'Round', 'ArgMax', 'ArgMin'];

export const piecewiseConstantRules: RuleTable = Object.fromEntries(OPS.map((op) => [op, noGradient]));
