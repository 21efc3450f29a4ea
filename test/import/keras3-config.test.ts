/**
 * Keras 3 → Keras 2 config dialect. The Keras 3 input is written in the form Keras 3's
 * `serialize_keras_object` and `Functional.get_config` produce (keras/src/saving/serialization_lib.py,
 * keras/src/models/functional.py, keras/src/models/sequential.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keras3ToKeras2Config } from '../../src/import/keras3-config.js';
import { functionalWithSequentialHead, k3Model, keras2Config, sequentialAroundBase, tfjsCpu } from '../util/keras-fixtures.js';

await tfjsCpu();

const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const tensor = (name: string, node = 0, index = 0) => ({
  class_name: '__keras_tensor__',
  config: { shape: [null, 8, 8, 4], dtype: 'float32', keras_history: [name, node, index] },
});

const keras3 = {
  module: 'keras.src.models.functional',
  class_name: 'Functional',
  config: {
    name: 'functional',
    trainable: true,
    layers: [
      {
        module: 'keras.layers',
        class_name: 'InputLayer',
        config: { batch_shape: [null, 8, 8, 3], dtype: 'float32', sparse: false, name: 'input_layer' },
        registered_name: null,
        name: 'input_layer',
        inbound_nodes: [],
      },
      {
        module: 'keras.layers',
        class_name: 'Conv2D',
        config: {
          name: 'conv',
          trainable: true,
          dtype: policy,
          filters: 4,
          kernel_size: [3, 3],
          padding: 'same',
          activation: 'relu',
          kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null },
        },
        registered_name: null,
        build_config: { input_shape: [null, 8, 8, 3] },
        name: 'conv',
        inbound_nodes: [{ args: [tensor('input_layer')], kwargs: {} }],
      },
      {
        module: 'keras.layers',
        class_name: 'LeakyReLU',
        config: { name: 'leaky', trainable: true, dtype: policy, negative_slope: 0.2 },
        registered_name: null,
        build_config: { input_shape: [null, 8, 8, 4] },
        name: 'leaky',
        inbound_nodes: [{ args: [tensor('conv')], kwargs: {} }],
      },
      {
        module: 'keras.layers',
        class_name: 'Add',
        config: { name: 'add', trainable: true, dtype: policy },
        registered_name: null,
        build_config: { input_shape: [[null, 8, 8, 4], [null, 8, 8, 4]] },
        name: 'add',
        inbound_nodes: [{ args: [[tensor('conv'), tensor('leaky')]], kwargs: {} }],
      },
      {
        module: 'keras.layers',
        class_name: 'Dropout',
        config: { name: 'drop', trainable: true, dtype: policy, rate: 0.5 },
        registered_name: null,
        name: 'drop',
        inbound_nodes: [{ args: [tensor('add')], kwargs: { training: false } }],
      },
      {
        module: 'keras',
        class_name: 'Sequential',
        config: {
          name: 'head',
          trainable: true,
          dtype: policy,
          layers: [
            {
              module: 'keras.layers',
              class_name: 'GlobalAveragePooling2D',
              config: { name: 'gap', trainable: true, dtype: policy, data_format: 'channels_last', keepdims: false },
              registered_name: null,
            },
            {
              module: 'keras.layers',
              class_name: 'Dense',
              config: { name: 'fc', trainable: true, dtype: policy, units: 2, activation: 'softmax', use_bias: true },
              registered_name: null,
            },
          ],
          build_input_shape: [null, 8, 8, 4],
        },
        registered_name: null,
        build_config: { input_shape: [null, 8, 8, 4] },
        name: 'head',
        inbound_nodes: [{ args: [tensor('drop')], kwargs: {} }],
      },
    ],
    input_layers: ['input_layer', 0, 0],
    output_layers: ['head', 0, 0],
  },
  registered_name: 'Functional',
  build_config: { input_shape: null },
  compile_config: { optimizer: 'adam', loss: 'categorical_crossentropy' },
};

const keras2 = {
  class_name: 'Model',
  config: {
    name: 'functional',
    trainable: true,
    layers: [
      {
        class_name: 'InputLayer',
        config: { batch_input_shape: [null, 8, 8, 3], dtype: 'float32', sparse: false, name: 'input_layer' },
        name: 'input_layer',
        inbound_nodes: [],
      },
      {
        class_name: 'Conv2D',
        config: {
          name: 'conv',
          trainable: true,
          dtype: 'float32',
          filters: 4,
          kernel_size: [3, 3],
          padding: 'same',
          activation: 'relu',
          kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
        },
        name: 'conv',
        inbound_nodes: [[['input_layer', 0, 0, {}]]],
      },
      {
        class_name: 'LeakyReLU',
        config: { name: 'leaky', trainable: true, dtype: 'float32', negative_slope: 0.2 },
        name: 'leaky',
        inbound_nodes: [[['conv', 0, 0, {}]]],
      },
      {
        class_name: 'Add',
        config: { name: 'add', trainable: true, dtype: 'float32' },
        name: 'add',
        inbound_nodes: [[['conv', 0, 0, {}], ['leaky', 0, 0, {}]]],
      },
      {
        class_name: 'Dropout',
        config: { name: 'drop', trainable: true, dtype: 'float32', rate: 0.5 },
        name: 'drop',
        inbound_nodes: [[['add', 0, 0, { training: false }]]],
      },
      {
        class_name: 'Sequential',
        config: {
          name: 'head',
          trainable: true,
          dtype: 'float32',
          layers: [
            {
              class_name: 'InputLayer',
              config: { batch_input_shape: [null, 8, 8, 4], dtype: 'float32', sparse: false, name: 'gap_input' },
            },
            {
              class_name: 'GlobalAveragePooling2D',
              config: { name: 'gap', trainable: true, dtype: 'float32', data_format: 'channels_last', keepdims: false },
            },
            {
              class_name: 'Dense',
              config: { name: 'fc', trainable: true, dtype: 'float32', units: 2, activation: 'softmax', use_bias: true },
            },
          ],
        },
        name: 'head',
        // Keras 2's Sequential is a Functional: its first call is node 1
        inbound_nodes: [[['drop', 0, 0, {}]]],
      },
    ],
    input_layers: [['input_layer', 0, 0]],
    output_layers: [['head', 1, 0]],
  },
};

test('keras3 config: tensors, merge inputs, dtype policies, batch_shape, nested Sequential, endpoints', () => {
  assert.deepEqual(keras3ToKeras2Config(keras3), keras2);
});

test('keras3 config: the input is not modified', () => {
  const before = JSON.stringify(keras3);
  keras3ToKeras2Config(keras3);
  assert.equal(JSON.stringify(keras3), before);
});

test('keras3 config: Keras 2 configs pass through unchanged', () => {
  for (const model of [sequentialAroundBase(), functionalWithSequentialHead()]) {
    const config = keras2Config(model);
    assert.deepEqual(keras3ToKeras2Config(config), config);
    assert.deepEqual(keras3ToKeras2Config(keras3ToKeras2Config(config)), config);
  }
});

/** every field of `expected` is in `actual` with the same value (Keras 3 adds `dtype`, `trainable`). */
function assertContains(actual: unknown, expected: unknown, where = 'config'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where} is a list`);
    assert.equal(actual.length, expected.length, `${where} length`);
    expected.forEach((e, i) => assertContains(actual[i], e, `${where}[${i}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    assert.ok(typeof actual === 'object' && actual !== null, `${where} is an object`);
    for (const [k, v] of Object.entries(expected)) assertContains((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
  } else {
    assert.equal(actual, expected, where);
  }
}

test('keras3 config: TF.js models written in the Keras 3 dialect come back as their Keras 2 config', () => {
  for (const model of [sequentialAroundBase(), functionalWithSequentialHead()]) {
    const config = keras2Config(model);
    const back = keras3ToKeras2Config(k3Model(config));
    assertContains(back, config);
  }
});
