/**
 * Node only: explains every picture of a dataset, resumably. Each item's files (the raw maps as .npy, the
 * method's extra maps, a JSON summary) are written atomically, and only then is the item recorded as done
 * in the manifest; a run killed at any moment therefore resumes without redoing or losing finished work.
 * A picture that cannot be read or explained is recorded as failed with its error, and the run goes on.
 * `jobs` items are in flight at once (ONNX Runtime runs them on its own threads).
 */
import { fail } from '../errors.js';
import { explainItem, type ItemContext } from './explain-item.js';
import { ManifestWriter, readManifest, type ManifestEntry } from './manifest.js';

export { itemStem } from './explain-item.js';

export interface BatchOptions extends ItemContext {
  /** items in flight at once (default 1) */
  readonly jobs?: number;
  /** only these item indices (default: all) */
  readonly indices?: readonly number[];
  /** called after each item is recorded */
  readonly onItem?: (entry: ManifestEntry, progress: { finished: number; total: number }) => void;
}

export interface BatchReport {
  readonly total: number;
  /** done before this run started */
  readonly skipped: number;
  readonly done: number;
  readonly failed: number;
  readonly ms: number;
}

export async function runBatch(o: BatchOptions): Promise<BatchReport> {
  const jobs = o.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) fail('USAGE', `jobs must be a positive integer, got ${jobs}.`);
  const t0 = performance.now();
  const previous = readManifest(o.outDir);
  const all = o.indices ?? Array.from({ length: o.dataset.length }, (_, i) => i);
  const todo = all.filter((i) => previous.get(o.dataset.itemName(i))?.status !== 'done');
  const manifest = await ManifestWriter.open(o.outDir);
  let next = 0;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    while (next < todo.length) {
      o.signal?.throwIfAborted();
      const index = todo[next++]!;
      const entry = await explainItem(o, index);
      await manifest.append(entry);
      if (entry.status === 'done') done++;
      else failed++;
      o.onItem?.(entry, { finished: all.length - todo.length + done + failed, total: all.length });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, todo.length)) }, worker));
  } finally {
    await manifest.close();
  }
  return { total: all.length, skipped: all.length - todo.length, done, failed, ms: performance.now() - t0 };
}
