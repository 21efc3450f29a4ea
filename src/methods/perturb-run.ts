/**
 * Running many perturbed copies of the input batch through the model, forward only, in chunks that fit
 * the memory budget: a chunk of copies is built, run with one engine.forward call, and its logits handed
 * back before the next chunk is built, so host memory stays at one chunk of copies. Also the scores the
 * perturbation methods read from those logits.
 */
import { ACTIVATION_FACTOR, DEFAULT_MEMORY_BUDGET_BYTES } from '../runtime/batch.js';
import type { ImageModel } from '../model/image-model.js';
import { probabilities, targetScores, type ClassTarget } from '../model/targets.js';
import { forward, type RunOptions } from './engine.js';

/** Copies per chunk: the memory budget over (input bytes per example x the runtime's activation factor). */
export function copiesPerChunk(model: ImageModel, opts: RunOptions, total: number): number {
  const elems = model.input.channels * model.input.height * model.input.width;
  const perCopy = elems * 4 * ACTIVATION_FACTOR;
  const budget = opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  return Math.max(1, Math.min(total, Math.floor(budget / perCopy)));
}

/**
 * Runs `total` copies: `make(i, dst)` writes copy i (one example, the model's layout) into dst, and
 * `take(i, logits)` receives its logits row. Copies are made and taken in order 0..total-1, chunk by
 * chunk; progress counts copies of `total`.
 */
export async function runCopies(
  model: ImageModel,
  opts: RunOptions,
  total: number,
  make: (i: number, dst: Float32Array) => void,
  take: (i: number, logits: Float32Array) => void,
): Promise<void> {
  const { channels, height, width } = model.input;
  const elems = channels * height * width;
  const dims = model.input.layout === 'NCHW' ? [channels, height, width] : [height, width, channels];
  const chunk = copiesPerChunk(model, opts, total);
  const buffer = new Float32Array(chunk * elems);
  for (let start = 0; start < total; start += chunk) {
    opts.signal?.throwIfAborted();
    const n = Math.min(chunk, total - start);
    for (let j = 0; j < n; j++) make(start + j, buffer.subarray(j * elems, (j + 1) * elems));
    const input = { type: 'float32' as const, dims: [n, ...dims], data: buffer.subarray(0, n * elems) };
    const run: RunOptions = {
      backend: opts.backend,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(opts.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: opts.memoryBudgetBytes } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: (done: number) => opts.onProgress!(start + done, total) } : {}),
    };
    const out = await forward(model, input, [], run);
    const logits = out.logits.data as Float32Array;
    const units = logits.length / n;
    for (let j = 0; j < n; j++) take(start + j, logits.subarray(j * units, (j + 1) * units));
  }
}

/**
 * The target's probability from one logits row, as the model's output defines probabilities (softmax,
 * or sigmoid: 1 - sigmoid for class 0 of a single-sigmoid head). For a difference target, the
 * difference of the two classes' probabilities.
 */
export function targetProbability(model: ImageModel, logits: Float32Array, t: ClassTarget): number {
  const p = probabilities(model, logits, 1)[0]!;
  return t.minus === undefined ? p[t.index]! : p[t.index]! - p[t.minus]!;
}

/** The target's score (pre-activation logit, or the difference of two) from one logits row. */
export function targetLogit(model: ImageModel, logits: Float32Array, t: ClassTarget): number {
  return targetScores(model, logits, [t])[0]!;
}
