/**
 * `cnnlens explain` latency against a plain forward pass, side by side in one run, on the default
 * model (nsfwjs MobileNetV2, 224x224) and one image:
 *   - ONNX Runtime forward alone (the imported model's own graph, one session),
 *   - cnnlens explain with Grad-CAM (forward exposing the layer + backward through the head only,
 *     plus the CPU work of the weights, the sum and the upsampling), sessions warm,
 * interleaved round by round so noise hits both alike; process start and session compilation are
 * excluded. Also times the import of the nsfwjs MobileNetV2 (TF.js layers → ONNX), cold and warm.
 *
 * Run: npx tsx bench/explain.bench.ts [--rounds R] [--iters I] [--threads T]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { convertKeras } from '../src/import/convert.js';
import { nsfwjsSource } from '../src/import/nsfwjs.js';
import { preprocess } from '../src/image/preprocess.js';
import { readImageFile } from '../src/image/read-file.js';
import { explain } from '../src/methods/explain.js';
import { loadImageModel } from '../src/model/load-file.js';
import { saveModel } from '../src/onnx/load.js';
import { nodeBackend } from '../src/runtime/node-backend.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    iters: { type: 'string', default: '10' },
    threads: { type: 'string', default: '2' },
  },
});
const rounds = Number(values.rounds);
const iters = Number(values.iters);
const threads = Number(values.threads);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// import time: the first conversion in a process includes module warm-up, so report both
const importMs: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  convertKeras(await nsfwjsSource('mobilenet_v2'));
  importMs.push(performance.now() - t0);
}

const { model } = await loadImageModel(undefined);
const image = await readImageFile(new URL('../examples/images/chelsea.png', import.meta.url).pathname);
const input = preprocess([image], model.input);
const plain = await nodeBackend.createSession(saveModel(model.onnx), { threads });
const feeds = { [model.inputName]: input };
const options = { backend: nodeBackend, threads, methods: ['gradcam'] };
// warm both (session compilation excluded)
await plain.run(feeds);
await explain(model, input, options);

const fwd: number[] = [];
const cam: number[] = [];
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < iters; i++) {
    let t0 = performance.now();
    await plain.run(feeds);
    fwd.push(performance.now() - t0);
    t0 = performance.now();
    await explain(model, input, options);
    cam.push(performance.now() - t0);
  }
}
await plain.release();
const result = {
  date: new Date().toISOString(),
  threads,
  samples: fwd.length,
  forwardMs: median(fwd),
  explainGradcamMs: median(cam),
  ratio: median(cam) / median(fwd),
  importMs: { first: importMs[0], warm: median(importMs.slice(1)) },
};
console.log(`forward (ORT, plain graph)      ${result.forwardMs.toFixed(2)} ms`);
console.log(`explain --method gradcam        ${result.explainGradcamMs.toFixed(2)} ms   ratio ${result.ratio.toFixed(2)}x (target <= 1.5x)`);
console.log(`import nsfwjs MobileNetV2       ${importMs[0]!.toFixed(0)} ms first, ${result.importMs.warm!.toFixed(0)} ms warm (target < 2000 ms)`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/explain.json', import.meta.url), JSON.stringify(result, null, 2));
