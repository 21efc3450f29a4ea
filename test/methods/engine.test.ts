/**
 * The engine's two ways to a layer gradient agree: the head-only graph fed with the forward pass's
 * activations (layerGradient), and the backward pass fused into the forward call (forward with a
 * gradient request), with the seed fed or made in the graph from the top class.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocess } from '../../src/image/preprocess.js';
import { readImageFile } from '../../src/image/read-file.js';
import { forward, headInputs, layerGradient } from '../../src/methods/engine.js';
import { resolveLayer } from '../../src/model/layers.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { relErr } from '../util/ort.js';

const root = new URL('../../', import.meta.url).pathname;

test('fused and head-only layer gradients agree, for given classes and for the top class', async () => {
  const { model } = await loadImageModel(`${root}examples/tiny-cnn.onnx`);
  const images = await Promise.all(['chelsea.png', 'coffee.png', 'grace_hopper.jpg'].map((f) => readImageFile(`${root}examples/images/${f}`)));
  const input = preprocess(images, model.input);
  const layer = resolveLayer(model).tensor;
  const opts = { backend: nodeBackend };
  const expose = [layer, ...headInputs(model, layer)];
  const plain = await forward(model, input, expose, opts);
  const logits = plain.logits.data as Float32Array;
  const top = [0, 1, 2].map((b) => { const row = logits.subarray(b * 10, b * 10 + 10); return row.indexOf(Math.max(...row)); });
  for (const targets of [[{ index: 3 }, { index: 7, minus: 2 }, { index: 0 }], top.map((index) => ({ index }))]) {
    const head = await layerGradient(model, layer, plain, targets, opts);
    const fused = await forward(model, input, expose, opts, { layer, targets });
    assert.deepEqual(fused.layerGradient!.targets, targets);
    assert.ok(relErr(fused.layerGradient!.gradient.data as Float32Array, head.data as Float32Array) < 1e-5);
    assert.ok(relErr(fused.logits.data as Float32Array, logits) < 1e-5);
  }
  const byGraph = await forward(model, input, expose, opts, { layer, targets: 'top' });
  assert.deepEqual(byGraph.layerGradient!.targets, top.map((index) => ({ index })));
  const head = await layerGradient(model, layer, plain, top.map((index) => ({ index })), opts);
  assert.ok(relErr(byGraph.layerGradient!.gradient.data as Float32Array, head.data as Float32Array) < 1e-5);
});
