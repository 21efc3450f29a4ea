/**
 * Targets: which class each example is explained for, and what that means for the seed of the
 * backward pass. The score explained is the pre-activation logit; for a single-sigmoid binary head,
 * class 1 is +logit and class 0 is -logit (the log-odds of class 0).
 */
import { fail, listForMessage } from '../errors.js';
import type { ImageModel } from './image-model.js';

/** A user's target: a class index, a class name, the top predicted class, or the difference of two classes' scores. */
export type TargetSpec = number | string | 'top' | { readonly of: number | string; readonly minus: number | string };

/** A resolved target for one example: the score of class `index`, minus that of class `minus` when given. */
export interface ClassTarget {
  readonly index: number;
  readonly minus?: number;
}

/** Probabilities per example from the logits, as the model's output activation defines them. */
export function probabilities(model: ImageModel, logits: Float32Array, batch: number): Float32Array[] {
  const units = logits.length / batch;
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const l = logits.subarray(b * units, (b + 1) * units);
    switch (model.output.kind) {
      case 'sigmoid-binary': {
        const p = 1 / (1 + Math.exp(-l[0]!));
        out.push(Float32Array.of(1 - p, p));
        break;
      }
      case 'sigmoid-multilabel':
        out.push(l.map((v) => 1 / (1 + Math.exp(-v))));
        break;
      default: {
        let max = -Infinity;
        for (const v of l) max = Math.max(max, v);
        let sum = 0;
        const e = l.map((v) => Math.exp(v - max));
        for (const v of e) sum += v;
        out.push(e.map((v) => v / sum));
      }
    }
  }
  return out;
}

/** The class name of index k ('class k' when the model has no labels). */
export function className(model: ImageModel, k: number): string {
  return model.labels?.[k] ?? `class ${k}`;
}

/** Resolves a target given by the user (or 'top', decided per example after the forward pass). */
export function resolveTarget(model: ImageModel, target: TargetSpec): ClassTarget | 'top' {
  if (target === 'top') return 'top';
  if (typeof target === 'object') {
    const index = resolveClass(model, target.of);
    const minus = resolveClass(model, target.minus);
    if (index === minus) fail('UNKNOWN_CLASS', `the difference of class ${index} and itself is zero; give two different classes.`);
    return { index, minus };
  }
  return { index: resolveClass(model, target) };
}

/** A class index from an index or a name. */
export function resolveClass(model: ImageModel, target: number | string): number {
  const n = model.output.classes;
  if (typeof target === 'number' || /^\d+$/.test(target)) {
    const k = Number(target);
    if (!Number.isInteger(k) || k < 0 || k >= n) fail('UNKNOWN_CLASS', `class index ${target} is out of range: the model has ${n} classes (0..${n - 1}).`);
    return k;
  }
  const labels = model.labels;
  if (!labels) fail('UNKNOWN_CLASS', `class '${target}' cannot be looked up: the model has no class names. Give a class index (0..${n - 1}) or a labels file.`);
  let k = labels.indexOf(target);
  if (k < 0) k = labels.findIndex((l) => l.toLowerCase() === target.toLowerCase());
  if (k < 0) fail('UNKNOWN_CLASS', `class '${target}' is not one of the model's classes: ${listForMessage(labels.map((l) => `'${l}'`), 20)}.`);
  return k;
}

/** The top-k classes of one example's probabilities, best first. */
export function topK(probs: Float32Array, k: number): { index: number; probability: number }[] {
  return [...probs].map((probability, index) => ({ index, probability })).sort((a, b) => b.probability - a.probability || a.index - b.index).slice(0, k);
}

/** The seed on the logits ([batch, units]) that makes the backward pass compute d(score)/d(.). */
export function logitSeed(model: ImageModel, targets: readonly ClassTarget[]): Float32Array {
  const binary = model.output.kind === 'sigmoid-binary';
  const units = binary ? 1 : model.output.classes;
  const seed = new Float32Array(targets.length * units);
  targets.forEach((t, b) => {
    for (const [k, w] of terms(t)) {
      if (binary) seed[b] = seed[b]! + w * (k === 1 ? 1 : -1);
      else seed[b * units + k] = seed[b * units + k]! + w;
    }
  });
  return seed;
}

/** A target as weighted classes: [[index, 1]] or [[index, 1], [minus, -1]]. */
function terms(t: ClassTarget): [number, number][] {
  return t.minus === undefined ? [[t.index, 1]] : [[t.index, 1], [t.minus, -1]];
}

/** The explained score of each example: its class's logit (-logit for class 0 of a binary sigmoid), minus the other class's for a difference. */
export function targetScores(model: ImageModel, logits: Float32Array, targets: readonly ClassTarget[]): number[] {
  const units = logits.length / targets.length;
  const binary = model.output.kind === 'sigmoid-binary';
  return targets.map((t, b) => terms(t).reduce((s, [k, w]) => s + w * (binary ? (k === 1 ? 1 : -1) * logits[b]! : logits[b * units + k]!), 0));
}

/** How a target reads in messages and summaries, e.g. 'Neutral' or 'Porn - Neutral'. */
export function targetLabel(model: ImageModel, t: ClassTarget): string {
  return t.minus === undefined ? className(model, t.index) : `${className(model, t.index)} - ${className(model, t.minus)}`;
}
