/**
 * The models in models/ score, under ONNX Runtime and cnnlens's own idx reader and preprocessing, the
 * test accuracy the training script (scripts/train_mnist.py, PyTorch) reported in models/accuracy.json.
 * PyTorch and ONNX Runtime sum in different orders (and the export folds batch norm into the
 * convolutions), so a logit may differ by ~1e-6; an image whose two best logits are that close could
 * flip, hence a tolerance of 2 images in 10,000. In practice the counts are equal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inputBatches } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open-dataset.js';
import { forward } from '../../src/methods/engine.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';

const root = new URL('../../', import.meta.url).pathname;
const reported = JSON.parse(readFileSync(join(root, 'models', 'accuracy.json'), 'utf8')) as Record<string, { model: string; dataset: string; correct: number; testImages: number; accuracy: number }>;
const DATA: Record<string, string> = { mnist: 'mnist:test', fashion: 'fashion-mnist:test' };
const FLOOR: Record<string, number> = { mnist: 0.99, fashion: 0.91 };

for (const [name, r] of Object.entries(reported)) {
  test(`${r.model}: ${r.dataset} test accuracy recomputed from the ONNX file matches the training script's`, async () => {
    const file = join(root, 'models', r.model);
    assert.ok(statSync(file).size < 1024 * 1024, `${r.model} is under 1 MB`);
    const { model } = await loadImageModel(file);
    assert.equal(model.input.channels, 1);
    assert.deepEqual(model.input.range, [0, 1]);
    assert.equal(model.labels?.length, 10);
    const data = await openDataset(DATA[r.dataset]!);
    assert.equal(data.length, r.testImages);
    let correct = 0;
    for await (const b of inputBatches(data, model.input, 1000)) {
      const logits = (await forward(model, b.input, [], { backend: nodeBackend })).logits.data as Float32Array;
      for (let n = 0; n < b.count; n++) {
        const row = logits.subarray(n * 10, n * 10 + 10);
        if (row.indexOf(Math.max(...row)) === b.labels[n]) correct++;
      }
    }
    assert.ok(Math.abs(correct - r.correct) <= 2, `${name}: ${correct} correct under ONNX Runtime, ${r.correct} reported by the training script`);
    assert.ok(correct / r.testImages >= FLOOR[r.dataset]!, `${name}: accuracy ${correct / r.testImages} below ${FLOOR[r.dataset]}`);
    console.log(`${r.model}: ${correct}/${r.testImages} correct (training script: ${r.correct})`);
  });
}
