/**
 * Which class two models are explained for when their explanations are compared. Both must explain
 * the same class, so their class spaces have to correspond:
 * - same number of classes and the same names (or names known for at most one model): index k means
 *   the same class in both. The default target is the class model A predicts, used for B too.
 * - otherwise (different counts, or different names, e.g. MNIST digits vs Fashion-MNIST clothes) an
 *   index means different things, so a target must be given: a class name both models know (it may sit
 *   at different indices), or an index valid in both, taken as "index k in each" with a warning that
 *   names what it is in each model.
 * Platform neutral.
 */
import { fail, listForMessage } from '../errors.js';
import type { ImageModel } from '../model/image-model.js';
import { className, resolveClass } from '../model/targets.js';

export interface TargetPlan {
  /** true when index k is the same class in both models */
  readonly sameClasses: boolean;
  /** the class explained in each model; absent: model A's top class, in both */
  readonly target?: { readonly a: number; readonly b: number };
  /** what the user should know about the choice (an index across different class spaces) */
  readonly warning?: string;
}

function sameLabels(a: ImageModel, b: ImageModel): boolean {
  if (!a.labels || !b.labels) return true;
  return a.labels.every((l, i) => l.toLowerCase() === b.labels![i]!.toLowerCase());
}

function describe(m: ImageModel): string {
  return `${m.output.classes} classes${m.labels ? ` (${listForMessage(m.labels.map((l) => `'${l}'`), 6)})` : ''}`;
}

/** Settles the target for both models, or fails with INCOMPATIBLE_MODELS / UNKNOWN_CLASS. */
export function planTargets(a: ImageModel, b: ImageModel, target?: number | string): TargetPlan {
  const sameClasses = a.output.classes === b.output.classes && sameLabels(a, b);
  const isIndex = typeof target === 'number' || (target !== undefined && /^\d+$/.test(target));
  if (sameClasses) {
    if (target === undefined) return { sameClasses };
    // a name is looked up in whichever model has names
    const k = isIndex || a.labels ? resolveClass(a, target) : resolveClass(b, target);
    return { sameClasses, target: { a: k, b: k } };
  }
  if (target === undefined) {
    fail('INCOMPATIBLE_MODELS', `the models' classes differ: A (${a.name}) has ${describe(a)}, B (${b.name}) has ${describe(b)}, so the same index is not the same class. Give --target: a class name both models know, or a class index to compare index k of each anyway.`);
  }
  const inModel = (m: ImageModel, which: string) => {
    try {
      return resolveClass(m, target);
    } catch (e) {
      fail('UNKNOWN_CLASS', `model ${which} (${m.name}): ${(e as Error).message}`);
    }
  };
  const ka = inModel(a, 'A');
  const kb = inModel(b, 'B');
  if (!isIndex) return { sameClasses, target: { a: ka, b: kb } };
  const na = className(a, ka);
  const nb = className(b, kb);
  return {
    sameClasses,
    target: { a: ka, b: kb },
    ...(na.toLowerCase() !== nb.toLowerCase() ? { warning: `warning: the models' classes differ; class index ${ka} is '${na}' in A and '${nb}' in B, and both are explained for it.` } : {}),
  };
}
