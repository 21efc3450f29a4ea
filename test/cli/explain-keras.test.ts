/**
 * A user's transfer-learned Keras model, as the seed documents have it: a Sequential around a
 * functional base (VGG-style blocks), with Rescaling(1/255) in front and one sigmoid unit on top
 * (cats vs dogs), saved as .h5. `cnnlens info` reads its input spec from the model; `cnnlens explain`
 * gives Grad-CAM maps that equal Grad-CAM computed independently with TensorFlow.js's autodiff on the
 * same weights, for both classes (class 0 of a single sigmoid is explained as -logit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '../../src/data/npy.js';
import { preprocess } from '../../src/image/preprocess.js';
import { readImageFile } from '../../src/image/read-file.js';
import { kerasH5Bytes, randomizeWeights, tfjsCpu } from '../util/keras-fixtures.js';
import { tf } from '../util/tfjs-oracle.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/cnnlens.js');
const built = existsSync(join(root, 'dist/cli/main.js'));
const dir = mkdtempSync(join(tmpdir(), 'cnnlens-keras-'));
const cat = join(root, 'examples/images/chelsea.png');

function cnnlens(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function vggBase(): tf.LayersModel {
  const inp = tf.input({ shape: [32, 32, 3], name: 'base_input' });
  let x = inp;
  for (const [b, filters] of [[1, 8], [2, 12]] as const) {
    x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', name: `block${b}_conv1` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', name: `block${b}_conv2` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `block${b}_pool` }).apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: inp, outputs: x, name: 'vgg_base' });
}

function catsVsDogs(base: tf.LayersModel): tf.Sequential {
  const m = tf.sequential({ name: 'cats_vs_dogs' });
  m.add(tf.layers.inputLayer({ inputShape: [32, 32, 3], name: 'image' }));
  m.add(tf.layers.rescaling({ scale: 1 / 255, name: 'rescale' }));
  m.add(base);
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'dog' }));
  randomizeWeights(m, 7);
  return m;
}

/** Grad-CAM of ±logit at the base's output, with TensorFlow.js autodiff: [h, w] maps. */
function tfjsGradcam(model: tf.Sequential, base: tf.LayersModel, x: Float32Array, sign: 1 | -1): { map: Float32Array; h: number; w: number } {
  return tf.tidy(() => {
    const img = tf.tensor4d(x, [1, 32, 32, 3]).mul(1 / 255);
    const a = base.predict(img) as tf.Tensor4D;
    const dense = model.getLayer('dog');
    const [kernel, bias] = dense.getWeights() as [tf.Tensor2D, tf.Tensor1D];
    const logit = (t: tf.Tensor) => tf.matMul(tf.mean(t, [1, 2]) as tf.Tensor2D, kernel).add(bias).mul(sign).sum();
    const g = tf.grad(logit)(a);
    const alpha = tf.mean(g, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(alpha, a), 3));
    return { map: cam.dataSync() as Float32Array, h: a.shape[1], w: a.shape[2] };
  });
}

test('a transfer-learned Keras .h5 with a sigmoid head: info, and Grad-CAM equal to TensorFlow.js autodiff for both classes', { skip: !built && 'needs npm run build' }, async () => {
  await tfjsCpu();
  const base = vggBase();
  const model = catsVsDogs(base);
  const file = join(dir, 'cats_vs_dogs.h5');
  writeFileSync(file, await kerasH5Bytes(model, { nestedNames: 'bare' }));

  const info = cnnlens('info', file, '--json');
  assert.equal(info.code, 0, info.err);
  const c = JSON.parse(info.out).classifier;
  assert.deepEqual(c.inputSpec.range, [0, 255], 'Rescaling in the model: it takes raw pixels');
  assert.match(c.inputSpec.source, /model/);
  assert.equal(c.output.kind, 'sigmoid-binary');
  assert.equal(c.output.classes, 2);
  assert.ok(c.featureMaps.some((m: { name: string }) => m.name === 'block2_conv2'), 'Keras layer names of the nested base');

  const input = preprocess([await readImageFile(cat)], { layout: 'NHWC', height: 32, width: 32, channels: 3, range: [0, 255], resize: 'center-crop', source: 'test' });
  const x = input.data as Float32Array;
  for (const cls of [1, 0] as const) {
    const out = join(dir, `class${cls}`);
    const r = cnnlens('explain', cat, '--model', file, '--method', 'gradcam', '--layer', 'vgg_base', '--target', String(cls), '--out', out, '--json');
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out);
    assert.equal(summary.layer.name, 'vgg_base');
    const got = readNpy(new Uint8Array(readFileSync(join(out, 'chelsea.gradcam.npy'))));
    assert.deepEqual(got.shape, [1, 32, 32]);
    // the layer-resolution map: recompute cnnlens's upsampling input from TF.js and compare upsampled maps
    const want = tfjsGradcam(model, base, x, cls === 1 ? 1 : -1);
    const { upsampleBilinear } = await import('../../src/render/upsample.js');
    const up = upsampleBilinear(want.map, want.h, want.w, 32, 32);
    let max = 0;
    let err = 0;
    for (let i = 0; i < up.length; i++) {
      max = Math.max(max, Math.abs(up[i]!));
      err = Math.max(err, Math.abs(up[i]! - (got.data as Float32Array)[i]!));
    }
    assert.ok(max > 0, `class ${cls}: the TF.js map is not all zero`);
    assert.ok(err <= 1e-4 * max, `class ${cls}: max |cnnlens - tfjs| = ${err} of ${max}`);
  }
});

test('the built-in InceptionV3 (nsfwjs:inception_v3, 299x299) explains a photo', { skip: !built && 'needs npm run build' }, () => {
  const out = join(dir, 'inception');
  const r = spawnSync(process.execPath, [bin, 'explain', join(root, 'examples/images/coffee.png'), '--model', 'nsfwjs:inception_v3', '--out', out, '--json'], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, CNNLENS_CACHE_DIR: join(dir, 'cache') } });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual([s.model.input.height, s.model.input.width], [299, 299]);
  assert.equal(s.layer.name, 'mixed10');
  assert.equal(s.inputs[0].predictions[0].label, 'Neutral', 'a cup of coffee is Neutral');
  assert.deepEqual(readNpy(new Uint8Array(readFileSync(join(out, 'coffee.gradcam.npy')))).shape, [1, 299, 299]);
});
