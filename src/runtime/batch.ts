/**
 * Running a batch through a session in chunks that fit a memory budget (platform neutral).
 *
 * Inputs listed in `batchedInputs` are split along dim 0 (as views: no copies); other feeds go to
 * every chunk whole. Chunks run one after another and every fetched output is concatenated along
 * dim 0, so the result equals one big run. An output without a batch dim (a scalar, a weight) is an
 * error unless it is listed in `unbatchedOutputs`; such outputs are taken from the first chunk, so
 * list only outputs that do not depend on the batched inputs.
 */
import { fail, listForMessage } from '../errors.js';
import { ELEM_BYTES, allocHostData, elementCount, type HostTensor, type RuntimeSession } from './backend.js';

export const DEFAULT_MEMORY_BUDGET_BYTES = 2 ** 30;

/**
 * Without an estimate from the caller, one example is assumed to need this many times the bytes of
 * its batched inputs: a CNN's activations (and gradients) are tens of times larger than its image.
 */
export const ACTIVATION_FACTOR = 64;

export interface BatchOptions {
  /** feeds whose dim 0 is the batch; all must have the same dim 0 */
  batchedInputs: readonly string[];
  /** outputs to return (default: all of the session's outputs) */
  fetch?: readonly string[];
  /** fetched outputs that have no batch dim; taken from the first chunk */
  unbatchedOutputs?: readonly string[];
  /** upper bound on examples per chunk */
  maxBatch?: number;
  /** default 1 GiB */
  memoryBudgetBytes?: number;
  /** memory one example needs while running; default: batched input bytes × ACTIVATION_FACTOR */
  bytesPerExample?: number;
  /** called after each chunk with examples done and the total */
  onProgress?: (done: number, total: number) => void;
  /** checked before each chunk; an abort rejects with the signal's reason */
  signal?: AbortSignal;
}

/** The batch size (dim 0 shared by the batched inputs), checking the options against the feeds. */
export function batchSize(feeds: Readonly<Record<string, HostTensor>>, batchedInputs: readonly string[]): number {
  if (batchedInputs.length === 0) fail('USAGE', 'runBatched needs at least one batched input.');
  let n: number | undefined;
  for (const name of batchedInputs) {
    const t = feeds[name];
    if (!t) fail('TENSOR_NOT_FOUND', `batched input '${name}' is not among the feeds (${listForMessage(Object.keys(feeds))}).`);
    if (t.dims.length === 0) fail('INPUT_SHAPE', `batched input '${name}' is a scalar; it has no batch dim to split.`);
    const d = t.dims[0]!;
    if (n === undefined) n = d;
    else if (d !== n) {
      const all = batchedInputs.map((b) => `${b}: ${feeds[b]?.dims[0] ?? '?'}`).join(', ');
      fail('INPUT_SHAPE', `batched inputs disagree on the batch size (${all}).`);
    }
  }
  return n!;
}

/** Examples per chunk for the given options (at least 1). */
export function chunkSize(feeds: Readonly<Record<string, HostTensor>>, options: BatchOptions): number {
  const total = batchSize(feeds, options.batchedInputs);
  const budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  if (!(budget > 0)) fail('USAGE', `memoryBudgetBytes must be positive, got ${budget}.`);
  if (options.maxBatch !== undefined && !(Number.isInteger(options.maxBatch) && options.maxBatch >= 1)) {
    fail('USAGE', `maxBatch must be a positive integer, got ${options.maxBatch}.`);
  }
  let perExample = options.bytesPerExample;
  if (perExample === undefined) {
    perExample = 0;
    if (total > 0) {
      for (const name of options.batchedInputs) {
        const t = feeds[name]!;
        perExample += (t.data.length / total) * ELEM_BYTES[t.type] * ACTIVATION_FACTOR;
      }
    }
  } else if (!(perExample >= 0)) fail('USAGE', `bytesPerExample must be non-negative, got ${perExample}.`);
  let size = perExample > 0 ? Math.floor(budget / perExample) : Number.MAX_SAFE_INTEGER;
  if (options.maxBatch !== undefined) size = Math.min(size, options.maxBatch);
  return Math.max(1, Math.min(size, Math.max(total, 1)));
}

function sliceBatch(t: HostTensor, start: number, end: number, total: number): HostTensor {
  const inner = total === 0 ? 0 : t.data.length / total;
  return { type: t.type, dims: [end - start, ...t.dims.slice(1)], data: t.data.subarray(start * inner, end * inner) };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Runs `feeds` through `session` in memory-bounded chunks; results equal one big run. */
export async function runBatched(
  session: RuntimeSession,
  feeds: Readonly<Record<string, HostTensor>>,
  options: BatchOptions,
): Promise<Record<string, HostTensor>> {
  const total = batchSize(feeds, options.batchedInputs);
  const size = chunkSize(feeds, options);
  const fetch = options.fetch ? [...options.fetch] : [...session.outputNames];
  const unbatched = new Set(options.unbatchedOutputs ?? []);
  for (const name of unbatched) {
    if (!fetch.includes(name)) fail('TENSOR_NOT_FOUND', `unbatched output '${name}' is not fetched; fetched outputs are: ${listForMessage(fetch)}.`);
  }
  for (const name of options.batchedInputs) {
    const t = feeds[name]!;
    if (t.data.length !== elementCount(t.dims)) {
      fail('INPUT_SHAPE', `input '${name}' has dims [${t.dims.join(', ')}] but ${t.data.length} values of data.`);
    }
  }

  const result: Record<string, HostTensor> = {};
  for (let start = 0; start < total || (total === 0 && start === 0); start += size) {
    options.signal?.throwIfAborted();
    const end = Math.min(total, start + size);
    const chunkFeeds: Record<string, HostTensor> = { ...feeds };
    if (size < total) for (const name of options.batchedInputs) chunkFeeds[name] = sliceBatch(feeds[name]!, start, end, total);
    const out = await session.run(chunkFeeds, fetch);
    for (const name of fetch) {
      const t = out[name];
      if (!t) fail('RUNTIME', `the session returned no value for output '${name}'.`);
      if (unbatched.has(name)) {
        if (start === 0) result[name] = t;
        continue;
      }
      if (t.dims.length === 0 || t.dims[0] !== end - start) {
        fail('SHAPE', `output '${name}' has dims [${t.dims.join(', ')}], which do not start with the batch size ${end - start}; list it in unbatchedOutputs if it has no batch dim (it is then taken from the first chunk).`);
      }
      if (size >= total) {
        result[name] = t;
        continue;
      }
      const rest = t.dims.slice(1);
      let acc = result[name];
      if (!acc) {
        acc = { type: t.type, dims: [total, ...rest], data: allocHostData(t.type, total * elementCount(rest)) };
        result[name] = acc;
      } else if (acc.type !== t.type || !sameDims(acc.dims.slice(1), rest)) {
        fail('SHAPE', `output '${name}' changed from ${acc.type} [${acc.dims.slice(1).join(', ')}] to ${t.type} [${rest.join(', ')}] per example between chunks.`);
      }
      const inner = elementCount(rest);
      // typed arrays of the same class: a memcpy
      (acc.data as { set(a: ArrayLike<number | bigint>, offset: number): void }).set(t.data, start * inner);
    }
    options.onProgress?.(end, total);
  }
  return result;
}
