/**
 * `cnnlens batch`: explains a whole dataset into an output folder, resumably (see src/batch/runner.ts):
 * raw maps as .npy and a JSON summary per picture, a manifest of what is done, failures recorded.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runBatch, type BatchReport } from '../batch/runner.js';
import { MANIFEST, readManifest, settleRunSpec, type ManifestEntry } from '../batch/manifest.js';
import type { Dataset } from '../data/dataset.js';
import { openDataset } from '../data/open-dataset.js';
import { fail } from '../errors.js';
import { optionSpecs } from '../methods/options.js';
import { methodIds, methods as allMethods } from '../methods/registry.js';
import { loadImageModel } from '../model/load-file.js';
import { resolveTarget } from '../model/targets.js';
import type { RuntimeBackend } from '../runtime/backend.js';
import { checkRedis } from '../queue/connection.js';
import { itemJobs, type RunRequest } from '../queue/item-job.js';
import { runQueuedBatch } from '../queue/producer.js';
import { parseRedisUrl, type RedisAddress } from '../queue/redis-url.js';
import { EXIT_OK, parseCommandArgs, processIO, requireOption, type CliIO } from './common.js';

export function batchUsage(): string {
  return `Usage: cnnlens batch --data D --out DIR [--model FILE] [--method ID[,ID...]] [--jobs N]
                     [--target T] [--layer NAME] [--threads N] [method options]
       cnnlens batch ... --queue redis://HOST:PORT [--no-wait]

Explains every picture of a dataset: for each, the raw float32 map per method as .npy (and the
method's extra maps) and a JSON summary (predictions, target, values such as IG's delta, timings),
under DIR at the picture's path in the dataset. ${MANIFEST} in DIR records every finished picture
after its files are complete; run the same command again to resume a stopped run: finished pictures
are skipped, failed ones (recorded with their error) are retried.

With --queue, the pictures are put on a Redis queue, one job each, and explained by 'cnnlens worker'
processes on any number of machines; the command waits for them, showing progress, and prints the
same report as a local run. DIR, the model and the data must be reachable by every worker at the same
absolute path (a shared folder); workers write to DIR directly. Running the command again adds no job
that is already queued or done.

Options:
  --data D            a folder of images (classes from sub-folders), an idx file, a .txt list of files,
                      or mnist:test, mnist:train, fashion-mnist:test, fashion-mnist:train
  --out DIR           output folder (created if missing)
  --model PATH        .onnx, .keras, .h5, or TF.js model.json (default: the built-in model)
  --method IDS        comma-separated methods (default gradcam): ${methodIds().join(', ')}
  --jobs N            pictures in flight at once (default 1)
  --target T          class index or name (default: each picture's top prediction)
  --layer NAME[,...]  layer for CAM methods (default: the last conv feature map larger than 1x1)
  --threads N         ONNX Runtime threads per call (default: cores / jobs)
  --queue URL         redis://[user:password@]host[:port][/db]: queue the pictures for workers
                      instead of explaining them here (workers: 'cnnlens worker --help')
  --no-wait           with --queue: return once the jobs are queued; run the command again to wait
  --labels FILE       class names: one per line, or a JSON array
  --json              print the run's report as JSON on stdout
  -h, --help          show this help
Method options are those of 'cnnlens explain --help'.
`;
}

export async function batchCommand(argv: string[], io: CliIO = processIO, deps: { backend?: RuntimeBackend } = {}): Promise<number> {
  const specs = optionSpecs(allMethods());
  const methodFlags = Object.fromEntries([...specs.values()].map((s) => [s.name, { type: s.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]));
  const { values: o } = parseCommandArgs('batch', argv, {
    ...methodFlags,
    data: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' }, method: { type: 'string' }, jobs: { type: 'string' },
    target: { type: 'string' }, layer: { type: 'string' }, threads: { type: 'string' }, labels: { type: 'string' }, json: { type: 'boolean' },
    queue: { type: 'string' }, 'no-wait': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, false);
  if (o.help) {
    io.out(batchUsage());
    return EXIT_OK;
  }
  const data = requireOption('batch', 'data', o.data);
  const outDir = requireOption('batch', 'out', o.out);
  const methods = [...new Set((o.method ?? 'gradcam').split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  if (methods.length === 0) fail('USAGE', '--method is empty.');
  for (const m of methods) if (!methodIds().includes(m)) fail('UNKNOWN_METHOD', `unknown method '${m}'. Methods: ${methodIds().join(', ')}.`);
  const int = (name: string, v: string | undefined, max: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) fail('USAGE', `--${name} must be an integer from 1 to ${max}, got '${v}'.`);
    return n;
  };
  if (o.queue !== undefined) {
    for (const [name, v] of [['jobs', o.jobs], ['threads', o.threads]] as const) {
      if (v !== undefined) fail('USAGE', `--${name} does not apply with --queue: give the workers --concurrency and --threads.`);
    }
  } else if (o['no-wait']) fail('USAGE', '--no-wait applies only with --queue.');
  const address = o.queue !== undefined ? parseRedisUrl(o.queue) : undefined;
  if (address) await checkRedis(address);
  const jobs = int('jobs', o.jobs, 256) ?? 1;
  const threads = int('threads', o.threads, 1024) ?? Math.max(1, Math.floor(availableParallelism() / jobs));
  const given = o as Record<string, string | boolean | undefined>;
  const methodOptions: Record<string, string | boolean> = {};
  for (const name of specs.keys()) if (given[name] !== undefined) methodOptions[name] = given[name]!;
  const layers = o.layer === undefined ? [] : o.layer.split(',').map((l) => l.trim()).filter((l) => l !== '');

  const backend = deps.backend ?? (await import('../runtime/node-backend.js')).nodeBackend;
  const { model, notes } = await loadImageModel(o.model, o.labels ? { labelsFile: o.labels } : {});
  for (const n of notes) io.err(`${n}\n`);
  if (o.target !== undefined) resolveTarget(model, o.target);
  const dataset = await openDataset(data);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    fail('IO', `cannot create the output folder '${outDir}': ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
  const state = await settleRunSpec(outDir, {
    model: o.model ?? '(default model)', data, methods, ...(o.target !== undefined ? { target: o.target } : {}), layers, methodOptions,
  });
  if (address) {
    return queuedBatch(io, address, !o['no-wait'], dataset, state, {
      outDir, data, methods, layers, methodOptions,
      ...(o.model !== undefined ? { model: o.model } : {}), ...(o.labels !== undefined ? { labels: o.labels } : {}), ...(o.target !== undefined ? { target: o.target } : {}),
    }, o.json === true);
  }
  io.err(`batch: ${dataset.length} pictures from ${dataset.name}, ${methods.join(', ')}, ${jobs} job${jobs > 1 ? 's' : ''}${state === 'resumed' ? ' (resuming)' : ''}\n`);
  const report = await runBatch({
    model, dataset, methods, outDir, backend, jobs, threads, layers, methodOptions,
    ...(o.target !== undefined ? { target: o.target } : {}),
    onItem: progressPrinter(io),
  });
  if (process.stderr.isTTY) io.err('\n');
  printReport(io, report, outDir, o.json === true);
  return EXIT_OK;
}

/** Failures always, and a progress line on a terminal. */
function progressPrinter(io: CliIO): (e: ManifestEntry, p: { finished: number; total: number }) => void {
  const tty = process.stderr.isTTY;
  return (e, p) => {
    if (e.status === 'failed') io.err(`${tty ? '\r\x1b[K' : ''}failed: ${e.item}: [${e.code}] ${e.error}\n`);
    else if (tty) io.err(`\r[${p.finished}/${p.total}] ${e.item}\x1b[K`);
  };
}

function printReport(io: CliIO, report: BatchReport, outDir: string, json: boolean): void {
  io.err(`batch: ${report.done} explained, ${report.failed} failed, ${report.skipped} already done, in ${(report.ms / 1000).toFixed(1)} s -> ${outDir}\n`);
  if (json) io.out(`${JSON.stringify(report, null, 2)}\n`);
}

/** The run put on a Redis queue for 'cnnlens worker' processes. */
async function queuedBatch(io: CliIO, address: RedisAddress, wait: boolean, dataset: Dataset, state: 'new' | 'resumed', request: RunRequest, json: boolean): Promise<number> {
  const previous = readManifest(request.outDir);
  const all = Array.from({ length: dataset.length }, (_, i) => i);
  const todo = all.filter((i) => previous.get(dataset.itemName(i))?.status !== 'done');
  io.err(`batch: ${dataset.length} pictures from ${dataset.name}, ${request.methods.join(', ')}, queued on ${address.text}${state === 'resumed' ? ' (resuming)' : ''}\n`);
  const report = await runQueuedBatch({
    address, items: itemJobs(request, dataset, todo), total: all.length, skipped: all.length - todo.length, wait,
    onItem: progressPrinter(io),
    onIdle: (s) => io.err(`${process.stderr.isTTY ? '\r\x1b[K' : ''}batch: no picture finished in ${s} s; are workers running? (cnnlens worker --queue ${address.text})\n`),
  });
  if (!wait) {
    io.err(`batch: ${report.enqueued} jobs queued (${todo.length - report.enqueued} were already), ${report.skipped} pictures already done; run the same command again to wait for them -> ${request.outDir}\n`);
    if (json) io.out(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT_OK;
  }
  if (process.stderr.isTTY) io.err('\n');
  const { enqueued: _e, pending: _p, ...plain } = report;
  printReport(io, plain, request.outDir, json);
  return EXIT_OK;
}
