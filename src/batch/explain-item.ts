/**
 * Node only: explains one picture of a dataset into the output folder, the same way for a local batch run
 * and a queue worker: the raw maps as .npy (and a method's extra maps) and a JSON summary, each written
 * atomically, and returns the manifest entry to record once all of them are in place. A picture that
 * cannot be read or explained gives a `failed` entry with its error; a stop requested through `signal`
 * throws instead (the item is neither done nor failed).
 */
import { mkdirSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative } from 'node:path';
import { writeNpyFileAtomic } from '../data/npy-file.js';
import type { Dataset } from '../data/dataset.js';
import { CnnlensError } from '../errors.js';
import { preprocess } from '../image/preprocess.js';
import { explain } from '../methods/explain.js';
import type { ImageModel } from '../model/image-model.js';
import type { TargetSpec } from '../model/targets.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { ManifestEntry } from './manifest.js';

/** What explaining an item needs. */
export interface ItemContext {
  readonly model: ImageModel;
  readonly dataset: Dataset;
  readonly methods: readonly string[];
  readonly outDir: string;
  readonly backend: RuntimeBackend;
  /** default: each picture's top class */
  readonly target?: TargetSpec;
  readonly layers?: readonly string[];
  readonly methodOptions?: Readonly<Record<string, unknown>>;
  /** ONNX Runtime threads per call */
  readonly threads?: number;
  readonly signal?: AbortSignal;
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

/**
 * Explains item `index` of `o.dataset`. `item` is the name recorded in the manifest and the summary
 * (default: the dataset's name for it; a queue worker passes the name the producer saw, so that its
 * files equal a local run's whatever path the worker reaches the data by).
 */
export async function explainItem(o: ItemContext, index: number, item = o.dataset.itemName(index)): Promise<ManifestEntry> {
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
