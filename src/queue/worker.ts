/**
 * Node only: a queue worker. Takes batch items from Redis (BullMQ), explains each with the same
 * `explainItem` as a local run into the job's output folder, and records it in a manifest of its own
 * under the folder's manifest.d/ (see src/batch/manifest.ts). Any number of workers on any number of
 * machines may serve the same queue.
 *
 * A worker that dies mid-job holds the job's lock until it expires (`lockDurationMs`); BullMQ's stalled
 * check (every `stalledIntervalMs`, run by every live worker) then puts the job back in the queue and
 * another worker redoes it. Its files are written atomically, so the redo replaces them whole with the
 * same bytes; a job that had already been recorded done before the stall is not explained again.
 */
import { Worker, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { resolve } from 'node:path';
import { explainItem, itemStem } from '../batch/explain-item.js';
import { ManifestWriter, readManifest, type ManifestEntry } from '../batch/manifest.js';
import type { Dataset } from '../data/dataset.js';
import { openDataset } from '../data/open-dataset.js';
import { CnnlensError } from '../errors.js';
import type { ImageModel } from '../model/image-model.js';
import { loadImageModel } from '../model/load-file.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { connectRedis } from './connection.js';
import { QUEUE_NAME, type ItemJob } from './item-job.js';
import type { RedisAddress } from './redis-url.js';

export interface QueueWorkerOptions {
  readonly address: RedisAddress;
  readonly backend: RuntimeBackend;
  /** jobs in flight at once (default 1) */
  readonly concurrency?: number;
  /** ONNX Runtime threads per call */
  readonly threads?: number;
  /** how long a job's lock lasts without renewal: a dead worker's job is free again after it (default 30 s) */
  readonly lockDurationMs?: number;
  /** how often stalled jobs are looked for (default 30 s) */
  readonly stalledIntervalMs?: number;
  readonly connectTimeoutMs?: number;
  /** a line per finished item, failures, ... */
  readonly log?: (text: string) => void;
}

export interface RunningWorker {
  /**
   * Stops taking jobs. Gentle: the jobs in hand are finished and recorded first. Forced: they are
   * interrupted and handed back to the queue at once, for another worker.
   */
  stop(force?: boolean): Promise<void>;
  /** items recorded by this worker */
  readonly counts: { done: number; failed: number };
}

/** Loaded models and datasets, by what the job names, a few at a time. */
class ResourceCache<T> {
  private readonly entries = new Map<string, Promise<T>>();
  constructor(private readonly max: number) {}
  get(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.entries.get(key);
    if (p) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, p);
      return p;
    }
    p = load();
    p.catch(() => this.entries.delete(key));
    this.entries.set(key, p);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return p;
  }
}

export async function startQueueWorker(o: QueueWorkerOptions): Promise<RunningWorker> {
  const log = o.log ?? (() => undefined);
  const client: Redis = await connectRedis(o.address, { blocking: true, ...(o.connectTimeoutMs ? { timeoutMs: o.connectTimeoutMs } : {}) });
  const models = new ResourceCache<ImageModel>(2);
  const datasets = new ResourceCache<Dataset>(4);
  const writers = new Map<string, Promise<ManifestWriter>>();
  const writerFor = (outDir: string) => {
    let w = writers.get(outDir);
    if (!w) {
      w = ManifestWriter.openPart(outDir);
      w.catch(() => writers.delete(outDir));
      writers.set(outDir, w);
    }
    return w;
  };
  const counts = { done: 0, failed: 0 };

  const processJob = async (job: Job<ItemJob, ManifestEntry>, token?: string, signal?: AbortSignal): Promise<ManifestEntry> => {
    const d = job.data;
    const outDir = resolve(d.outDir);
    try {
      if (job.attemptsStarted > 1) {
        // a re-run after a stall: the first run may have finished and recorded the item
        const prior = readManifest(outDir).get(d.item);
        if (prior?.status === 'done') return prior;
      }
      const entry = await explainJob(d, signal);
      await (await writerFor(outDir)).append(entry);
      counts[entry.status]++;
      log(entry.status === 'done' ? `done: ${d.item} (${entry.ms} ms)\n` : `failed: ${d.item}: [${entry.code}] ${entry.error}\n`);
      return entry;
    } catch (e) {
      if (signal?.aborted && token !== undefined) {
        // stopped at once: the job goes back to the queue for another worker
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw e;
    }
  };

  const explainJob = async (d: ItemJob, signal?: AbortSignal): Promise<ManifestEntry> => {
    const failed = (e: unknown): ManifestEntry => ({
      item: d.item, index: d.index, status: 'failed', code: e instanceof CnnlensError ? e.code : 'INTERNAL', error: e instanceof Error ? e.message : String(e),
    });
    if (d?.v !== 1) return failed(new CnnlensError('QUEUE', `job of an unknown format (v ${String(d?.v)}); run workers of the producer's cnnlens version.`));
    let model: ImageModel;
    let dataset: Dataset;
    try {
      [model, dataset] = await Promise.all([
        models.get(JSON.stringify([d.model, d.labels]), async () => (await loadImageModel(d.model, d.labels ? { labelsFile: d.labels } : {})).model),
        datasets.get(d.data, () => openDataset(d.data)),
      ]);
    } catch (e) {
      return failed(e);
    }
    if (dataset.length !== d.dataLength || itemStem(dataset, d.index) !== d.stem) {
      return failed(new CnnlensError('QUEUE', `the dataset '${d.data}' differs on this machine (${dataset.length} pictures, item ${d.index} is '${dataset.itemName(d.index)}'; the producer saw ${d.dataLength}, '${d.item}'); workers must reach the same files at the same path.`));
    }
    return explainItem({
      model, dataset, methods: d.methods, outDir: resolve(d.outDir), backend: o.backend,
      ...(d.target !== undefined ? { target: d.target } : {}),
      layers: d.layers, methodOptions: d.methodOptions,
      ...(o.threads ? { threads: o.threads } : {}),
      ...(signal ? { signal } : {}),
    }, d.index, d.item);
  };

  const worker = new Worker<ItemJob, ManifestEntry>(QUEUE_NAME, processJob, {
    connection: client,
    concurrency: o.concurrency ?? 1,
    lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    // the outputs are idempotent: a job may be redone after a few stalls rather than given up
    maxStalledCount: 3,
    autorun: true,
  });
  worker.on('error', (e) => log(`queue error: ${e.message}\n`));
  await worker.waitUntilReady();

  let stopping: Promise<void> | undefined;
  const closeAll = async () => {
    await worker.close();
    for (const w of writers.values()) await (await w.catch(() => undefined))?.close();
    client.disconnect();
  };
  return {
    counts,
    stop(force = false) {
      if (force) worker.cancelAllJobs('the worker is stopping');
      stopping ??= closeAll();
      return stopping;
    },
  };
}
