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
import { getMethod, methods as allMethods } from './registry.js';
import { resolveOptions } from './options.js';
import type { MethodContext, MethodResult } from './types.js';

export interface ExplainOptions extends RunOptions {
  readonly methods: readonly string[];
  /** default: each example's top predicted class */
  readonly target?: TargetSpec;
  /**
   * the layer for CAM methods as the user names it, or several layers whose maps are averaged;
   * default: the last conv feature map larger than 1x1
   */
  readonly layer?: string | readonly string[];
  /** values of the methods' options, by option name (see each method's `options`) */
  readonly methodOptions?: Readonly<Record<string, unknown>>;
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
  /** the layer CAM methods used (absent when no method needs one; the first one when several were given) */
  readonly layer?: LayerChoice;
  /** every layer used, when several were given */
  readonly layers?: readonly LayerChoice[];
  readonly results: readonly MethodRun[];
  readonly forwardMs: number;
}

export async function explain(model: ImageModel, input: HostTensor, options: ExplainOptions): Promise<ExplainResult> {
  const top = options.top ?? 5;
  if (!Number.isInteger(top) || top < 1) fail('USAGE', `top must be a positive integer (predictions to report), got ${String(options.top)}.`);
  const methods = options.methods.map(getMethod);
  const values = resolveOptions(methods, options.methodOptions ?? {}, allMethods());
  const target = resolveTarget(model, options.target ?? 'top');
  const layerNames = typeof options.layer === 'string' || options.layer === undefined ? [options.layer] : options.layer;
  if (layerNames.length === 0) fail('USAGE', 'an empty list of layers was given.');
  const layers = methods.some((m) => m.needsLayer) ? layerNames.map((l) => resolveLayer(model, l)) : [];
  const expose = [...new Set(methods.flatMap((m) => (m.needsLayer ? layers.flatMap((l) => m.exposes(model, l.tensor)) : m.exposes(model, undefined))))];
  const t0 = performance.now();
  // the first layer's gradient (or else the input gradient) runs in the forward call itself: one runtime
  // call for Grad-CAM or saliency
  const fusedTargets = target === 'top' ? ('top' as const) : Array<ClassTarget>(input.dims[0]!).fill(target);
  const inputRules = methods.find((m) => m.fusesInputGradient)?.fusesInputGradient;
  const fused = layers[0] && methods.some((m) => m.fusesLayerGradient)
    ? { layer: layers[0].tensor, targets: fusedTargets }
    : inputRules ? { layer: model.inputName, targets: fusedTargets, rules: inputRules } : undefined;
  const fwd = await forward(model, input, expose, options, fused);
  const forwardMs = performance.now() - t0;
  const batch = input.dims[0]!;
  const probs = probabilities(model, fwd.logits.data as Float32Array, batch);
  const predictions = probs.map((p) => topK(p, top).map(({ index, probability }) => ({ index, label: className(model, index), probability })));
  // with a fused layer gradient, the graph chose the top classes itself; report exactly those
  const targets: ClassTarget[] = fwd.layerGradient ? [...fwd.layerGradient.targets] : probs.map((_, b) => (target === 'top' ? { index: predictions[b]![0]!.index } : target));
  const scores = targetScores(model, fwd.logits.data as Float32Array, targets);
  const run: RunOptions = {
    backend: options.backend,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: options.memoryBudgetBytes } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  const results: MethodRun[] = [];
  for (const m of methods) {
    options.signal?.throwIfAborted();
    const t = performance.now();
    const ctx: MethodContext = { ...run, model, input, targets, forward: fwd, options: values.get(m.id)! };
    const r = m.needsLayer ? averageOverLayers(await sequentially(layers.map((l) => () => m.explain({ ...ctx, layer: l.tensor })))) : await m.explain(ctx);
    results.push({ method: m.id, ...r, ms: performance.now() - t });
  }
  return {
    predictions,
    targets: targets.map((t, b) => ({ ...t, label: targetLabel(model, t), score: scores[b]! })),
    ...(layers[0] ? { layer: layers[0] } : {}),
    ...(layers.length > 1 ? { layers } : {}),
    results,
    forwardMs,
  };
}

/** Runs the tasks one after another (each may use all cores). */
async function sequentially<T>(tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (const t of tasks) out.push(await t());
  return out;
}

/** Several layers' maps (at the input's resolution) averaged; the layer-resolution map only for one layer. */
function averageOverLayers(results: readonly MethodResult[]): MethodResult {
  if (results.length === 1) return results[0]!;
  const first = results[0]!.map;
  const sum = new Float32Array(first.data.length);
  for (const r of results) {
    const d = r.map.data as Float32Array;
    for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + d[i]! / results.length;
  }
  return { map: { type: 'float32', dims: first.dims, data: sum } };
}
