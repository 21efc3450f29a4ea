/**
 * The shared engine every method runs on. Three compiled plans per model, each cached:
 * - forward: the logits plus any exposed tensors (the layers CAM methods weight),
 * - head gradient: d(score)/d(layer) through only the subgraph above the layer, fed with the
 *   forward pass's activations (so Grad-CAM costs one forward pass plus a tiny backward pass),
 * - input gradient: d(score)/d(input) through the whole model, with a chosen rule set.
 * Scores are the pre-activation logits of each example's class (see model/targets.ts).
 */
import { fail } from '../errors.js';
import { differentiate, gradName, seedName } from '../autodiff/differentiate.js';
import { bytesPerExample } from '../autodiff/gradient-job.js';
import type { RuleSetName } from '../autodiff/rulesets.js';
import { withGraph } from '../onnx/graph.js';
import { saveModel } from '../onnx/load.js';
import type { Dim, ValueInfo } from '../onnx/ir.js';
import type { HostTensor, RuntimeBackend } from '../runtime/backend.js';
import { runBatched } from '../runtime/batch.js';
import { cacheKey } from '../runtime/cache.js';
import { modelKey, sessionsFor } from '../runtime/shared-sessions.js';
import { headGraph } from '../model/head.js';
import type { ImageModel } from '../model/image-model.js';
import { logitSeed, type ClassTarget } from '../model/targets.js';
import { seedFromTopClass } from '../model/top-class-seed.js';

export interface RunOptions {
  readonly backend: RuntimeBackend;
  /** intra-op threads; default all cores */
  readonly threads?: number;
  /** memory the runtime may use at once; larger batches run in chunks */
  readonly memoryBudgetBytes?: number;
  /** cancels between chunks */
  readonly signal?: AbortSignal;
  /** examples done of the total, after each chunk of each pass */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ForwardResult {
  /** [batch, units] float32 */
  readonly logits: HostTensor;
  /** the exposed tensors, by name */
  readonly tensors: Readonly<Record<string, HostTensor>>;
  /** when asked for: d(score)/d(layer) computed in the same call, and the classes it was computed for */
  readonly layerGradient?: { readonly layer: string; readonly rules: RuleSetName; readonly targets: readonly ClassTarget[]; readonly gradient: HostTensor };
}

/**
 * A layer gradient to compute in the forward call itself: for the top class of each example (the
 * seed is made in the graph from the logits) or for given classes (the seed is fed).
 */
export interface LayerGradientRequest {
  readonly layer: string;
  readonly targets: readonly ClassTarget[] | 'top';
  readonly rules?: RuleSetName;
}

/** Per compiled plan: memory one example needs, and (head plans) the tensors the head reads. */
const perExample = new Map<string, number>();
const headInputsOf = new Map<string, readonly string[]>();

function shapeOf(model: ImageModel, name: string): readonly Dim[] {
  const s = model.shapes.get(name);
  if (!s) fail('SHAPE', `the shape of '${name}' could not be inferred.`);
  return s.shape;
}

function info(model: ImageModel, name: string): ValueInfo {
  const s = model.shapes.get(name);
  return { name, ...(s ? { type: { elemType: s.elemType, shape: s.shape } } : {}) };
}

function inputShapeOf(model: ImageModel): Dim[] {
  const s = model.input;
  return s.layout === 'NCHW' ? ['N', s.channels, s.height, s.width] : ['N', s.height, s.width, s.channels];
}

function batchOptions(opts: RunOptions, key: string, batched: string[], fetch: string[]) {
  const bpe = perExample.get(key);
  return {
    batchedInputs: batched,
    fetch,
    ...(bpe ? { bytesPerExample: bpe } : {}),
    ...(opts.memoryBudgetBytes ? { memoryBudgetBytes: opts.memoryBudgetBytes } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

function checkInput(model: ImageModel, input: HostTensor): void {
  const want = inputShapeOf(model).slice(1);
  if (input.type !== 'float32' || input.dims.length !== 4 || want.some((d, i) => d !== input.dims[i + 1])) {
    fail('INPUT_SHAPE', `the input batch is ${input.type} [${input.dims.join(', ')}], but ${model.name} takes float32 [N, ${want.join(', ')}].`);
  }
  const data = input.data as Float32Array;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) fail('INPUT_VALUE', `the input contains ${data[i]} at flat index ${i}; explanations need finite inputs.`);
}

/**
 * One forward pass returning the logits and the tensors asked for; with `grad`, the same call also
 * runs the backward pass from the logits to that layer (through the layers above it only).
 */
export async function forward(model: ImageModel, input: HostTensor, expose: readonly string[], opts: RunOptions, grad?: LayerGradientRequest): Promise<ForwardResult> {
  checkInput(model, input);
  const logits = model.output.logits;
  const names = [...new Set([logits, ...expose])];
  for (const n of names) shapeOf(model, n);
  if (grad) return forwardWithGradient(model, input, names, opts, grad);
  const key = cacheKey(modelKey(model.onnx), 'forward', names, input.dims.slice(1));
  const { session, release } = await sessionsFor(opts.backend, opts.threads).acquire(key, async () => {
    const graph = { ...model.onnx.graph, outputs: names.map((n) => info(model, n)) };
    return saveModel(withGraph(model.onnx, graph));
  });
  try {
    const out = await runBatched(session, { [model.inputName]: input }, batchOptions(opts, key, [model.inputName], names));
    return { logits: out[logits]!, tensors: out };
  } finally {
    release();
  }
}

async function forwardWithGradient(model: ImageModel, input: HostTensor, names: string[], opts: RunOptions, grad: LayerGradientRequest): Promise<ForwardResult> {
  const logits = model.output.logits;
  const rules = grad.rules ?? 'standard';
  const top = grad.targets === 'top';
  const seed = seedName(logits);
  const key = cacheKey(modelKey(model.onnx), 'forward+layer-gradient', grad.layer, rules, top ? 'top' : 'fed', names, input.dims.slice(1));
  const units = model.output.kind === 'sigmoid-binary' ? 1 : model.output.classes;
  const { session, release } = await sessionsFor(opts.backend, opts.threads).acquire(key, async () => {
    const d = differentiate(model.onnx, { wrt: [grad.layer], seeds: [logits], rules, inputShapes: { [model.inputName]: inputShapeOf(model) }, keepOutputs: false, expose: names });
    perExample.set(key, bytesPerExample(d.shapes));
    const m = top ? seedFromTopClass(d.model, seed, logits, model.output.kind, units) : d.model;
    return saveModel(m);
  });
  try {
    const feeds: Record<string, HostTensor> = { [model.inputName]: input };
    if (!top) feeds[seed] = seedTensor(model, grad.targets as readonly ClassTarget[]);
    const fetch = [...names, gradName(grad.layer), ...(top ? [seed] : [])];
    const out = await runBatched(session, feeds, batchOptions(opts, key, Object.keys(feeds), fetch));
    const targets = top ? targetsOfSeed(model, out[seed]!) : (grad.targets as readonly ClassTarget[]);
    return { logits: out[logits]!, tensors: out, layerGradient: { layer: grad.layer, rules, targets, gradient: out[gradName(grad.layer)]! } };
  } finally {
    release();
  }
}

/** The class each example's top-class seed selects (the inverse of logitSeed for one class). */
function targetsOfSeed(model: ImageModel, seed: HostTensor): ClassTarget[] {
  const data = seed.data as Float32Array;
  const n = seed.dims[0]!;
  const units = data.length / n;
  return Array.from({ length: n }, (_, b) => ({ index: model.output.kind === 'sigmoid-binary' ? (data[b]! > 0 ? 1 : 0) : data.subarray(b * units, (b + 1) * units).indexOf(1) }));
}

/**
 * d(score of each example's target)/d(layer), given the forward pass's tensors (the layer and whatever
 * else the head above it reads). Rules other than 'standard' change only the head's backward pass.
 */
export async function layerGradient(model: ImageModel, layer: string, fwd: ForwardResult, targets: readonly ClassTarget[], opts: RunOptions & { rules?: RuleSetName }): Promise<HostTensor> {
  const rules = opts.rules ?? 'standard';
  const key = cacheKey(modelKey(model.onnx), 'head', layer, rules, inputShapeOf(model).slice(1) as (string | number)[]);
  const { session, release } = await sessionsFor(opts.backend, opts.threads).acquire(key, async () => {
    const head = headGraph(model.onnx, layer, model.output.logits, model.shapes);
    const inputShapes = Object.fromEntries(head.inputs.map((n) => [n, ['N', ...shapeOf(model, n).slice(1)]]));
    const d = differentiate(head.model, { wrt: [layer], seeds: [model.output.logits], rules, inputShapes, keepOutputs: false });
    perExample.set(key, bytesPerExample(d.shapes));
    headInputsOf.set(key, head.inputs);
    return saveModel(d.model);
  });
  try {
    const feeds: Record<string, HostTensor> = {};
    for (const n of headInputsOf.get(key)!) {
      const t = fwd.tensors[n];
      if (!t) fail('TENSOR_NOT_FOUND', `the forward pass did not expose '${n}', which the head above '${layer}' reads.`);
      feeds[n] = t;
    }
    feeds[seedName(model.output.logits)] = seedTensor(model, targets);
    const out = await runBatched(session, feeds, batchOptions(opts, key, Object.keys(feeds), [gradName(layer)]));
    return out[gradName(layer)]!;
  } finally {
    release();
  }
}

/** The tensors the head above `layer` reads (expose them in the forward pass for layerGradient). */
export function headInputs(model: ImageModel, layer: string): readonly string[] {
  return headGraph(model.onnx, layer, model.output.logits, model.shapes).inputs;
}

function seedTensor(model: ImageModel, targets: readonly ClassTarget[]): HostTensor {
  const units = model.output.kind === 'sigmoid-binary' ? 1 : model.output.classes;
  return { type: 'float32', dims: [targets.length, units], data: logitSeed(model, targets) };
}

/** d(score of each example's target)/d(input) through the whole model, with the given rule set. */
export async function inputGradient(model: ImageModel, input: HostTensor, targets: readonly ClassTarget[], opts: RunOptions & { rules?: RuleSetName }): Promise<HostTensor> {
  checkInput(model, input);
  if (targets.length !== input.dims[0]) fail('USAGE', `${targets.length} targets for a batch of ${input.dims[0]}.`);
  const rules = opts.rules ?? 'standard';
  const logits = model.output.logits;
  const key = cacheKey(modelKey(model.onnx), 'input-gradient', rules, input.dims.slice(1));
  const { session, release } = await sessionsFor(opts.backend, opts.threads).acquire(key, async () => {
    const d = differentiate(model.onnx, { wrt: [model.inputName], seeds: [logits], rules, inputShapes: { [model.inputName]: inputShapeOf(model) }, keepOutputs: false });
    perExample.set(key, bytesPerExample(d.shapes));
    return saveModel(d.model);
  });
  try {
    const feeds = { [model.inputName]: input, [seedName(logits)]: seedTensor(model, targets) };
    const out = await runBatched(session, feeds, batchOptions(opts, key, Object.keys(feeds), [gradName(model.inputName)]));
    return out[gradName(model.inputName)]!;
  } finally {
    release();
  }
}

/**
 * The logits computed by the head above `layer` alone, from given tensors: `tensors` holds the layer
 * and every other tensor that head reads (see headInputs), with one shared batch size. The trunk below
 * the layer is not run, so methods that edit a layer's activations (e.g. Ablation-CAM zeroing one
 * channel per copy) pay only for the layers above it. Batched under the memory budget with progress.
 */
export async function headForward(model: ImageModel, layer: string, tensors: Readonly<Record<string, HostTensor>>, opts: RunOptions): Promise<HostTensor> {
  const key = cacheKey(modelKey(model.onnx), 'head-forward', layer, inputShapeOf(model).slice(1) as (string | number)[]);
  const { session, release } = await sessionsFor(opts.backend, opts.threads).acquire(key, async () => {
    const head = headGraph(model.onnx, layer, model.output.logits, model.shapes);
    headInputsOf.set(key, head.inputs);
    return saveModel(head.model);
  });
  try {
    const feeds: Record<string, HostTensor> = {};
    for (const n of headInputsOf.get(key) ?? headInputs(model, layer)) {
      const t = tensors[n];
      if (!t) fail('TENSOR_NOT_FOUND', `no values were given for '${n}', which the head above '${layer}' reads.`);
      feeds[n] = t;
    }
    const out = await runBatched(session, feeds, batchOptions(opts, key, Object.keys(feeds), [model.output.logits]));
    return out[model.output.logits]!;
  } finally {
    release();
  }
}
