/**
 * Running many modified copies of something through the engine in chunks that fit the memory budget
 * (Score-CAM's masked inputs, Ablation-CAM's ablated activations): the caller builds one chunk of copies
 * at a time and runs it with one engine call, so host memory holds one chunk. Progress counts copies.
 */
import { ACTIVATION_FACTOR, DEFAULT_MEMORY_BUDGET_BYTES } from '../runtime/batch.js';
import type { RunOptions } from './engine.js';

/** Copies per chunk: the memory budget over (bytes fed per copy x the runtime's activation factor). */
export function copiesPerChunk(bytesPerCopy: number, opts: RunOptions, total: number): number {
  const budget = opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  return Math.max(1, Math.min(total, Math.floor(budget / (bytesPerCopy * ACTIVATION_FACTOR))));
}

/**
 * Calls `run(start, count, opts)` for consecutive chunks covering copies 0..total-1, in order; the
 * options passed on report progress as copies done of `total` and keep the caller's budget and signal.
 */
export async function inChunks(total: number, bytesPerCopy: number, opts: RunOptions, run: (start: number, count: number, opts: RunOptions) => Promise<void>): Promise<void> {
  const chunk = copiesPerChunk(bytesPerCopy, opts, total);
  for (let start = 0; start < total; start += chunk) {
    opts.signal?.throwIfAborted();
    const count = Math.min(chunk, total - start);
    const sub: RunOptions = {
      backend: opts.backend,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(opts.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: opts.memoryBudgetBytes } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: (done: number) => opts.onProgress!(start + done, total) } : {}),
    };
    await run(start, count, sub);
  }
}
