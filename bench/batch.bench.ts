/**
 * `cnnlens batch` throughput (pictures per second, wall clock of the whole command including model load)
 * on the default model (MobileNetV2, 224x224) for Grad-CAM and Integrated Gradients with 50 steps, in
 * three set-ups measured side by side in one run: a local run with 1 job, a local run with 2 jobs (1
 * ONNX Runtime thread each), and the same pictures queued on Redis (a throwaway redis-server from
 * scripts/redis.sh) for 2 `cnnlens worker` processes (1 thread each) already waiting. The queue
 * overhead is the ratio of the queued throughput to the local 2-job one. The pictures are the bundled
 * examples/images repeated (copies under a temporary folder). Nothing is asserted on the timings.
 *
 * Run: npm run build && npx tsx bench/batch.bench.ts [--images 1000] [--methods gradcam,ig50]
 * (writes bench/results/batch.json)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { images: { type: 'string', default: '1000' }, methods: { type: 'string', default: 'gradcam,ig50' } } });
const N = Number(values.images);
if (!Number.isInteger(N) || N < 1) throw new Error(`--images must be a positive integer, got ${values.images}`);
const root = new URL('../', import.meta.url).pathname;
const bin = join(root, 'bin/cnnlens.js');
const METHODS: Record<string, { label: string; args: string[] }> = {
  gradcam: { label: 'Grad-CAM', args: ['--method', 'gradcam'] },
  ig50: { label: 'IG, 50 steps', args: ['--method', 'integrated-gradients', '--ig-steps', '50'] },
};
const chosen = values.methods.split(',').map((m) => {
  if (!METHODS[m]) throw new Error(`unknown --methods entry '${m}': ${Object.keys(METHODS).join(', ')}`);
  return m;
});

const dir = mkdtempSync(join(tmpdir(), 'cnnlens-batch-bench-'));
const data = join(dir, 'images');
mkdirSync(data);
const examples = readdirSync(join(root, 'examples/images')).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
for (let i = 0; i < N; i++) {
  const f = examples[i % examples.length]!;
  copyFileSync(join(root, 'examples/images', f), join(data, `img${String(i).padStart(5, '0')}${extname(f)}`));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

function run(args: string[]): Promise<number> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (b: Buffer) => void (err += b.toString()));
  return new Promise((resolve, reject) => proc.on('exit', (code) => {
    if (code !== 0) reject(new Error(`cnnlens ${args.join(' ')} exited with ${code}:\n${err}`));
    else if (!new RegExp(`batch: ${N} explained, 0 failed`).test(err)) reject(new Error(`unexpected report:\n${err}`));
    else resolve((performance.now() - t0) / 1000);
  }));
}

const port = await freePort();
const redisPid = Number(execFileSync('bash', [join(root, 'scripts/redis.sh'), 'start', String(port)], { encoding: 'utf8' }).trim());
const url = `redis://127.0.0.1:${port}`;
const workers: ChildProcess[] = [];
const startWorkers = async () => {
  for (let i = 0; i < 2; i++) {
    const w = spawn(process.execPath, [bin, 'worker', '--queue', url, '--threads', '1', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((r) => w.stderr.on('data', (b: Buffer) => void (b.toString().includes('worker: serving') && r())));
    workers.push(w);
  }
};
const stopWorkers = async () => {
  for (const w of workers.splice(0)) {
    w.kill('SIGTERM');
    await new Promise((r) => w.on('exit', r));
  }
};

interface Row { method: string; images: number; local1: number; local2: number; queue2: number; queueOverhead: number }
const rows: Row[] = [];
const r2 = (x: number) => Math.round(x * 100) / 100;
try {
  // warm-up: the default model imported and cached as ONNX before any timing
  await run(['batch', '--data', join(root, 'examples/images'), '--out', join(dir, 'warm'), '--method', 'gradcam']).catch(() => undefined);
  for (const m of chosen) {
    const spec = METHODS[m]!;
    const base = ['batch', '--data', data, ...spec.args];
    const local1 = await run([...base, '--out', join(dir, `${m}-local1`), '--jobs', '1']);
    const local2 = await run([...base, '--out', join(dir, `${m}-local2`), '--jobs', '2']);
    await startWorkers(); // fresh workers: they load the model during the run, as a local run does
    const queue2 = await run([...base, '--out', join(dir, `${m}-queue2`), '--queue', url]);
    await stopWorkers();
    const row = { method: spec.label, images: N, local1: r2(N / local1), local2: r2(N / local2), queue2: r2(N / queue2), queueOverhead: r2(local2 / queue2) };
    rows.push(row);
    console.error(`${row.method}: ${row.local1} / ${row.local2} / ${row.queue2} pictures/s (local 1 job / local 2 jobs / queue 2 workers); queue / local-2 = ${row.queueOverhead}`);
  }
} finally {
  await stopWorkers();
  process.kill(redisPid);
  rmSync(dir, { recursive: true, force: true });
}

const result = {
  machine: `${availableParallelism()} cores; load average at start ${loadavg()[0]!.toFixed(1)}`,
  model: 'default (nsfwjs MobileNetV2, 224x224)',
  rows,
};
console.log('| method | pictures | local, 1 job | local, 2 jobs | queue, 2 workers | queue / local 2 jobs |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.method} | ${r.images} | ${r.local1}/s | ${r.local2}/s | ${r.queue2}/s | ${r.queueOverhead.toFixed(2)}× |`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/batch.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
