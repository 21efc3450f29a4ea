import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferShapes } from '../onnx/shapes.js';
import { convFeatureMaps, defaultCamLayer } from './catalog.js';
import { TestGraph, attrs } from '../../test/util/build.js';

test('the default CAM layer is the last feature map larger than 1x1, not a 1x1 logits conv', () => {
  // conv -> relu -> maxpool -> conv -> relu -> GAP -> 1x1 conv ("logits conv") -> flatten
  const g = new TestGraph('float32');
  const x = g.input('x', [1, 3, 16, 16]);
  const r1 = g.op('Relu', [g.op('Conv', [x, g.weight([4, 3, 3, 3])], [attrs.ints('pads', [1, 1, 1, 1])])]);
  const p = g.op('MaxPool', [r1], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])]);
  const r2 = g.op('Relu', [g.op('Conv', [p, g.weight([8, 4, 3, 3])])]);
  const logitsConv = g.op('Conv', [g.op('GlobalAveragePool', [r2]), g.weight([5, 8, 1, 1])]);
  const model = g.model(g.op('Flatten', [logitsConv]));
  const shapes = inferShapes(model);
  const maps = convFeatureMaps(model, (n) => shapes.get(n));
  assert.ok(maps.some((m) => m.name === r1) && maps.some((m) => m.name === p));
  assert.ok(!maps.some((m) => m.name === x), 'the input is not a feature map');
  assert.ok(!maps.some((m) => m.name === logitsConv), '1x1 maps are not listed');
  assert.equal(defaultCamLayer(maps)?.name, r2);
  assert.deepEqual(defaultCamLayer(maps)?.shape, [1, 8, 6, 6]);
});

test('a model without convolutions has no feature maps', () => {
  const g = new TestGraph('float32');
  const x = g.input('x', [1, 3, 4, 4]);
  const model = g.model(g.op('Flatten', [g.op('Relu', [x])]));
  const shapes = inferShapes(model);
  assert.deepEqual(convFeatureMaps(model, (n) => shapes.get(n)), []);
  assert.equal(defaultCamLayer([]), undefined);
});
