/**
 * `cnnlens batch --queue` and `cnnlens worker` as users run them (the built bin/cnnlens.js in child
 * processes) on a real redis-server (scripts/redis.sh, on a free loopback port): a producer and three
 * workers, one killed with SIGKILL mid-run. Its job must be handed to another worker by the stalled-job
 * check (lock and check interval shortened so the test does not wait 30 s); in the end every picture is
 * recorded done exactly once and its maps are byte-equal to a single-process local run's. An unreachable
 * --queue is a typed QUEUE error within seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { readManifest, readManifestEntries } from '../../src/batch/manifest.js';
import { QUEUE_NAME } from '../../src/queue/item-job.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/cnnlens.js');
const built = existsSync(join(root, 'dist/cli/worker.js'));
const MODEL = join(root, 'examples/tiny-cnn.onnx');
const dir = mkdtempSync(join(tmpdir(), 'cnnlens-queue-'));
const data = join(dir, 'data');
const N = 40;
const METHOD_ARGS = ['--method', 'gradcam,integrated-gradients', '--ig-steps', '128'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A child process with its stderr collected. */
function cli(args: string[]): { proc: ChildProcess; err: () => string; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => void (err += b.toString()));
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, err: () => err, exit };
}

let url = '';
const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms).unref())]);

let redisPid: number | undefined;

test('three workers, one killed mid-run: every picture done exactly once, maps byte-equal to a local run', { skip: !built && 'needs npm run build', timeout: 240_000 }, async () => {
  const photo = readFileSync(join(root, 'examples/images/chelsea.png'));
  for (let i = 0; i < N; i++) {
    const cls = i % 2 ? 'cat' : 'dog';
    mkdirSync(join(data, cls), { recursive: true });
    writeFileSync(join(data, cls, `p${String(i).padStart(2, '0')}.png`), await sharp(photo).extract({ left: 2 * i, top: i, width: 180, height: 180 }).resize(64, 64).png().toBuffer());
  }
  const port = await freePort();
  redisPid = Number(execFileSync('bash', [join(root, 'scripts/redis.sh'), 'start', String(port)], { encoding: 'utf8' }).trim());
  url = `redis://127.0.0.1:${port}`;

  // the reference: one local process, the same ONNX Runtime thread count as the workers
  const ref = join(dir, 'ref');
  const local = spawnSync(process.execPath, [bin, 'batch', '--model', MODEL, '--data', data, '--out', ref, ...METHOD_ARGS, '--threads', '1'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(local.status, 0, local.stderr);

  const out = join(dir, 'queued');
  const workerArgs = ['worker', '--queue', url, '--threads', '1', '--lock-duration', '1500', '--stalled-interval', '1000'];
  const workers = [cli(workerArgs), cli(workerArgs), cli(workerArgs)];
  const producer = cli(['batch', '--model', MODEL, '--data', data, '--out', out, ...METHOD_ARGS, '--queue', url]);
  try {
    // kill one worker right after it finished a few pictures: it has just taken its next job
    const victim = workers[0]!;
    const t0 = Date.now();
    while ((victim.err().match(/^done: /gm) ?? []).length < 3) {
      assert.ok(Date.now() - t0 < 90_000, `the worker made no progress: ${victim.err()}`);
      assert.equal(producer.proc.exitCode, null, `the producer ended before the kill: ${producer.err()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    victim.proc.kill('SIGKILL');
    await victim.exit;
    const code = await within(producer.exit, 120_000, 'the producer');
    assert.equal(code, 0, producer.err());
    assert.match(producer.err(), new RegExp(`batch: ${N} explained, 0 failed, 0 already done`));
  } finally {
    for (const w of workers.slice(1)) w.proc.kill('SIGTERM');
  }
  // the others stop gracefully on SIGTERM
  for (const w of workers.slice(1)) {
    assert.equal(await within(w.exit, 30_000, 'a worker stopping'), 0, w.err());
    assert.match(w.err(), /worker: stopped; \d+ explained, 0 failed/);
  }
  const byWorker = workers.map((w) => (w.err().match(/^done: /gm) ?? []).length);
  // the killed worker's job was taken again by another worker (a job is started anew after a stall)
  const redis = new Redis({ host: '127.0.0.1', port: Number(new URL(url).port), maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAME, { connection: redis });
  try {
    const completed = await queue.getCompleted(0, -1);
    assert.equal(completed.length, N);
    assert.ok(completed.some((j) => j.attemptsStarted > 1), 'no job was handed over after the kill');
  } finally {
    await queue.close();
    redis.disconnect();
  }
  assert.ok(byWorker[1]! > 0 && byWorker[2]! > 0, `work was shared: ${byWorker.join(', ')}`);

  // exactly once: one done entry per picture across every manifest file, and the merged view agrees
  const entries = readManifestEntries(out).filter((e) => e.status === 'done');
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.item, (counts.get(e.item) ?? 0) + 1);
  assert.equal(counts.size, N);
  for (const [item, n] of counts) assert.equal(n, 1, `${item} recorded done ${n} times`);
  const merged = readManifest(out);
  const reference = readManifest(ref);
  assert.equal(merged.size, N);
  for (const [item, e] of reference) {
    const q = merged.get(item);
    assert.ok(q && q.status === 'done' && e.status === 'done', item);
    assert.deepEqual([...q.files].sort(), [...e.files].sort());
    for (const f of e.files) {
      const a = readFileSync(join(out, f));
      const b = readFileSync(join(ref, f));
      if (f.endsWith('.npy')) assert.ok(a.equals(b), `${f} differs from the local run's`);
      else {
        // the JSON summaries differ only in their timings
        const strip = (t: Buffer) => ({ ...(JSON.parse(t.toString('utf8')) as object), timingsMs: undefined });
        assert.deepEqual(strip(a), strip(b), f);
      }
    }
  }

  // the producer again: nothing left to queue, nothing redone
  const again = spawnSync(process.execPath, [bin, 'batch', '--model', MODEL, '--data', data, '--out', out, ...METHOD_ARGS, '--queue', url], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`batch: 0 explained, 0 failed, ${N} already done`));
});

test('an unreachable --queue is a typed QUEUE error within seconds, for the producer and the worker', { skip: !built && 'needs npm run build', timeout: 60_000 }, async () => {
  const port = await freePort(); // nothing listens there
  mkdirSync(data, { recursive: true });
  for (const args of [
    ['batch', '--model', MODEL, '--data', data, '--out', join(dir, 'unreachable'), '--queue', `redis://127.0.0.1:${port}`],
    ['worker', '--queue', `redis://127.0.0.1:${port}`],
  ]) {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error \\[QUEUE\\]: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: connection refused; start redis-server or check --queue\\.$`, 'm'));
    assert.ok(Date.now() - t0 < 15_000, `${args[0]} took ${Date.now() - t0} ms`);
  }
  const bad = spawnSync(process.execPath, [bin, 'worker', '--queue', 'http://127.0.0.1:6379'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error \[USAGE\]: --queue must start with redis:\/\//);
});

test.after(() => {
  if (redisPid) process.kill(redisPid);
  rmSync(dir, { recursive: true, force: true });
});
