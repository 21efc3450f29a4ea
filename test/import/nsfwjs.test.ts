/**
 * The nsfwjs 4.4.0 models (a fine-tuned MobileNetV2 and an InceptionV3, TF.js layers format with
 * uint8-quantized weights) converted to ONNX must compute what TensorFlow.js computes from the same
 * files: outputs and pre-softmax logits within 1e-4 relative (of max(1, max |tfjs|)) on random [0, 1]
 * images and on a photograph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { convertKeras } from '../../src/import/convert.js';
import type { ImportedModel } from '../../src/import/types.js';
import { NSFWJS_LABELS, NSFWJS_VERSION, nsfwjsSource, readNsfwjsFiles, type NsfwjsVariant } from '../../src/import/nsfwjs.js';
import { maxAbs } from '../util/ort.js';
import { loadTfjs, randomInput, runImported, tf, tfReady, assertDifferentiable } from '../util/tfjs-oracle.js';

/** chelsea.png resized to size × size, RGB in [0, 1], NHWC. */
async function photo(size: number): Promise<Float32Array> {
  const raw = await sharp(new URL('../../../shared/data/images/chelsea.png', import.meta.url).pathname).resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  return Float32Array.from(raw, (v) => v / 255);
}

function withOutput(imported: ImportedModel, tensor: string): ImportedModel {
  const graph = imported.model.graph;
  return { ...imported, model: { ...imported.model, graph: { ...graph, outputs: [...graph.outputs, { name: tensor }] } } };
}

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
  const dims = [3, size, size, 3];
  const x = new Float32Array(dims.reduce((a, d) => a * d, 1));
  x.set(randomInput([2, size, size, 3], 7, 0, 1));
  x.set(await photo(size), 2 * size * size * 3);
  // outputs: the probabilities, and the logits (tfjs: the last Dense's input times its kernel, plus bias)
  const dense = model.layers[model.layers.length - 1]!;
  const features = tf.model({ inputs: model.inputs, outputs: dense.input as tf.SymbolicTensor });
  const [kernel, bias] = dense.getWeights();
  const ref = tf.tidy(() => {
    const input = tf.tensor(x, dims);
    const logits = tf.add(tf.matMul(features.predict(input) as tf.Tensor2D, kernel as tf.Tensor2D), bias!);
    return [(model.predict(input) as tf.Tensor).dataSync(), logits.dataSync()] as Float32Array[];
  });
  const got = await runImported(withOutput(imported, `${imported.model.graph.outputs[0]!.name}/logits`), x, dims);
  for (const [k, what] of ['probabilities', 'logits'].entries()) {
    let m = 0;
    for (let i = 0; i < ref[k]!.length; i++) m = Math.max(m, Math.abs(got[k]!.data[i]! - ref[k]![i]!));
    const rel = m / Math.max(1, maxAbs(ref[k]!));
    console.log(`nsfwjs ${variant} ${what}: max |onnx - tfjs| = ${m.toExponential(2)} (relative ${rel.toExponential(2)})`);
    assert.ok(rel <= 1e-4, `${what}: relative error ${rel}`);
  }
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
