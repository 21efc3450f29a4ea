/** The Keras 2 `.h5` reader: config and per-layer weights as written, nested-model naming variants, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import h5wasm from 'h5wasm';
import type { File as H5File } from 'h5wasm';
import { h5Source, isHdf5 } from '../../src/import/h5.js';
import { CnnlensError } from '../../src/errors.js';
import type { KerasSource } from '../../src/import/types.js';
import {
  expectedWeights,
  functionalWithSequentialHead,
  keras2Config,
  kerasH5Bytes,
  sequentialAroundBase,
  tfjsCpu,
  type H5Options,
} from '../util/keras-fixtures.js';

await tfjsCpu();

function assertWeights(source: KerasSource, model: Parameters<typeof expectedWeights>[0]): void {
  const expected = expectedWeights(model);
  assert.ok(expected.some((e) => e.path.length === 2 && e.weights.length > 0), 'fixture has nested weights');
  for (const { path, weights } of expected) {
    const got = source.weights.layerWeights(path);
    assert.equal(got.length, weights.length, `weight count of ${path.join('/')}`);
    weights.forEach((w, i) => {
      assert.deepEqual(got[i]!.shape, w.shape, `shape of ${path.join('/')} ${w.name}`);
      assert.ok(got[i]!.data instanceof Float32Array);
      assert.deepEqual(got[i]!.data, w.data, `values of ${path.join('/')} ${w.name}`);
    });
  }
}

async function expectFormatError(bytes: Uint8Array, pattern: RegExp, code = 'MODEL_FORMAT'): Promise<void> {
  await assert.rejects(h5Source(bytes), (e: unknown) => {
    assert.ok(e instanceof CnnlensError, `a CnnlensError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

const variants: [string, H5Options][] = [
  ['tf.keras 2.x naming (conv1/kernel:0 in the nested group)', { nestedNames: 'bare' }],
  ['prefixed naming (backbone/conv1/kernel:0)', { nestedNames: 'prefixed' }],
  ['float64 datasets and chunked layer_names', { dtype: '<d', chunkLayerNames: true }],
];

for (const [name, opts] of variants) {
  test(`h5: Sequential around a functional base, ${name}`, async () => {
    const model = sequentialAroundBase();
    const source = await h5Source(await kerasH5Bytes(model, opts));
    assert.equal(source.format, 'h5');
    assert.equal(source.kerasVersion, '2.15.0');
    assert.deepEqual(source.modelConfig, keras2Config(model));
    if (opts.dtype === '<d') {
      // float64 values rounded to float32 are the float32 originals
      const got = source.weights.layerWeights(['predictions'])[0]!;
      assert.deepEqual(got.data, expectedWeights(model).find((e) => e.path[0] === 'predictions')!.weights[0]!.data);
    }
    assertWeights(source, model);
  });
}

test('h5: functional model with a nested functional base and a nested Sequential head', async () => {
  const model = functionalWithSequentialHead();
  const source = await h5Source(await kerasH5Bytes(model, { nestedNames: 'prefixed' }));
  assert.deepEqual(source.modelConfig, keras2Config(model));
  assertWeights(source, model);
  // a whole nested model's group: every inner weight, trainable first
  assert.equal(source.weights.layerWeights(['head']).length, 4);
  assert.deepEqual(source.weights.layerWeights(['pool']), []);
  assert.deepEqual(source.weights.layerWeights(['no_such_layer']), []);
});

test('h5: the HDF5 signature is recognised at 0 and after a user block', () => {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  const at = (offset: number) => {
    const b = new Uint8Array(offset + 16);
    b.set(sig, offset);
    return b;
  };
  assert.ok(isHdf5(at(0)));
  assert.ok(isHdf5(at(512)));
  assert.ok(!isHdf5(at(100)));
  assert.ok(!isHdf5(new Uint8Array(3)));
});

test('h5: not an HDF5 file, a truncated file, a damaged file', async () => {
  await expectFormatError(new TextEncoder().encode('{"class_name": "Sequential"}'), /not an HDF5 file/);
  const good = await kerasH5Bytes(sequentialAroundBase());
  for (const n of [8, 100, 1000, Math.floor(good.length / 2), good.length - 100]) {
    await expectFormatError(good.slice(0, n), /truncated or damaged/);
  }
  const damaged = good.slice();
  for (let i = 600; i < damaged.length; i += 97) damaged[i] ^= 0x5a;
  await expectFormatError(damaged, /damaged|missing|not valid JSON|no 'model_config'|listed/);
});

async function h5With(build: (f: H5File) => void): Promise<Uint8Array> {
  const { FS } = await h5wasm.ready;
  const f = new h5wasm.File('/h5-test.h5', 'w');
  build(f);
  f.close();
  const bytes = FS.readFile('/h5-test.h5');
  FS.unlink('/h5-test.h5');
  return bytes;
}

test('h5: a weights-only file says to save the whole model', async () => {
  // Keras 2 model.save_weights('w.h5'): the weight groups and layer_names at the root, no model_config
  const keras2 = await h5With((f) => {
    f.create_attribute('layer_names', ['dense'], [1], 'S5');
    f.create_group('dense');
  });
  await expectFormatError(keras2, /only weights; save the whole model with model\.save/);
  // Keras 3 model.save_weights('m.weights.h5'): layers/<class>/vars
  const keras3 = await h5With((f) => {
    f.create_group('layers');
    f.create_group('vars');
  });
  await expectFormatError(keras3, /only weights/);
});

test('h5: other HDF5 files and broken configs', async () => {
  await expectFormatError(await h5With((f) => f.create_group('data')), /not a Keras model/);
  await expectFormatError(await h5With((f) => f.create_attribute('model_config', '{"class_name": ', [], 'S16')), /not valid JSON/);
  await expectFormatError(
    await h5With((f) => f.create_attribute('model_config', '{"class_name": "Sequential", "config": {}}', [], 'S43')),
    /no 'model_weights' group/,
  );
  const missing = await h5With((f) => {
    f.create_attribute('model_config', '{"class_name": "Sequential", "config": {}}', [], 'S43');
    const mw = f.create_group('model_weights');
    mw.create_attribute('layer_names', ['dense'], [1], 'S5');
    mw.create_group('dense').create_attribute('weight_names', ['dense/kernel:0'], [1], 'S14');
  });
  await expectFormatError(missing, /weight 'dense\/dense\/kernel:0' is listed but missing/);
  const unlisted = await h5With((f) => {
    f.create_attribute('model_config', '{"class_name": "Sequential", "config": {}}', [], 'S43');
    f.create_group('model_weights').create_attribute('layer_names', ['dense'], [1], 'S5');
  });
  await expectFormatError(unlisted, /layer 'dense' is listed in model_weights but has no group/);
});
