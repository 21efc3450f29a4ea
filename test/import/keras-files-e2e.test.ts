/**
 * End to end: TF.js models with seeded weights, written as Keras 2 `.h5` and Keras 3 `.keras` files,
 * read, converted to ONNX and run on onnxruntime-node, match TF.js `predict` to 1e-4 (max abs error
 * over max abs of the TF.js output).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { convertKeras } from '../../src/import/convert.js';
import { h5Source } from '../../src/import/h5.js';
import { kerasFileSource } from '../../src/import/keras-file.js';
import type { KerasSource } from '../../src/import/types.js';
import { relErr, run, session } from '../util/ort.js';
import { functionalWithSequentialHead, kerasH5Bytes, kerasZipBytes, randomInput, sequentialAroundBase, tfjsCpu } from '../util/keras-fixtures.js';

await tfjsCpu();

async function assertMatches(source: KerasSource, model: tf.LayersModel): Promise<void> {
  const imported = convertKeras(source);
  const s = await session(imported.model);
  const input = imported.model.graph.inputs[0]!.name;
  const output = imported.model.graph.outputs[0]!.name;
  const shape = [3, 12, 12, 3];
  const x = randomInput(shape, 7);
  const expected = (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync();
  const got = (await run(s, { [input]: { dims: shape, data: x } }, 'float32'))[output]!;
  assert.equal(got.data.length, expected.length);
  const err = relErr(got.data, expected);
  assert.ok(err < 1e-4, `relative error ${err}`);
}

// A nested model called inside a functional model is referenced in Keras 2 configs at node index 1
// (its built-in first node counts as node 0, and is left out of `inbound_nodes`); tfjs counts from 0.
for (const [name, make] of [
  ['Sequential around a functional base (Conv2D, BN, ReLU6, DepthwiseConv2D, SeparableConv2D, Add, Dense softmax)', sequentialAroundBase],
  ['functional model with a nested functional base and a nested Sequential head', functionalWithSequentialHead],
] as const) {
  test(`e2e .h5: ${name}`, async () => {
    const model = make();
    await assertMatches(await h5Source(await kerasH5Bytes(model, { nestedNames: 'bare' })), model);
  });
  test(`e2e .keras: ${name}`, async () => {
    const model = make();
    await assertMatches(await kerasFileSource(await kerasZipBytes(model)), model);
  });
}
