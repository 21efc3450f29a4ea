/**
 * Node-only: an `Hdf5Reader` that reads in a worker thread (`h5-worker.ts`) with its own h5wasm
 * instance, so that a damaged or hostile HDF5 file cannot crash or hang the process. HDF5's C code,
 * compiled to WebAssembly, can trap on some damaged files (and leave the instance's heap broken) or loop
 * without end; in the worker a read has a time limit and a memory limit, and when it traps, runs out of
 * time or memory, or the worker dies, the worker is ended and the caller gets a MODEL_FORMAT
 * CnnlensError. One warm worker serves read after read while it is sound; the next read after a
 * failure starts a fresh one. Reads are served one at a time, in order.
 *
 * Limits (options, else environment variables, else defaults):
 * - time: `CNNLENS_HDF5_TIMEOUT_MS`, default 60 s plus 1 s per 10 MB of file;
 * - memory: `CNNLENS_HDF5_MAX_MEMORY_MB`, default 1024 MB plus 4 times the file's size — how far the
 *   process's resident memory may grow during one read (the WebAssembly heap lives outside V8's heap);
 *   the worker's JavaScript heap is also capped with `resourceLimits`.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { CnnlensError, fail } from '../errors.js';
import type { H5ModelData, Hdf5Reader } from './h5.js';
import type { H5Job, H5Reply } from './h5-worker.js';
import type { WeightArray } from './types.js';

export interface Hdf5WorkerOptions {
  /** time limit of one read in ms; default `$CNNLENS_HDF5_TIMEOUT_MS`, else 60 s + 1 s per 10 MB */
  readonly timeoutMs?: number;
  /** how many MB resident memory may grow during one read; default `$CNNLENS_HDF5_MAX_MEMORY_MB`, else 1024 + 4 × file size */
  readonly maxMemoryMb?: number;
  /** the worker's JavaScript heap limit in MB (`resourceLimits.maxOldGenerationSizeMb`); default 1024 */
  readonly maxHeapMb?: number;
  /** time limit for starting a worker (loading h5wasm) in ms; default 60 s */
  readonly startTimeoutMs?: number;
  /**
   * a worker is replaced after this many files HDF5 refused; default 1000. h5wasm leaks a little on
   * every file it fails to open, and after about 2,000 such files its instance traps even on good ones.
   */
  readonly recycleAfterFailures?: number;
}

const ADVICE = 'the file is damaged or not a Keras model file — re-save it with model.save(...)';
const MEMORY_POLL_MS = 100;

// the worker module next to this one: .ts when running from src/ (tsx), .js from dist/
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './h5-worker.ts' : './h5-worker.js', import.meta.url);

/**
 * Starts the worker module. From dist/ it is plain JavaScript; from src/ (run with tsx) the worker thread
 * does not inherit tsx's module hooks, so it registers them before importing the TypeScript module.
 */
function spawn(options: WorkerOptions): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) fail('USAGE', `$${name} must be a positive number, not '${raw}'`);
  return v;
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** One worker and what is waiting on it. */
class Hdf5Worker {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  /** set once the worker has ended (exited, crashed or been terminated) */
  ended: string | undefined;
  /** files HDF5 refused in this worker */
  failures = 0;
  private pending: ((reply: H5Reply | { died: string }) => void) | undefined;

  constructor(maxHeapMb: number) {
    this.worker = spawn({
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb, maxYoungGenerationSizeMb: Math.min(64, maxHeapMb) },
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: H5Reply) => {
        if ('ready' in m) {
          resolve();
          return;
        }
        const deliver = this.pending;
        this.pending = undefined;
        deliver?.(m);
      };
      const onEnd = (why: string) => {
        this.ended ??= why;
        reject(new Error(why));
        const deliver = this.pending;
        this.pending = undefined;
        deliver?.({ died: why });
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', (e) => onEnd(`${e.name}: ${e.message}`));
      this.worker.on('exit', (code) => onEnd(`the worker exited with code ${code}`));
    });
    this.ready.catch(() => undefined); // observed by start()
  }

  /** Sends a job; resolves with the reply, or with `died` when the worker ends first. */
  request(job: H5Job): Promise<H5Reply | { died: string }> {
    if (this.ended !== undefined) return Promise.resolve({ died: this.ended });
    return new Promise((resolve) => {
      this.pending = resolve;
      // a copy of exactly the file's bytes, handed over (the caller's array may view a larger buffer)
      const bytes = job.bytes.slice();
      this.worker.postMessage({ ...job, bytes }, [bytes.buffer]);
    });
  }

  async end(why: string): Promise<void> {
    this.ended ??= why;
    await this.worker.terminate();
  }
}

/** Reads HDF5 files in a worker thread with time and memory limits (see the module comment). */
export class WorkerHdf5Reader implements Hdf5Reader {
  private current: Hdf5Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  /** how many workers this reader has started (a fresh one after each failure) */
  started = 0;

  constructor(private readonly options: Hdf5WorkerOptions = {}) {}

  readModel(bytes: Uint8Array, what: string): Promise<H5ModelData> {
    return this.enqueue({ id: ++this.nextId, kind: 'model', bytes, what }) as Promise<H5ModelData>;
  }

  readVars(bytes: Uint8Array, what: string, groups: readonly string[]): Promise<[string, WeightArray[]][]> {
    return this.enqueue({ id: ++this.nextId, kind: 'vars', bytes, what, groups: [...groups] }) as Promise<[string, WeightArray[]][]>;
  }

  /** Ends the worker (a later read starts a new one). */
  async close(): Promise<void> {
    const w = this.current;
    this.current = undefined;
    await w?.end('closed');
  }

  private enqueue(job: H5Job): Promise<unknown> {
    const run = this.queue.then(() => this.run(job));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private timeoutMs(size: number): number {
    return this.options.timeoutMs ?? envNumber('CNNLENS_HDF5_TIMEOUT_MS') ?? 60_000 + size / 10_000;
  }

  private maxMemoryMb(size: number): number {
    return this.options.maxMemoryMb ?? envNumber('CNNLENS_HDF5_MAX_MEMORY_MB') ?? 1024 + (4 * size) / 2 ** 20;
  }

  private async start(what: string): Promise<Hdf5Worker> {
    if (this.current !== undefined && this.current.ended === undefined) return this.current;
    const w = new Hdf5Worker(this.options.maxHeapMb ?? 1024);
    this.current = w;
    this.started++;
    const limit = this.options.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        w.ready,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`it did not start within ${seconds(limit)}`)), limit))),
      ]);
    } catch (e) {
      this.current = undefined;
      await w.end('failed to start');
      fail('MODEL_FORMAT', `the HDF5 reader for ${what} could not be started (${(e as Error).message})`, e);
    } finally {
      clearTimeout(timer);
    }
    return w;
  }

  private async run(job: H5Job): Promise<unknown> {
    const w = await this.start(job.what);
    const timeoutMs = this.timeoutMs(job.bytes.length);
    const maxMemory = this.maxMemoryMb(job.bytes.length) * 2 ** 20;
    const rss0 = process.memoryUsage.rss();
    let stop: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    w.worker.ref();
    try {
      const reply = await new Promise<H5Reply | { died: string }>((resolve) => {
        const halt = (why: string) => {
          stop ??= why;
          void w.end(why);
        };
        timer = setTimeout(() => halt('time'), timeoutMs);
        poll = setInterval(() => {
          if (process.memoryUsage.rss() - rss0 > maxMemory) halt('memory');
        }, MEMORY_POLL_MS);
        w.request(job).then(resolve);
      });
      if ('died' in reply || 'ready' in reply) {
        this.current = undefined;
        if (stop === 'time') {
          fail('MODEL_FORMAT', `the HDF5 reader did not finish ${job.what} within ${seconds(timeoutMs)} and was stopped; ${ADVICE} (for a very large file, raise the limit with CNNLENS_HDF5_TIMEOUT_MS)`);
        }
        if (stop === 'memory') {
          fail('MODEL_FORMAT', `the HDF5 reader needed more than ${Math.round(maxMemory / 2 ** 20)} MB for ${job.what} and was stopped; ${ADVICE} (for a very large file, raise the limit with CNNLENS_HDF5_MAX_MEMORY_MB)`);
        }
        fail('MODEL_FORMAT', `the HDF5 reader stopped on ${job.what} (${'died' in reply ? reply.died : 'no reply'}); ${ADVICE}`);
      }
      if (reply.ok) return reply.result;
      if (reply.broken !== undefined) {
        this.current = undefined;
        await w.end('broken');
        fail('MODEL_FORMAT', `the HDF5 reader stopped on ${job.what} (${reply.broken}); ${ADVICE}`);
      }
      if (++w.failures >= (this.options.recycleAfterFailures ?? 1000)) {
        this.current = undefined;
        await w.end('recycled');
      }
      throw new CnnlensError(reply.code ?? 'MODEL_FORMAT', reply.message);
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      if (w.ended === undefined) w.worker.unref();
    }
  }
}

let shared: WorkerHdf5Reader | undefined;

/** The process's shared worker reader, with the limits of the environment (or the defaults). */
export function workerHdf5(): WorkerHdf5Reader {
  shared ??= new WorkerHdf5Reader();
  return shared;
}
