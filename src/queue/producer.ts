/**
 * Node only: the producer side of a queued batch run. Puts one job per item on the queue (ids derived
 * from the output folder and the item, so running it again adds nothing already queued), then, unless
 * told not to, waits until every item is finished, reporting each as a local run does.
 *
 * Progress comes from BullMQ's event stream; every few seconds the jobs still outstanding are also
 * looked up, so a missed event cannot make the wait endless, and a lost Redis ends it with a QUEUE error
 * (the jobs stay queued: running the same command again resumes the wait). A job the queue gives up on
 * (stalled too often, or a worker's internal error) is recorded as failed in the main manifest, so the
 * next run retries it.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { ManifestWriter, readManifest, type ManifestEntry } from '../batch/manifest.js';
import type { BatchReport } from '../batch/runner.js';
import { fail } from '../errors.js';
import { connectRedis, connectionReason } from './connection.js';
import { itemJobId, JOB_NAME, QUEUE_NAME, type ItemJob } from './item-job.js';
import type { RedisAddress } from './redis-url.js';

export interface QueuedBatchOptions {
  readonly address: RedisAddress;
  /** the items to do (not yet done), all of one run */
  readonly items: readonly ItemJob[];
  /** all items of the run, and those done before */
  readonly total: number;
  readonly skipped: number;
  /** false: return once the jobs are queued */
  readonly wait?: boolean;
  readonly connectTimeoutMs?: number;
  /** how often outstanding jobs are looked up besides the events (default 5 s) */
  readonly reconcileMs?: number;
  readonly onItem?: (entry: ManifestEntry, progress: { finished: number; total: number }) => void;
  /** called when no item finished for a while (no worker running?) */
  readonly onIdle?: (seconds: number) => void;
  readonly signal?: AbortSignal;
}

export interface QueuedBatchReport extends BatchReport {
  /** jobs added by this run; the others were already queued */
  readonly enqueued: number;
  /** jobs still queued when the producer returned (with wait: false) */
  readonly pending: number;
}

const KEEP_COMPLETED_S = 24 * 3600;

export async function runQueuedBatch(o: QueuedBatchOptions): Promise<QueuedBatchReport> {
  const t0 = performance.now();
  const timeout = o.connectTimeoutMs ? { timeoutMs: o.connectTimeoutMs } : {};
  const client = await connectRedis(o.address, timeout);
  const wait = o.wait ?? true;
  let eventsClient: Redis | undefined;
  let events: QueueEvents | undefined;
  const queue = new Queue<ItemJob, ManifestEntry>(QUEUE_NAME, {
    connection: client,
    defaultJobOptions: { removeOnComplete: { age: KEEP_COMPLETED_S }, removeOnFail: { age: 7 * KEEP_COMPLETED_S } },
  });
  queue.on('error', () => undefined); // surfaced by the calls that fail
  const lost = (e: unknown): never => fail('QUEUE', `lost the connection to Redis at ${o.address.text}: ${connectionReason(e, 5000)}; queued jobs stay queued: run the same command again to wait for them.`, e);
  let manifest: Promise<ManifestWriter> | undefined;
  try {
    const outstanding = new Map(o.items.map((d) => [itemJobId(d.outDir, d.item), d]));
    const finishedHere = new Map<string, ManifestEntry>();
    let lastProgress = Date.now();
    let wake: (() => void) | undefined;
    const finish = (id: string, entry: ManifestEntry) => {
      if (!outstanding.delete(id)) return;
      finishedHere.set(id, entry);
      lastProgress = Date.now();
      o.onItem?.(entry, { finished: o.skipped + finishedHere.size, total: o.total });
      if (outstanding.size === 0) wake?.();
    };
    const recordLost = async (id: string, reason: string) => {
      const d = outstanding.get(id);
      if (!d) return;
      const entry: ManifestEntry = { item: d.item, index: d.index, status: 'failed', code: 'QUEUE', error: reason };
      manifest ??= ManifestWriter.open(d.outDir);
      await (await manifest).append(entry);
      finish(id, entry);
    };
    const completed = (id: string, value: unknown) => {
      const d = outstanding.get(id);
      if (!d) return;
      const entry = value && typeof value === 'object' && 'status' in value ? (value as ManifestEntry) : readManifest(d.outDir).get(d.item);
      if (entry) finish(id, entry);
      else void recordLost(id, 'the job completed without recording the item');
    };

    if (wait) {
      // listen before adding, so that no completion is missed
      eventsClient = await connectRedis(o.address, { ...timeout, blocking: true });
      events = new QueueEvents(QUEUE_NAME, { connection: eventsClient });
      events.on('error', () => undefined);
      events.on('completed', ({ jobId, returnvalue }) => completed(jobId, returnvalue));
      events.on('failed', ({ jobId, failedReason }) => void recordLost(jobId, `the queue gave the job up: ${failedReason}`).catch(() => undefined));
      await events.waitUntilReady().catch(lost);
    }

    // add what the queue does not hold yet; a finished job of an earlier run (an item that failed then)
    // is removed and added again, while a waiting or running one is left alone
    const fresh: ItemJob[] = [];
    try {
      for (const [id, d] of outstanding) {
        const old = await queue.getJob(id);
        if (old) {
          const state = await old.getState();
          if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
          await old.remove();
        }
        fresh.push(d);
      }
      for (let i = 0; i < fresh.length; i += 500) {
        await queue.addBulk(fresh.slice(i, i + 500).map((d) => ({ name: JOB_NAME, data: d, opts: { jobId: itemJobId(d.outDir, d.item) } })));
      }
    } catch (e) {
      lost(e);
    }

    if (wait) {
      const reconcileMs = o.reconcileMs ?? 5000;
      let idleWarned = 0;
      while (outstanding.size > 0) {
        o.signal?.throwIfAborted();
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, reconcileMs);
          o.signal?.addEventListener('abort', () => r(), { once: true });
        });
        clearTimeout(timer);
        wake = undefined;
        o.signal?.throwIfAborted();
        if (outstanding.size === 0) break;
        try {
          for (const id of [...outstanding.keys()]) {
            const state = await queue.getJobState(id);
            if (state === 'completed') completed(id, (await queue.getJob(id))?.returnvalue);
            else if (state === 'failed') await recordLost(id, `the queue gave the job up: ${(await queue.getJob(id))?.failedReason ?? 'no reason given'}`);
            else if (state === 'unknown') {
              const prior = readManifest(outstanding.get(id)!.outDir).get(outstanding.get(id)!.item);
              if (prior?.status === 'done') finish(id, prior);
              else await recordLost(id, 'the job left the queue unfinished (removed from Redis?)');
            }
          }
        } catch (e) {
          lost(e);
        }
        const idle = Math.round((Date.now() - lastProgress) / 1000);
        if (idle >= 60 * (idleWarned + 1)) {
          idleWarned++;
          o.onIdle?.(idle);
        }
      }
    }
    const entries = [...finishedHere.values()];
    return {
      total: o.total, skipped: o.skipped,
      done: entries.filter((e) => e.status === 'done').length,
      failed: entries.filter((e) => e.status === 'failed').length,
      ms: performance.now() - t0,
      enqueued: fresh.length,
      pending: outstanding.size,
    };
  } finally {
    await (await manifest?.catch(() => undefined))?.close();
    await events?.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    eventsClient?.disconnect();
    client.disconnect();
  }
}
