/**
 * Node only: explains every picture of a dataset, resumably. Each item's files (the raw maps as .npy, the
 * method's extra maps, a JSON summary) are written atomically, and only then is the item recorded as done
 * in the manifest; a run killed at any moment therefore resumes without redoing or losing finished work.
 * A picture that cannot be read or explained is recorded as failed with its error, and the run goes on.
 * `jobs` items are in flight at once (ONNX Runtime runs them on its own threads).
 */
import { mkdirSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative } from 'node:path';
import { writeNpyFileAtomic } from '../data/npy-file.js';
import type { Dataset } from '../data/dataset.js';
import { CnnlensError, fail } from '../errors.js';
import { preprocess } from '../image/preprocess.js';
import { explain } from '../methods/explain.js';
import type { ImageModel } from '../model/image-model.js';
import type { TargetSpec } from '../model/targets.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { ManifestWriter, readManifest, type ManifestEntry } from './manifest.js';

export interface BatchOptions {
  readonly model: ImageModel;
  readonly dataset: Dataset;
  readonly methods: readonly string[];
  readonly outDir: string;
  readonly backend: RuntimeBackend;
  /** default: each picture's top class */
  readonly target?: TargetSpec;
  readonly layers?: readonly string[];
  readonly methodOptions?: Readonly<Record<string, unknown>>;
  /** items in flight at once (default 1) */
  readonly jobs?: number;
  /** ONNX Runtime threads per call */
  readonly threads?: number;
  /** only these item indices (default: all) */
  readonly indices?: readonly number[];
  readonly signal?: AbortSignal;
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

/** Where an item's files go, relative to the output folder: its path in the dataset, less the extension. */
export function itemStem(dataset: Dataset, index: number): string {
  const name = dataset.itemName(index);
  let rel = isAbsolute(name) || name.startsWith(dataset.name) ? relative(dataset.name, name) : name;
  if (rel === '' || rel.startsWith('..')) rel = name;
  if (extname(rel) !== '') rel = rel.slice(0, -extname(rel).length);
  const safe = rel.split(/[\\/]+/).filter((p) => p !== '' && p !== '.' && p !== '..').map((p) => p.replace(/[^\w.+-]+/g, '_')).join('/');
  return safe === '' ? `item-${index}` : safe;
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

async function explainItem(o: BatchOptions, index: number): Promise<ManifestEntry> {
  const item = o.dataset.itemName(index);
  const t = performance.now();
  try {
    const picture = (await o.dataset.picturesAt([index])).get(index)!;
    const input = preprocess([picture.image], o.model.input);
    const result = await explain(o.model, input, {
      backend: o.backend,
      methods: o.methods,
      ...(o.target !== undefined ? { target: o.target } : {}),
      ...(o.layers?.length ? { layer: o.layers } : {}),
      ...(o.methodOptions ? { methodOptions: o.methodOptions } : {}),
      ...(o.threads ? { threads: o.threads } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const stem = itemStem(o.dataset, index);
    const base = join(o.outDir, stem);
    mkdirSync(dirname(base), { recursive: true });
    const files: string[] = [];
    for (const r of result.results) {
      await writeNpyFileAtomic(`${base}.${r.method}.npy`, r.map);
      files.push(`${stem}.${r.method}.npy`);
      for (const [name, map] of Object.entries(r.extra?.maps ?? {})) {
        await writeNpyFileAtomic(`${base}.${r.method}.${name}.npy`, map);
        files.push(`${stem}.${r.method}.${name}.npy`);
      }
    }
    const summary = {
      input: item,
      ...(picture.label >= 0 ? { label: o.dataset.classes?.[picture.label] ?? String(picture.label) } : {}),
      predictions: result.predictions[0],
      target: result.targets[0],
      ...(result.layer ? { layer: result.layer.name } : {}),
      values: Object.fromEntries(result.results.filter((r) => r.extra?.values).map((r) => [r.method, Object.fromEntries(Object.entries(r.extra!.values!).map(([k, v]) => [k, v[0]]))])),
      timingsMs: { forward: Math.round(result.forwardMs * 10) / 10, ...Object.fromEntries(result.results.map((r) => [r.method, Math.round(r.ms * 10) / 10])) },
    };
    await writeFileAtomic(`${base}.json`, `${JSON.stringify(summary, null, 2)}\n`);
    files.push(`${stem}.json`);
    return {
      item, index, status: 'done', files,
      ...(summary.label !== undefined ? { label: summary.label } : {}),
      top: result.predictions[0]![0]!.label,
      ms: Math.round(performance.now() - t),
    };
  } catch (e) {
    if (o.signal?.aborted) throw e;
    const code = e instanceof CnnlensError ? e.code : 'INTERNAL';
    return { item, index, status: 'failed', code, error: e instanceof Error ? e.message : String(e) };
  }
}
