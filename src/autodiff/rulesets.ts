/**
 * Rule sets: which backward rule each op type gets. A rule set is plain data (op type -> rule), so
 * methods can swap the rules of a few ops (guided backprop, deconvnet) and keep the rest standard.
 */
import { piecewiseConstantRules } from './rules/piecewise-constant.js';
import type { RuleTable } from './context.js';
import { activationRules } from './rules/activations.js';
import { arithmeticRules } from './rules/arithmetic.js';
import { convRules } from './rules/conv.js';
import { layoutRules } from './rules/layout.js';
import { deconvnetRules, guidedRules } from './rules/modified-relu.js';
import { normalizationRules } from './rules/normalization.js';
import { poolingRules } from './rules/pooling.js';
import { reductionRules } from './rules/reductions.js';

export type RuleSetName = 'standard' | 'guided' | 'deconvnet';

export const RULE_SET_NAMES: readonly RuleSetName[] = Object.freeze(['standard', 'guided', 'deconvnet']);

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
  switch (which) {
    case 'standard':
      return std;
    case 'guided':
      return Object.freeze({ ...std, ...guidedRules });
    case 'deconvnet':
      return Object.freeze({ ...std, ...deconvnetRules });
  }
}

/** Op types with a standard backward rule (for docs and error messages). */
export function differentiableOps(opset = 17): string[] {
  return Object.keys(standardRules(opset)).sort();
}
