/** The Keras 3 `.keras` reader: class-derived weight paths, config rewritten to Keras 2, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { kerasFileSource, toSnakeCase, weightGroupPaths } from '../../src/import/keras-file.js';
import { keras3ToKeras2Config } from '../../src/import/keras3-config.js';
import { CnnlensError } from '../../src/errors.js';
import {
  expectedWeights,
  functionalWithSequentialHead,
  k3Model,
  keras2Config,
  kerasH5Bytes,
  kerasZipBytes,
  sequentialAroundBase,
  tfjsCpu,
} from '../util/keras-fixtures.js';

await tfjsCpu();

test('keras: snake_case of class names as keras.src.utils.naming.to_snake_case', () => {
  assert.equal(toSnakeCase('Conv2D'), 'conv2d');
  assert.equal(toSnakeCase('DepthwiseConv2D'), 'depthwise_conv2d');
  assert.equal(toSnakeCase('SeparableConv2D'), 'separable_conv2d');
  assert.equal(toSnakeCase('BatchNormalization'), 'batch_normalization');
  assert.equal(toSnakeCase('GlobalAveragePooling2D'), 'global_average_pooling2d');
  assert.equal(toSnakeCase('ReLU'), 're_lu');
  assert.equal(toSnakeCase('InputLayer'), 'input_layer');
  assert.equal(toSnakeCase('Functional'), 'functional');
});

test('keras: weight groups are addressed by class and occurrence, nested models below their group', () => {
  const paths = weightGroupPaths(k3Model(keras2Config(sequentialAroundBase())));
  assert.equal(paths.get('backbone'), 'layers/functional');
  assert.equal(paths.get('backbone/conv1'), 'layers/functional/layers/conv2d');
  assert.equal(paths.get('backbone/conv1_bn'), 'layers/functional/layers/batch_normalization');
  assert.equal(paths.get('backbone/dw_bn'), 'layers/functional/layers/batch_normalization_1');
  assert.equal(paths.get('backbone/sep'), 'layers/functional/layers/separable_conv2d');
  assert.equal(paths.get('predictions'), 'layers/dense');
  assert.ok(!paths.has('finetuned_input'), "a Sequential's InputLayer is not in model.layers");
  const functional = weightGroupPaths(k3Model(keras2Config(functionalWithSequentialHead())));
  assert.equal(functional.get('image'), 'layers/input_layer');
  assert.equal(functional.get('head/fc2'), 'layers/sequential/layers/dense_1');
});

for (const [name, make] of [
  ['Sequential around a functional base', sequentialAroundBase],
  ['functional model with a nested Sequential head', functionalWithSequentialHead],
] as const) {
  test(`keras: ${name}: config in the Keras 2 dialect and every layer's weights in order`, async () => {
    const model = make();
    const source = await kerasFileSource(await kerasZipBytes(model));
    assert.equal(source.format, 'keras');
    assert.equal(source.kerasVersion, '3.6.0');
    assert.deepEqual(source.modelConfig, keras3ToKeras2Config({ ...k3Model(keras2Config(model)), compile_config: null }));
    for (const { path, weights } of expectedWeights(model)) {
      const got = source.weights.layerWeights(path);
      assert.equal(got.length, weights.length, path.join('/'));
      weights.forEach((w, i) => {
        assert.deepEqual(got[i]!.shape, w.shape, `${path.join('/')} ${w.name}`);
        assert.deepEqual(got[i]!.data, w.data, `${path.join('/')} ${w.name}`);
      });
    }
  });
}

async function expectError(bytes: Uint8Array, pattern: RegExp, code = 'MODEL_FORMAT'): Promise<void> {
  await assert.rejects(kerasFileSource(bytes), (e: unknown) => {
    assert.ok(e instanceof CnnlensError, `a CnnlensError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

test('keras: not a zip, a truncated zip, missing members, bad JSON, a damaged weights file', async () => {
  const model = sequentialAroundBase();
  await expectError(await kerasH5Bytes(model), /not a zip archive/);
  const good = await kerasZipBytes(model);
  for (const n of [2, 30, Math.floor(good.length / 2), good.length - 10]) await expectError(good.slice(0, n), /not a zip|damaged or truncated zip/);
  await expectError(await kerasZipBytes(model, { members: { 'config.json': undefined } }), /no config\.json/);
  await expectError(await kerasZipBytes(model, { members: { 'config.json': new TextEncoder().encode('{"class_name": ') } }), /config\.json .* not valid JSON/);
  await expectError(await kerasZipBytes(model, { members: { 'model.weights.h5': undefined } }), /no model\.weights\.h5/);
  await expectError(
    await kerasZipBytes(model, { members: { 'model.weights.h5': undefined, 'model.weights.npz': new Uint8Array(4) } }),
    /model\.weights\.npz/,
    'MODEL_UNSUPPORTED',
  );
  await expectError(await kerasZipBytes(model, { members: { 'model.weights.h5': new Uint8Array(64) } }), /model\.weights\.h5 inside the \.keras file is not an HDF5 file/);
  const weights = (await import('fflate')).unzipSync(good)['model.weights.h5']!;
  await expectError(
    await kerasZipBytes(model, { members: { 'model.weights.h5': weights.slice(0, weights.length - 200) } }),
    /model\.weights\.h5 inside the \.keras file .*truncated or damaged/,
  );
  await expectError(zipSync({ 'config.json': new TextEncoder().encode('[1, 2]') }), /not a serialized Keras model/);
});

test('keras: tf.keras 2.13 files name the layer list _layer_checkpoint_dependencies', async () => {
  const model = sequentialAroundBase();
  const h5 = await import('h5wasm');
  const { FS } = await h5.default.ready;
  const fflate = await import('fflate');
  const files = fflate.unzipSync(await kerasZipBytes(model));
  // rewrite the weights file with the 2.13 group names
  FS.writeFile('/k213-in.h5', files['model.weights.h5']!);
  const src = new h5.default.File('/k213-in.h5', 'r');
  const dst = new h5.default.File('/k213-out.h5', 'w');
  const copy = (from: any, to: any): void => {
    for (const key of from.keys()) {
      const child = from.get(key);
      const name = key === 'layers' ? '_layer_checkpoint_dependencies' : key;
      if (child instanceof h5.default.Group) copy(child, to.create_group(name));
      else to.create_dataset({ name, data: child.value, shape: child.shape, dtype: child.dtype });
    }
  };
  copy(src, dst);
  src.close();
  dst.close();
  files['model.weights.h5'] = new Uint8Array(FS.readFile('/k213-out.h5'));
  FS.unlink('/k213-in.h5');
  FS.unlink('/k213-out.h5');
  const source = await kerasFileSource(fflate.zipSync(files));
  const expected = expectedWeights(model).find((e) => e.path.join('/') === 'backbone/sep')!;
  assert.deepEqual(source.weights.layerWeights(['backbone', 'sep']).map((w) => w.data), expected.weights.map((w) => w.data));
});
