/**
 * Explaining a batch of preprocessed images with several methods: one forward pass (predictions, and
 * the layer the CAM methods weight), then each method on the shared engine. Platform neutral: the CLI
 * and the explorer both call this.
 */
import { fail } from '../errors.js';
import type { HostTensor } from '../runtime/backend.js';
import type { ImageModel } from '../model/image-model.js';
import { resolveLayer, type LayerChoice } from '../model/layers.js';
import { className, probabilities, resolveTarget, targetLabel, targetScores, topK, type ClassTarget, type TargetSpec } from '../model/targets.js';
import { forward, type RunOptions } from './engine.js';
import { getMethod } from './registry.js';
import type { MethodResult } from './types.js';

export interface ExplainOptions extends RunOptions {
  readonly methods: readonly string[];
  /** default: each example's top predicted class */
  readonly target?: TargetSpec;
  /** the layer for CAM methods as the user names it; default: the last feature map larger than 1x1 */
  readonly layer?: string;
  /** how many predictions to report per example (default 5) */
  readonly top?: number;
}

export interface Prediction {
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

export interface MethodRun extends MethodResult {
  readonly method: string;
  readonly ms: number;
}

export interface ExplainResult {
  /** per example, the top predictions, best first */
  readonly predictions: readonly (readonly Prediction[])[];
  /** per example, the class explained and its score (the pre-activation logit, or -logit for class 0 of a binary sigmoid) */
  readonly targets: readonly (ClassTarget & { readonly label: string; readonly score: number })[];
  /** the layer CAM methods used (absent when no method needs one) */
  readonly layer?: LayerChoice;
  readonly results: readonly MethodRun[];
  readonly forwardMs: number;
}

export async function explain(model: ImageModel, input: HostTensor, options: ExplainOptions): Promise<ExplainResult> {
  const top = options.top ?? 5;
  if (!Number.isInteger(top) || top < 1) fail('USAGE', `top must be a positive integer (predictions to report), got ${String(options.top)}.`);
  const methods = options.methods.map(getMethod);
  const target = resolveTarget(model, options.target ?? 'top');
  const layer = methods.some((m) => m.needsLayer) ? resolveLayer(model, options.layer) : undefined;
  const expose = [...new Set(methods.flatMap((m) => m.exposes(model, layer?.tensor)))];
  const t0 = performance.now();
  const fused = layer && methods.some((m) => m.fusesLayerGradient) ? { layer: layer.tensor, targets: target === 'top' ? ('top' as const) : Array<ClassTarget>(input.dims[0]!).fill(target) } : undefined;
  const fwd = await forward(model, input, expose, options, fused);
  const forwardMs = performance.now() - t0;
  const batch = input.dims[0]!;
  const probs = probabilities(model, fwd.logits.data as Float32Array, batch);
  const predictions = probs.map((p) => topK(p, top).map(({ index, probability }) => ({ index, label: className(model, index), probability })));
  // with a fused layer gradient, the graph chose the top classes itself; report exactly those
  const targets: ClassTarget[] = fwd.layerGradient ? [...fwd.layerGradient.targets] : probs.map((_, b) => (target === 'top' ? { index: predictions[b]![0]!.index } : target));
  const scores = targetScores(model, fwd.logits.data as Float32Array, targets);
  const results: MethodRun[] = [];
  for (const m of methods) {
    options.signal?.throwIfAborted();
    const t = performance.now();
    const r = await m.explain({ ...options, model, input, targets, forward: fwd, ...(layer ? { layer: layer.tensor } : {}) });
    results.push({ method: m.id, ...r, ms: performance.now() - t });
  }
  return {
    predictions,
    targets: targets.map((t, b) => ({ ...t, label: targetLabel(model, t), score: scores[b]! })),
    ...(layer ? { layer } : {}),
    results,
    forwardMs,
  };
}
