/**
 * Dataset search: the per-unit heaps give exactly the top-k of a brute-force sort of every activation;
 * a search stopped and resumed from its checkpoint equals one run; receptive fields computed from the
 * graph bound what a unit sees (pixels outside never change it); memory stays bounded over 60,000 images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputBatches, type Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open-dataset.js';
import { receptiveField, unitBox } from '../../src/data/receptive-field.js';
import { searchDataset } from '../../src/data/search.js';
import { forward } from '../../src/methods/engine.js';
import { loadImageModel } from '../../src/model/load-file.js';
import type { ImageModel } from '../../src/model/image-model.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';

const root = new URL('../../', import.meta.url).pathname;
const MODEL = join(root, 'models', 'mnist-cnn.onnx');
const run = { backend: nodeBackend, threads: 1 };

/** The first n pictures of a dataset as a dataset of their own. */
function firstN(d: Dataset, n: number): Dataset {
  return {
    ...d,
    name: `${d.name} (first ${n})`,
    length: n,
    async *batches(batch: number, from = 0) {
      for await (const b of d.batches(batch, from)) {
        if (b.start >= n) return;
        const keep = Math.min(b.images.length, n - b.start);
        yield { start: b.start, images: b.images.slice(0, keep), labels: b.labels.slice(0, keep), ...(b.gray ? { gray: { ...b.gray, data: b.gray.data.subarray(0, keep * b.gray.height * b.gray.width) } } : {}) };
      }
    },
  };
}

/** Every activation of the layer for every picture, one forward pass per 500. */
async function allActivations(model: ImageModel, d: Dataset, tensor: string): Promise<{ data: Float32Array; per: number }> {
  const parts: Float32Array[] = [];
  for await (const b of inputBatches(d, model.input, 500)) parts.push((await forward(model, b.input, [tensor], run)).tensors[tensor]!.data as Float32Array);
  const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) data.set(p, (o += p.length) - p.length);
  return { data, per: data.length / d.length };
}

test('dataset search gives exactly the brute-force top-k, for max and mean, conv and dense units', async () => {
  const { model } = await loadImageModel(MODEL);
  const data = firstN(await openDataset('mnist:test'), 700);
  for (const [tensor, c, plane] of [['/relu2/Relu_output_0', 32, 196], ['/relu4/Relu_output_0', 64, 49], ['/Flatten_output_0', 64, 1]] as const) {
    const { data: acts } = await allActivations(model, data, tensor);
    for (const score of plane > 1 ? (['max', 'mean'] as const) : (['max'] as const)) {
      const r = await searchDataset(model, data, { tensor, top: 7, score, batch: 64, run });
      assert.equal(r.units.length, c);
      assert.equal(r.done, 700);
      for (const u of r.units) {
        const all = Array.from({ length: 700 }, (_, n) => {
          const a = acts.subarray((n * c + u.unit) * plane, (n * c + u.unit + 1) * plane);
          let best = 0;
          for (let p = 1; p < plane; p++) if (a[p]! > a[best]!) best = p;
          const v = score === 'max' ? a[best]! : a.reduce((s, x) => s + x, 0) / plane;
          return { index: n, value: v, at: best };
        }).sort((p, q) => q.value - p.value || p.index - q.index).slice(0, 7);
        assert.deepEqual(u.top.map((e) => e.index), all.map((e) => e.index), `${tensor} unit ${u.unit} ${score}`);
        for (const [i, e] of u.top.entries()) {
          assert.ok(Math.abs(e.value - all[i]!.value) <= 1e-6 * Math.max(1, Math.abs(all[i]!.value)), `${tensor} unit ${u.unit}: ${e.value} vs ${all[i]!.value}`);
          if (plane > 1) assert.equal(e.y * Math.sqrt(plane) + e.x, all[i]!.at);
          else assert.equal(e.y, -1);
        }
      }
    }
  }
});

test('a search stopped and resumed from its checkpoint equals one run', async () => {
  const { model } = await loadImageModel(MODEL);
  const data = firstN(await openDataset('mnist:test'), 1500);
  const tensor = '/relu3/Relu_output_0';
  const once = await searchDataset(model, data, { tensor, top: 5, batch: 100, run });
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-search-'));
  const checkpoint = join(dir, 'search.ckpt.json');
  const first = await searchDataset(model, data, { tensor, top: 5, batch: 100, run, checkpoint, checkpointEvery: 200, stopAfter: 650 });
  assert.equal(first.done, 650);
  assert.equal(first.complete, false);
  assert.ok(existsSync(checkpoint));
  const second = await searchDataset(model, data, { tensor, top: 5, batch: 100, run, checkpoint, checkpointEvery: 200, stopAfter: 400 });
  assert.equal(second.resumedFrom, 650);
  const last = await searchDataset(model, data, { tensor, top: 5, batch: 100, run, checkpoint, checkpointEvery: 200 });
  assert.equal(last.resumedFrom, 1050);
  assert.equal(last.complete, true);
  assert.deepEqual(last.units, once.units);
  // another search must not pick up this checkpoint
  await assert.rejects(searchDataset(model, data, { tensor, top: 6, run, checkpoint }), /belongs to another search/);
  assert.equal(JSON.parse(readFileSync(checkpoint, 'utf8')).next, 1500);
});

test('receptive fields from the graph: pixels outside a unit\'s field never change it', async () => {
  const { model } = await loadImageModel(MODEL);
  // conv 3x3 pad 1, pool 2/2, conv, pool, conv, conv: fields 3, 4, 8, 10, 18 and 26 pixels wide
  const expect: Record<string, [number, number, number]> = {
    '/relu1/Relu_output_0': [-1, 1, 1],
    '/pool1/MaxPool_output_0': [-1, 2, 2],
    '/relu2/Relu_output_0': [-3, 4, 2],
    '/pool2/MaxPool_output_0': [-3, 6, 4],
    '/relu3/Relu_output_0': [-7, 10, 4],
    '/relu4/Relu_output_0': [-11, 14, 4],
  };
  for (const [t, [lo, hi, jump]] of Object.entries(expect)) assert.deepEqual(receptiveField(model, t).h, { lo, hi, jump }, t);
  const tensor = '/relu2/Relu_output_0';
  const f = receptiveField(model, tensor);
  const base = (await inputBatches(await openDataset('mnist:test'), model.input, 1).next()).value!.input;
  const act = async (x: Float32Array) => (await forward(model, { ...base, data: x }, [tensor], run)).tensors[tensor]!.data as Float32Array;
  const a0 = await act(base.data as Float32Array);
  for (const [y, x] of [[7, 7], [3, 10], [0, 0], [13, 13]] as const) {
    const box = unitBox(f, y, x, 28, 28);
    let insideChanges = 0;
    for (let py = 0; py < 28; py++) {
      for (let px = 0; px < 28; px++) {
        const inside = py >= box.y0 && py < box.y1 && px >= box.x0 && px < box.x1;
        const nearEdge = py >= box.y0 - 1 && py <= box.y1 && px >= box.x0 - 1 && px <= box.x1;
        if (!nearEdge && !(inside && (py === box.y0 || px === box.x0))) continue;
        const xin = Float32Array.from(base.data as Float32Array);
        xin[py * 28 + px] = xin[py * 28 + px]! > 0.5 ? -3 : 3;
        const a1 = await act(xin);
        const changed = Array.from({ length: 32 }, (_, c) => a1[(c * 14 + y) * 14 + x] !== a0[(c * 14 + y) * 14 + x]).some(Boolean);
        if (!inside) assert.equal(changed, false, `pixel (${py}, ${px}) outside the field of (${y}, ${x}) changed it`);
        else if (changed) insideChanges++;
      }
    }
    assert.ok(insideChanges > 0, `no pixel on the field's edge changes unit (${y}, ${x})`);
  }
});

test('memory stays bounded while searching 60,000 MNIST training images for all units of two layers', async () => {
  const { model } = await loadImageModel(MODEL);
  const data = await openDataset('mnist:train');
  assert.equal(data.length, 60000);
  // warm up: compile the session and touch the allocator once
  await searchDataset(model, firstN(data, 512), { tensor: '/relu1/Relu_output_0', batch: 256, run });
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const r = await searchDataset(model, data, {
    tensor: '/relu1/Relu_output_0',
    top: 16,
    batch: 256,
    run,
    onProgress: () => { peak = Math.max(peak, process.memoryUsage().rss); },
  });
  assert.equal(r.done, 60000);
  // The activations searched, 16 x 28 x 28 float32 per image, total 3.0 GB over the 60,000 images (the
  // pictures alone 188 MB as float32). A streamed search holds one batch: 256 x 16 x 28 x 28 x 4 B = 12.8 MB
  // of activations, the batch's input and decoded pictures (~2.5 MB), the heaps (16 units x 16 entries)
  // and ONNX Runtime's arena for the batch. 150 MB of growth is far below anything that keeps data.
  const growth = (peak - before) / 2 ** 20;
  console.log(`RSS growth over 60,000 images: ${growth.toFixed(1)} MB`);
  assert.ok(growth < 150, `RSS grew by ${growth.toFixed(0)} MB`);
});
