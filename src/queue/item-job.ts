/**
 * A queued batch item: everything a worker on any machine needs to explain it (paths are absolute and
 * must name the same files on every machine: a shared folder mounted at the same path), and its id.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { itemStem } from '../batch/explain-item.js';
import type { Dataset } from '../data/dataset.js';

/** The one queue all batch runs share; a job says which run (output folder) it belongs to. */
export const QUEUE_NAME = 'cnnlens-batch';
export const JOB_NAME = 'explain-item';

export interface ItemJob {
  /** format of this record */
  readonly v: 1;
  /** absolute output folder */
  readonly outDir: string;
  /** absolute model path, or undefined for the built-in model (`nsfwjs:...` names stay as given) */
  readonly model?: string;
  readonly labels?: string;
  /** the dataset as `openDataset` takes it (absolute when it is a path) */
  readonly data: string;
  /** the dataset's length and the item's place where the producer opened it: a worker checks both */
  readonly dataLength: number;
  readonly index: number;
  /** the item's name in the manifest, and the stem of its files under outDir */
  readonly item: string;
  readonly stem: string;
  readonly methods: readonly string[];
  readonly target?: string;
  readonly layers: readonly string[];
  readonly methodOptions: Readonly<Record<string, string | boolean>>;
}

/**
 * The job id of an item of a run: the same output folder and item always give the same id, so a
 * producer run twice adds nothing the queue already holds. (BullMQ ids must not be integers nor hold ':'.)
 */
export function itemJobId(outDir: string, item: string): string {
  return `item-${createHash('sha256').update(`${resolve(outDir)}\n${item}`).digest('hex').slice(0, 40)}`;
}

/** The spec fields of a run's jobs, paths made absolute so that any worker finds the same files. */
export interface RunRequest {
  readonly outDir: string;
  readonly model?: string;
  readonly labels?: string;
  readonly data: string;
  readonly methods: readonly string[];
  readonly target?: string;
  readonly layers: readonly string[];
  readonly methodOptions: Readonly<Record<string, string | boolean>>;
}

/** One job per index of `dataset`, as the producer sees it. */
export function itemJobs(r: RunRequest, dataset: Dataset, indices: readonly number[]): ItemJob[] {
  const abs = (p: string | undefined) => (p !== undefined && existsSync(p) ? resolve(p) : p);
  const common = {
    v: 1 as const, outDir: resolve(r.outDir), data: abs(r.data)!,
    ...(r.model !== undefined ? { model: abs(r.model)! } : {}),
    ...(r.labels !== undefined ? { labels: abs(r.labels)! } : {}),
    methods: r.methods, layers: r.layers, methodOptions: r.methodOptions,
    ...(r.target !== undefined ? { target: r.target } : {}),
    dataLength: dataset.length,
  };
  return indices.map((index) => ({ ...common, index, item: dataset.itemName(index), stem: itemStem(dataset, index) }));
}
