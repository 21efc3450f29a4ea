/**
 * Rule sets: which backward rule each op type gets. A rule set is plain data (op type -> rule), so
 * methods can swap the rules of a few ops (guided backprop, deconvnet) and keep the rest standard.
 * The DeepLIFT (rules/rescale.ts) and LRP (rules/lrp.ts) sets instead list every op they accept, so
 * an op without a rule of theirs fails instead of silently getting its gradient:
 * - 'rescale': DeepLIFT's rescale rule on [inputs; references] batches, MaxPool keeping
 *   summation-to-delta; 'rescale-maxpool-gradient': the same with MaxPool's plain gradient;
 * - 'lrp-epsilon' (eps = LRP_DEFAULT_EPSILON) or 'lrp-epsilon:E' (eps = E), and 'lrp-zplus'.
 */
import { fail } from '../errors.js';
import { piecewiseConstantRules } from './rules/piecewise-constant.js';
import type { RuleTable } from './context.js';
import { activationRules } from './rules/activations.js';
import { arithmeticRules } from './rules/arithmetic.js';
import { convRules } from './rules/conv.js';
import { layoutRules } from './rules/layout.js';
import { lrpRules } from './rules/lrp.js';
import { deconvnetRules, guidedRules } from './rules/modified-relu.js';
import { normalizationRules } from './rules/normalization.js';
import { poolingRules } from './rules/pooling.js';
import { reductionRules } from './rules/reductions.js';
import { rescaleRules } from './rules/rescale.js';

export type RuleSetName = 'standard' | 'guided' | 'deconvnet' | 'rescale' | 'rescale-maxpool-gradient' | 'lrp-epsilon' | `lrp-epsilon:${number}` | 'lrp-zplus';

export const RULE_SET_NAMES: readonly RuleSetName[] = Object.freeze(['standard', 'guided', 'deconvnet', 'rescale', 'rescale-maxpool-gradient', 'lrp-epsilon', 'lrp-zplus']);

/** The epsilon of 'lrp-epsilon' (the default of zennit's Epsilon rule). */
export const LRP_DEFAULT_EPSILON = 1e-6;

/** The name of the LRP-epsilon rule set with the given epsilon. */
export function lrpEpsilonRules(epsilon: number): RuleSetName {
  return epsilon === LRP_DEFAULT_EPSILON ? 'lrp-epsilon' : `lrp-epsilon:${epsilon}`;
}

/** The standard (true gradient) rules for a model of the given default-domain opset. */
export function standardRules(opset: number): RuleTable {
  return Object.freeze({
    ...activationRules,
    ...arithmeticRules,
    ...convRules,
    ...layoutRules,
    ...normalizationRules,
    ...poolingRules,
    ...reductionRules(opset),
    ...piecewiseConstantRules,
  });
}

/** Resolves a rule set by name, or merges custom overrides over the standard rules. */
export function ruleSet(which: RuleSetName | RuleTable, opset: number): RuleTable {
  const std = standardRules(opset);
  if (typeof which !== 'string') return Object.freeze({ ...std, ...which });
  if (which.startsWith('lrp-epsilon:')) {
    const epsilon = Number(which.slice('lrp-epsilon:'.length));
    if (!(epsilon >= 0)) fail('USAGE', `rule set '${which}': the LRP epsilon must be a number >= 0.`);
    return lrpRules(std, { kind: 'epsilon', epsilon }, which);
  }
  switch (which) {
    case 'standard':
      return std;
    case 'guided':
      return Object.freeze({ ...std, ...guidedRules });
    case 'deconvnet':
      return Object.freeze({ ...std, ...deconvnetRules });
    case 'rescale':
      return rescaleRules(std, 'rescale', which);
    case 'rescale-maxpool-gradient':
      return rescaleRules(std, 'gradient', which);
    case 'lrp-epsilon':
      return lrpRules(std, { kind: 'epsilon', epsilon: LRP_DEFAULT_EPSILON }, which);
    case 'lrp-zplus':
      return lrpRules(std, { kind: 'zplus' }, which);
    default:
      return fail('USAGE', `unknown rule set '${String(which)}'; rule sets: ${RULE_SET_NAMES.join(', ')}, lrp-epsilon:E.`);
  }
}

/** Op types with a standard backward rule (for docs and error messages). */
export function differentiableOps(opset = 17): string[] {
  return Object.keys(standardRules(opset)).sort();
}
