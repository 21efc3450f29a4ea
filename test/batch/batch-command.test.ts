/**
 * `cnnlens batch`: every picture explained once with complete files, a damaged picture recorded as failed
 * without stopping the run, and a run killed with SIGKILL mid-way resumed without redoing or losing
 * finished work; the resumed outputs equal an uninterrupted run's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readManifest, MANIFEST } from '../../src/batch/manifest.js';
import { readNpy } from '../../src/data/npy.js';
import { main } from '../../src/cli/main.js';

const MODEL = new URL('../../examples/tiny-cnn.onnx', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'cnnlens-batch-'));
const data = join(root, 'data');
const photo = readFileSync(new URL('../../examples/images/chelsea.png', import.meta.url));
const N = 24;
for (let i = 0; i < N; i++) {
  const cls = i % 2 ? 'cat' : 'dog';
  mkdirSync(join(data, cls), { recursive: true });
  writeFileSync(join(data, cls, `p${String(i).padStart(2, '0')}.png`), await sharp(photo).extract({ left: 3 * i, top: 2 * i, width: 160, height: 160 }).resize(64, 64).png().toBuffer());
}
writeFileSync(join(data, 'cat', 'broken.png'), Buffer.from('not a png at all'));

const io = () => {
  const err: string[] = [];
  return { err, io: { out: () => undefined, err: (t: string) => void err.push(t) } };
};
const run = async (out: string, extra: string[] = []) => {
  const { io: cli, err } = io();
  const code = await main(['batch', '--model', MODEL, '--data', data, '--out', out, '--method', 'gradcam,integrated-gradients', '--ig-steps', '64', ...extra], cli);
  return { code, err: err.join('') };
};

test('batch: every picture explained, the damaged one recorded as failed, outputs complete; a second run redoes nothing', { timeout: 120_000 }, async () => {
  const out = join(root, 'out-once');
  const first = await run(out, ['--jobs', '2']);
  assert.equal(first.code, 0, first.err);
  const m = readManifest(out);
  assert.equal(m.size, N + 1);
  const failed = [...m.values()].filter((e) => e.status === 'failed');
  assert.equal(failed.length, 1);
  assert.match(failed[0]!.item, /broken\.png$/);
  assert.equal(failed[0]!.status === 'failed' && failed[0]!.code, 'IMAGE');
  for (const e of m.values()) {
    if (e.status !== 'done') continue;
    for (const f of e.files) assert.ok(statSync(join(out, f)).size > 0, f);
    const map = readNpy(readFileSync(join(out, e.files.find((f) => f.endsWith('.gradcam.npy'))!)));
    assert.deepEqual(map.shape, [1, 64, 64]);
    assert.ok(e.label === 'cat' || e.label === 'dog');
  }
  assert.ok(existsSync(join(out, 'dog', 'p00.integrated-gradients.npy')));
  assert.equal(readdirSync(join(out, 'dog')).filter((f) => f.endsWith('.tmp')).length, 0);
  const lines = readFileSync(join(out, MANIFEST), 'utf8').trim().split('\n').length;
  const again = await run(out, ['--jobs', '2']);
  assert.equal(again.code, 0);
  assert.match(again.err, /0 explained, 1 failed, 24 already done/);
  assert.equal(readFileSync(join(out, MANIFEST), 'utf8').trim().split('\n').length, lines + 1, 'only the failed picture is retried');
  // a different request into the same folder is refused
  const other = await main(['batch', '--model', MODEL, '--data', data, '--out', out, '--method', 'saliency'], io().io);
  assert.equal(other, 2);
});

test('batch: a run killed with SIGKILL resumes without redoing or losing finished work', { timeout: 180_000 }, async () => {
  const out = join(root, 'out-killed');
  const script = `import { main } from ${JSON.stringify(new URL('../../src/cli/main.ts', import.meta.url).pathname)};
process.exitCode = await main(${JSON.stringify(['batch', '--model', MODEL, '--data', data, '--out', out, '--method', 'gradcam,integrated-gradients', '--ig-steps', '64'])});`;
  const scriptPath = join(root, 'run-batch.mts');
  writeFileSync(scriptPath, script);
  const proc = spawn(process.execPath, ['--import', 'tsx', scriptPath], { stdio: 'ignore' });
  // wait until some but not all pictures are done, then kill without warning
  const manifest = join(out, MANIFEST);
  const t0 = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 25));
    const n = existsSync(manifest) ? readFileSync(manifest, 'utf8').split('\n').filter((l) => l.includes('"done"')).length : 0;
    if (n >= 5) break;
    assert.ok(Date.now() - t0 < 90_000, 'the child made no progress');
  }
  proc.kill('SIGKILL');
  await new Promise((r) => proc.on('exit', r));
  const before = readManifest(out);
  const doneBefore = [...before.values()].filter((e) => e.status === 'done');
  assert.ok(doneBefore.length >= 5 && doneBefore.length < N, `killed after ${doneBefore.length} pictures`);
  const mtimes = new Map(doneBefore.flatMap((e) => (e.status === 'done' ? e.files : [])).map((f) => [f, statSync(join(out, f)).mtimeMs]));
  for (const f of mtimes.keys()) readNpyOrJson(join(out, f)); // finished work is whole

  const resumed = await run(out);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.err, new RegExp(`${N - doneBefore.length} explained, 1 failed, ${doneBefore.length} already done`));
  for (const [f, t] of mtimes) assert.equal(statSync(join(out, f)).mtimeMs, t, `${f} was rewritten`);
  const after = readManifest(out);
  assert.equal([...after.values()].filter((e) => e.status === 'done').length, N);
  // each picture is recorded done exactly once across both runs
  const doneLines = readFileSync(manifest, 'utf8').split('\n').filter((l) => l.includes('"done"')).map((l) => { try { return (JSON.parse(l) as { item: string }).item; } catch { return undefined; } }).filter(Boolean);
  assert.equal(new Set(doneLines).size, doneLines.length);
  // and the maps equal an uninterrupted run's
  const reference = join(root, 'out-once');
  if (existsSync(join(reference, MANIFEST))) {
    for (const e of after.values()) {
      if (e.status !== 'done') continue;
      for (const f of e.files.filter((x) => x.endsWith('.npy'))) {
        const a = readNpy(readFileSync(join(out, f))).data as Float32Array;
        const b = readNpy(readFileSync(join(reference, f))).data as Float32Array;
        assert.ok(a.every((v, i) => Math.abs(v - b[i]!) <= 1e-5 * (1 + Math.abs(b[i]!))), f);
      }
    }
  }
});

function readNpyOrJson(path: string): void {
  const bytes = readFileSync(path);
  if (path.endsWith('.npy')) readNpy(bytes);
  else JSON.parse(bytes.toString('utf8'));
}

test.after(() => rmSync(root, { recursive: true, force: true }));
