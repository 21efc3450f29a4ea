/**
 * One gradient job, as `cnnlens gradient` runs it: d(score)/d(tensor) for a batch of inputs, where the
 * score is a class's pre-softmax logit or sum(seed * output) for a given seed. Compiled graphs are
 * cached per (model, plan, input size); batches run in chunks under a memory budget.
 */
import { fail } from '../errors.js';
import type { RuleSetName } from './rulesets.js';
import { saveModel } from '../onnx/load.js';
import { modelKey, releaseSessions, sessionsFor } from '../runtime/shared-sessions.js';
import { GraphIndex } from '../onnx/graph.js';
import { DType, type Dim, type Model } from '../onnx/ir.js';
import { logitTensor } from '../model/logits.js';
import type { HostTensor, RuntimeBackend } from '../runtime/backend.js';
import { runBatched } from '../runtime/batch.js';
import { cacheKey } from '../runtime/cache.js';
import { differentiate, gradName, seedName } from './differentiate.js';

/**
 * What to differentiate: the score of one class (a one-hot seed on the model's output, i.e. the
 * pre-softmax logit when the model ends in a softmax that the job strips), or an explicit seed
 * (d output) read from a .npy file, which must have the output's shape.
 */
export type GradientTarget =
  | { readonly kind: 'class'; readonly index: number }
  | { readonly kind: 'seed'; readonly seed: HostTensor; readonly path: string };

/** The job `cnnlens gradient` hands to `computeGradient`. Nothing in it is modified by the job. */
export interface GradientJobOptions {
  /** the model as loaded from `modelPath` (nodes in topological order) */
  readonly model: Model;
  /** the model file, for messages */
  readonly modelPath: string;
  /** the input batch as read from `inputPath`: any dtype the .npy had (float32/float64 normally), finite */
  readonly input: HostTensor;
  readonly inputPath: string;
  readonly target: GradientTarget;
  /** tensor to differentiate with respect to; undefined means the model's (image) input */
  readonly wrt?: string;
  readonly rules: RuleSetName;
  /** intra-op threads; undefined means the backend's default (all cores) */
  readonly threads?: number;
  /** the runtime to run on (onnxruntime-node for the command) */
  readonly backend: RuntimeBackend;
  /** memory the runtime may use at once; large batches run in chunks that fit (default 1 GiB) */
  readonly memoryBudgetBytes?: number;
  /** called after each chunk with examples done and the total */
  readonly onProgress?: (done: number, total: number) => void;
  /** cancels the job between chunks */
  readonly signal?: AbortSignal;
}

/** The seed's shape per compiled plan, so a cached session needs no re-differentiation. */
const plans = new Map<string, { seedShape: Dim[]; bytesPerExample: number }>();

/**
 * Memory one example needs while the gradient graph runs: every forward tensor may be kept for the
 * backward pass, and the backward pass makes about as many again.
 */
export function bytesPerExample(shapes: ReadonlyMap<string, { elemType: number; shape: readonly Dim[] }>): number {
  let total = 0;
  for (const { elemType, shape } of shapes.values()) {
    let n = elemType === DType.DOUBLE || elemType === DType.INT64 ? 8 : 4;
    for (const d of shape.slice(1)) n *= typeof d === 'number' ? d : 1;
    total += n;
  }
  return 2 * total;
}

/** Releases every cached session (call before exit in long-lived processes that are done). */
export async function releaseGradientSessions(backend: RuntimeBackend): Promise<void> {
  plans.clear();
  await releaseSessions(backend);
}

function checkInput(model: Model, input: HostTensor, inputName: string): HostTensor {
  const declared = model.graph.inputs.find((v) => v.name === inputName)?.type;
  const want = declared?.elemType ?? DType.FLOAT;
  if (input.type !== 'float32' && input.type !== 'float64') {
    fail('INPUT_VALUE', `input '${inputName}' must hold floating-point values, got ${input.type}. Convert it, e.g. x.astype(np.float32).`);
  }
  const data = input.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) fail('INPUT_VALUE', `input '${inputName}' contains ${data[i]} at flat index ${i}; explanations need finite inputs.`);
  }
  const shape = declared?.shape;
  if (shape) {
    const bad = shape.length !== input.dims.length || shape.some((d, i) => i > 0 && typeof d === 'number' && d !== input.dims[i]);
    if (bad) {
      const fmt = (s: readonly Dim[]) => `[${s.map((d) => d ?? '?').join(', ')}]`;
      fail('INPUT_SHAPE', `input '${inputName}' has shape ${fmt(input.dims)}, but the model expects ${fmt(shape)} (first axis: the batch). Resize or transpose the input to match.`);
    }
  }
  if (input.dims[0] === 0) fail('INPUT_SHAPE', `input '${inputName}' has an empty batch.`);
  const type = want === DType.DOUBLE ? 'float64' : 'float32';
  if (input.type === type) return input;
  return { type, dims: input.dims, data: type === 'float32' ? Float32Array.from(data) : Float64Array.from(data) };
}

function seedFor(job: GradientJobOptions, batch: number, outShape: readonly Dim[], outName: string, elem: 'float32' | 'float64'): HostTensor {
  const dims = [batch, ...outShape.slice(1).map((d) => (typeof d === 'number' ? d : NaN))];
  if (job.target.kind === 'class') {
    if (dims.length !== 2 || !Number.isFinite(dims[1])) {
      fail('USAGE', `'${outName}' has shape [${outShape.join(', ')}]; a class index needs a [batch, classes] output. Give a .npy seed of the output's shape instead.`);
    }
    const classes = dims[1]!;
    const k = job.target.index;
    if (k >= classes) fail('USAGE', `class index ${k} is out of range: '${outName}' has ${classes} classes (0..${classes - 1}).`);
    const data = elem === 'float32' ? new Float32Array(batch * classes) : new Float64Array(batch * classes);
    for (let b = 0; b < batch; b++) data[b * classes + k] = 1;
    return { type: elem, dims, data };
  }
  const seed = job.target.seed;
  const same = seed.dims.length === dims.length && seed.dims.every((d, i) => d === dims[i]);
  if (!same) fail('INPUT_SHAPE', `seed '${job.target.path}' has shape [${seed.dims.join(', ')}], but '${outName}' has shape [${dims.join(', ')}] for this batch.`);
  if (seed.type !== 'float32' && seed.type !== 'float64') fail('INPUT_VALUE', `seed '${job.target.path}' must hold floating-point values, got ${seed.type}.`);
  const src = seed.data as Float32Array | Float64Array;
  for (let i = 0; i < src.length; i++) if (!Number.isFinite(src[i]!)) fail('INPUT_VALUE', `seed '${job.target.path}' contains ${src[i]} at flat index ${i}.`);
  return { type: elem, dims, data: elem === 'float32' ? Float32Array.from(src) : Float64Array.from(src) };
}

export interface GradientJobResult {
  readonly gradient: HostTensor;
  /** the tensor whose values were seeded (the logits behind a final softmax/sigmoid) */
  readonly seeded: string;
  readonly stripped?: string;
  readonly wrt: string;
}

export async function runGradientJob(job: GradientJobOptions): Promise<GradientJobResult> {
  const index = new GraphIndex(job.model.graph);
  const inputName = index.feeds[0]?.name;
  if (!inputName) fail('ONNX_UNSUPPORTED', `${job.modelPath}: the model has no input to feed.`);
  if (index.feeds.length > 1) {
    fail('ONNX_UNSUPPORTED', `${job.modelPath}: the model has ${index.feeds.length} inputs (${index.feeds.map((f) => f.name).join(', ')}); cnnlens explains single-input image models.`);
  }
  const input = checkInput(job.model, job.input, inputName);
  const logits = job.target.kind === 'class' ? logitTensor(job.model) : { tensor: job.model.graph.outputs[0]!.name, output: job.model.graph.outputs[0]!.name };
  const wrt = job.wrt ?? inputName;
  // A model exported with a fixed batch size runs in chunks of that size.
  const declaredBatch = job.model.graph.inputs.find((v) => v.name === inputName)?.type?.shape?.[0];
  const fixedBatch = typeof declaredBatch === 'number' && declaredBatch > 0 ? declaredBatch : undefined;
  if (fixedBatch && input.dims[0]! % fixedBatch !== 0) {
    fail('INPUT_SHAPE', `input '${inputName}' has a batch of ${input.dims[0]}, but the model was exported for batches of exactly ${fixedBatch}; give a multiple of ${fixedBatch}, or re-export it with a dynamic batch axis.`);
  }
  const inputShapes = { [inputName]: [fixedBatch ?? 'N', ...input.dims.slice(1)] as Dim[] };
  const key = cacheKey(modelKey(job.model), 'gradient', job.rules, wrt, logits.tensor, input.dims.slice(1));
  const { session, release } = await sessionsFor(job.backend, job.threads).acquire(key, async () => {
    const d = differentiate(job.model, { wrt: [wrt], seeds: [logits.tensor], rules: job.rules, inputShapes, keepOutputs: false });
    plans.set(key, { seedShape: d.seeds[0]!.shape, bytesPerExample: bytesPerExample(d.shapes) });
    return saveModel(d.model);
  });
  const plan = plans.get(key)!;
  const seedShape = plan.seedShape;
  const seed = seedFor(job, input.dims[0]!, seedShape, logits.tensor, input.type as 'float32' | 'float64');
  let out: Record<string, HostTensor>;
  try {
    out = await runBatched(session, { [inputName]: input, [seedName(logits.tensor)]: seed }, {
      batchedInputs: [inputName, seedName(logits.tensor)],
      fetch: [gradName(wrt)],
      // a model exported for a fixed batch runs in chunks of exactly that batch, whatever the budget
      ...(fixedBatch ? { maxBatch: fixedBatch, memoryBudgetBytes: Infinity } : {
        bytesPerExample: plan.bytesPerExample,
        ...(job.memoryBudgetBytes ? { memoryBudgetBytes: job.memoryBudgetBytes } : {}),
      }),
      ...(job.onProgress ? { onProgress: job.onProgress } : {}),
      ...(job.signal ? { signal: job.signal } : {}),
    });
  } finally {
    release();
  }
  return { gradient: out[gradName(wrt)]!, seeded: logits.tensor, wrt, ...(logits.stripped ? { stripped: logits.stripped } : {}) };
}

/** The function `cnnlens gradient` calls. */
export async function computeGradient(job: GradientJobOptions): Promise<HostTensor> {
  return (await runGradientJob(job)).gradient;
}
