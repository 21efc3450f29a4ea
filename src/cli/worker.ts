/**
 * `cnnlens worker`: serves the Redis queue that `cnnlens batch --queue` fills (see src/queue/worker.ts),
 * until stopped. SIGINT or SIGTERM: finish the jobs in hand, record them, then exit; a second signal
 * hands them back to the queue at once.
 */
import { availableParallelism } from 'node:os';
import { MANIFEST, MANIFEST_PARTS } from '../batch/manifest.js';
import { fail } from '../errors.js';
import { parseRedisUrl } from '../queue/redis-url.js';
import { startQueueWorker } from '../queue/worker.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { EXIT_OK, parseCommandArgs, processIO, requireOption, type CliIO } from './common.js';

export function workerUsage(): string {
  return `Usage: cnnlens worker --queue redis://HOST:PORT [--concurrency N] [--threads N]

Explains the pictures that 'cnnlens batch --queue' puts on a Redis queue, with the same code as a
local batch run, until stopped. Run as many workers as you like, on as many machines: each job names
its model, dataset, picture, methods and output folder by absolute path, so every worker must reach
them at the same path (a shared folder). A worker writes the picture's files atomically into the run's
output folder and records it in a manifest of its own, DIR/${MANIFEST_PARTS}/<host>-<pid>-<id>.jsonl, merged
with DIR/${MANIFEST} when read. Models and datasets stay loaded between jobs.

A worker that dies mid-job (killed, machine lost) holds its job until the job's lock expires; another
worker then redoes it, rewriting the same files whole. Ctrl-C or SIGTERM: the jobs in hand are finished
and recorded before exit; a second signal hands them back to the queue at once.

Options:
  --queue URL              redis://[user:password@]host[:port][/db] (the same as the producer's)
  --concurrency N          jobs in flight at once (default 1)
  --threads N              ONNX Runtime threads per call (default: cores / concurrency)
  --lock-duration MS       how long a job stays held by a worker that stopped renewing it, i.e. how
                           soon a dead worker's job is redone (default 30000)
  --stalled-interval MS    how often the worker looks for such jobs (default 30000)
  --connect-timeout MS     how long to wait for Redis at start (default 5000)
  --quiet                  no line per picture
  -h, --help               show this help
`;
}

export async function workerCommand(argv: string[], io: CliIO = processIO, deps: { backend?: RuntimeBackend; signal?: AbortSignal } = {}): Promise<number> {
  const { values: o } = parseCommandArgs('worker', argv, {
    queue: { type: 'string' }, concurrency: { type: 'string' }, threads: { type: 'string' },
    'lock-duration': { type: 'string' }, 'stalled-interval': { type: 'string' }, 'connect-timeout': { type: 'string' },
    quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, false);
  if (o.help) {
    io.out(workerUsage());
    return EXIT_OK;
  }
  const address = parseRedisUrl(requireOption('worker', 'queue', o.queue));
  const int = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) fail('USAGE', `--${name} must be an integer from ${min} to ${max}, got '${v}'.`);
    return n;
  };
  const concurrency = int('concurrency', o.concurrency, 1, 256) ?? 1;
  const threads = int('threads', o.threads, 1, 1024) ?? Math.max(1, Math.floor(availableParallelism() / concurrency));
  const lockDurationMs = int('lock-duration', o['lock-duration'], 500, 3_600_000);
  const stalledIntervalMs = int('stalled-interval', o['stalled-interval'], 500, 3_600_000);
  const connectTimeoutMs = int('connect-timeout', o['connect-timeout'], 100, 600_000);
  const backend = deps.backend ?? (await import('../runtime/node-backend.js')).nodeBackend;

  const running = await startQueueWorker({
    address, backend, concurrency, threads,
    ...(lockDurationMs ? { lockDurationMs } : {}), ...(stalledIntervalMs ? { stalledIntervalMs } : {}), ...(connectTimeoutMs ? { connectTimeoutMs } : {}),
    log: o.quiet ? (t) => void (t.startsWith('done:') || io.err(t)) : (t) => io.err(t),
  });
  io.err(`worker: serving ${address.text} (pid ${process.pid}, ${concurrency} job${concurrency > 1 ? 's' : ''} at once, ${threads} thread${threads > 1 ? 's' : ''} each); Ctrl-C to stop\n`);

  // run until a signal (or the caller's abort); a second signal stops at once
  let signals = 0;
  await new Promise<void>((resolve) => {
    const onSignal = (name: string) => {
      signals++;
      if (signals === 1) {
        io.err(`worker: ${name}: finishing the jobs in hand (again to hand them back to the queue now)\n`);
        resolve();
      } else {
        io.err(`worker: ${name}: handing the jobs in hand back to the queue\n`);
        void running.stop(true);
      }
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    deps.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await running.stop();
  io.err(`worker: stopped; ${running.counts.done} explained, ${running.counts.failed} failed\n`);
  return EXIT_OK;
}
