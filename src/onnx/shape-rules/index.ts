/** The shape rules of every supported default-domain op, by op type. */
import type { ShapeRule } from './context.js';
import { convRules } from './conv.js';
import { elementwiseRules } from './elementwise.js';
import { generatorRules } from './generators.js';
import { linalgRules } from './linalg.js';
import { normalizationRules } from './normalization.js';
import { poolRules } from './pool.js';
import { reduceRules } from './reduce.js';
import { reshapeRules } from './reshape.js';
import { slicingRules } from './slicing.js';

export type { RuleContext, ShapeInfo, ShapeRule } from './context.js';

export const SHAPE_RULES: Readonly<Record<string, ShapeRule>> = Object.freeze({
  ...elementwiseRules,
  ...convRules,
  ...poolRules,
  ...linalgRules,
  ...normalizationRules,
  ...reshapeRules,
  ...slicingRules,
  ...reduceRules,
  ...generatorRules,
});
