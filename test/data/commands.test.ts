/**
 * `cnnlens search` and `cnnlens embed` end to end on a small image folder (classes from sub-folders,
 * nested folders, a file list), and the image folder / file list datasets themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { meanImage } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open-dataset.js';
import { encodePng } from '../../src/render/png.js';
import { loadImageModel } from '../../src/model/load-file.js';

const root = new URL('../../', import.meta.url).pathname;
const MODEL = join(root, 'models', 'mnist-cnn.onnx');

async function folder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-data-'));
  const mnist = await openDataset('mnist:test');
  const pics = await mnist.picturesAt(Array.from({ length: 24 }, (_, i) => i));
  for (const [i, p] of pics) {
    const sub = join(dir, `digit-${p.label}`, i % 2 ? 'odd' : '');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `${String(i).padStart(2, '0')}.png`), encodePng(p.image));
  }
  writeFileSync(join(dir, 'list.txt'), `# two pictures\n${[...pics].slice(0, 2).map(([i, p]) => `digit-${p.label}/${i % 2 ? 'odd/' : ''}${String(i).padStart(2, '0')}.png\tx${p.label}`).join('\n')}\n`);
  return dir;
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

test('image folders (recursive, classes from first-level sub-folders), file lists, and their mean picture', async () => {
  const dir = await folder();
  const d = await openDataset(dir);
  assert.equal(d.length, 24);
  assert.deepEqual(d.classes, [...new Set(d.classes)].sort());
  const seen: number[] = [];
  for await (const b of d.batches(5)) seen.push(...b.labels);
  assert.equal(seen.length, 24);
  assert.ok(seen.every((l) => l >= 0));
  for (const [i, p] of await d.picturesAt([3, 20])) assert.equal(d.classes![p.label], d.itemName(i).split('/').at(-2 - (d.itemName(i).includes('/odd/') ? 1 : 0)));
  const list = await openDataset(join(dir, 'list.txt'));
  assert.equal(list.length, 2);
  const { model } = await loadImageModel(MODEL);
  const mean = await meanImage(d, model.input);
  assert.deepEqual(mean.shape, [28, 28, 3]);
  const m = mean.data as Float32Array;
  assert.ok(m[(14 * 28 + 14) * 3]! > m[0]!, 'digits are brighter in the middle than in the corner');
});

test('cnnlens search and cnnlens embed on a folder', async () => {
  const dir = await folder();
  const out = mkdtempSync(join(tmpdir(), 'cnnlens-out-'));
  const s = io();
  assert.equal(await main(['search', '--model', MODEL, '--data', dir, '--units', '0-2,5', '--top', '3', '--out', out, '--json'], s.io), 0, s.err.join(''));
  const summary = JSON.parse(s.out.join(''));
  assert.equal(summary.units.length, 4);
  assert.equal(summary.units[0].top.length, 3);
  for (const u of summary.units) assert.ok(existsSync(u.figure));
  const e = io();
  assert.equal(await main(['embed', '--model', MODEL, '--data', dir, '--perplexity', '3', '--out', out, '--json'], e.io), 0, e.err.join(''));
  const emb = JSON.parse(e.out.join(''));
  assert.equal(emb.pictures, 24);
  assert.ok(readFileSync(emb.files.html, 'utf8').includes('data:image/png;base64,'));
  const bad = io();
  const never = join(out, 'never-made');
  assert.equal(await main(['search', '--model', MODEL, '--data', dir, '--units', '64', '--out', never], bad.io), 2);
  assert.match(bad.err.join(''), /unit 64 does not exist/);
  assert.ok(!existsSync(never), 'a refused search leaves no output folder');
});
