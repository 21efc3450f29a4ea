/** Bad input to the differentiation engine gives typed errors that say what to do. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CnnlensError } from '../../src/errors.js';
import { differentiate } from '../../src/autodiff/differentiate.js';
import { TestGraph, attrs } from '../util/build.js';

function expectCode(fn: () => unknown, code: string, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CnnlensError, `expected CnnlensError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return;
  }
  assert.fail('expected an error');
}

function smallCnn(extra?: (g: TestGraph, x: string) => string) {
  const g = new TestGraph('float32');
  const x = g.input('x', [1, 2, 6, 6]);
  let h = g.op('Relu', [g.op('Conv', [x, g.weight([3, 2, 3, 3])], [attrs.ints('pads', [1, 1, 1, 1])])]);
  if (extra) h = extra(g, h);
  const y = g.op('Flatten', [g.op('GlobalAveragePool', [h])]);
  return { model: g.model(y), x, h };
}

test('an op without a backward rule on the path is named with its node', () => {
  const { model } = smallCnn((g, h) => g.op('Mod', [g.op('Floor', [h]), g.value([], [2])], [attrs.int('fmod', 1)]));
  expectCode(() => differentiate(model, { wrt: ['x'] }), 'NO_GRADIENT_RULE', /op '(Mod|Floor)' \(node '(Mod|Floor)_\d+'\).*no backward rule/);
});

test('an op in a custom domain on the path is refused', () => {
  const g = new TestGraph('float32');
  const x = g.input('x', [1, 4]);
  g.nodes.push({ name: 'custom', opType: 'FancyAct', domain: 'com.example', inputs: [x], outputs: ['y'], attributes: [] });
  const model = g.model('y');
  expectCode(() => differentiate(model, { wrt: ['x'] }), 'NO_GRADIENT_RULE', /com\.example\.FancyAct.*'custom'/);
});

test('ops off the differentiated path need no rule', () => {
  // the unsupported op sits before the wrt tensor, so it is never differentiated
  const g = new TestGraph('float32');
  const x = g.input('x', [1, 2, 4, 4]);
  const r = g.op('Round', [x]);
  const h = g.op('Relu', [g.op('Conv', [r, g.weight([2, 2, 1, 1])])]);
  const d = differentiate(g.model(g.op('Flatten', [g.op('GlobalAveragePool', [h])])), { wrt: [h] });
  assert.equal(d.grads[0]!.tensor, h);
});

test('a tensor name that does not exist is reported with suggestions', () => {
  const { model } = smallCnn();
  expectCode(() => differentiate(model, { wrt: ['t1x'] }), 'TENSOR_NOT_FOUND', /'t1x' is not a tensor of this model.*cnnlens info/);
  expectCode(() => differentiate(model, { wrt: ['x'], seeds: ['nope'] }), 'TENSOR_NOT_FOUND', /'nope'/);
});

test('a wrt tensor the output does not depend on is refused', () => {
  const g = new TestGraph('float32');
  const x = g.input('x', [1, 3]);
  const y = g.op('Relu', [x]);
  const z = g.op('Sigmoid', [x]);
  const model = g.model(y, [z]);
  expectCode(() => differentiate(model, { wrt: [z], seeds: [y] }), 'NOT_DIFFERENTIABLE', /does not depend on/);
});

test('differentiate does not modify the model it is given', () => {
  const { model } = smallCnn((g, h) => g.op('MaxPool', [h], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])]));
  const before = JSON.stringify(model, (_k, v) => (v instanceof Uint8Array ? Array.from(v).length : v));
  differentiate(model, { wrt: ['x'] });
  assert.equal(JSON.stringify(model, (_k, v) => (v instanceof Uint8Array ? Array.from(v).length : v)), before);
});

test('a tensor listed twice in wrt or seeds is one request', () => {
  const { model, x } = smallCnn();
  const y = model.graph.outputs[0]!.name;
  const d = differentiate(model, { wrt: [x, x], seeds: [y, y], expose: [x, x] });
  assert.equal(d.grads.length, 1);
  assert.equal(d.seeds.length, 1);
  const names = [...d.model.graph.inputs, ...d.model.graph.outputs].map((v) => v.name);
  assert.equal(new Set(names).size, names.length);
});
