/**
 * The input gradient a method needs, taken from the forward call when explain() fused it there (the
 * same rules and targets), else computed by its own backward pass. Fusing saves a whole forward pass:
 * explain() runs a forward pass for the predictions anyway.
 */
import type { RuleSetName } from '../autodiff/rulesets.js';
import type { HostTensor } from '../runtime/backend.js';
import { inputGradient } from './engine.js';
import type { MethodContext } from './types.js';

export async function inputGradientOf(ctx: MethodContext, rules: RuleSetName = 'standard'): Promise<HostTensor> {
  const fused = ctx.forward.layerGradient;
  const same = fused && fused.layer === ctx.model.inputName && fused.rules === rules && fused.targets.length === ctx.targets.length
    && fused.targets.every((t, i) => t.index === ctx.targets[i]!.index && t.minus === ctx.targets[i]!.minus);
  return same ? fused.gradient : inputGradient(ctx.model, ctx.input, ctx.targets, { ...ctx, rules });
}
