/** The differentiation API: exposed tensors, unchanged forward outputs, swappable rules, closed forms. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differentiate } from '../../src/autodiff/differentiate.js';
import { TestGraph, attrs } from '../util/build.js';
import { run, session } from '../util/ort.js';

function cnn() {
  const g = new TestGraph('float32', 3);
  const x = g.input('x', [2, 2, 6, 6]);
  const h = g.op('Relu', [g.op('Conv', [x, g.weight([4, 2, 3, 3]), g.weight([4])], [attrs.ints('pads', [1, 1, 1, 1])])]);
  const p = g.op('MaxPool', [h], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])]);
  const y = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [p])]), g.weight([3, 4])], [attrs.int('transB', 1)]);
  return { g, x, h, y, model: g.model(y) };
}

test('the augmented graph keeps the forward outputs and exposes requested tensors with their values', async () => {
  const { g, x, h, y, model } = cnn();
  const d = differentiate(model, { wrt: [x], expose: [h] });
  assert.deepEqual(d.exposed, [h]);
  const fwd = await run(await session(g.model(y, [h])), g.feeds, 'float32');
  const out = await run(await session(d.model), { ...g.feeds, [`seed:${y}`]: { dims: [2, 3], data: [1, 0, 0, 0, 1, 0] } }, 'float32');
  assert.deepEqual(Array.from(out[y]!.data), Array.from(fwd[y]!.data));
  assert.deepEqual(Array.from(out[h]!.data), Array.from(fwd[h]!.data));
  assert.deepEqual(out[`grad:${x}`]!.dims, [2, 2, 6, 6]);
});

test('only the path between wrt and seed is differentiated: no weight gradients, nothing upstream of wrt', () => {
  const { x, h, model } = cnn();
  const fromInput = differentiate(model, { wrt: [x] });
  const fromFeature = differentiate(model, { wrt: [h] });
  const backward = (m: typeof model) => m.graph.nodes.filter((n) => n.name.startsWith('cnnlens/')).map((n) => n.opType);
  // the Conv's backward (ConvTranspose or flipped-kernel Conv) and the Relu mask exist only when differentiating w.r.t. x
  assert.ok(backward(fromInput.model).length > backward(fromFeature.model).length);
  for (const d of [fromInput, fromFeature]) {
    const outs = d.model.graph.outputs.map((o) => o.name);
    assert.ok(outs.every((o) => !o.startsWith('grad:w')), `weight gradient output in ${outs.join(', ')}`);
    // no backward node reads a gradient of a weight, and none produces one
    for (const n of d.model.graph.nodes) for (const o of n.outputs) assert.ok(!/^grad:w\d/.test(o));
  }
});

test('rules are swappable per op: a custom Relu rule replaces the standard one only for Relu', async () => {
  const g = new TestGraph('float64', 4);
  const x = g.input('x', [1, 6]);
  const y = g.op('Mul', [g.op('Relu', [x]), g.value([6], [1, 2, 3, 4, 5, 6])]);
  const model = g.model(y);
  const seed = { dims: [1, 6], data: [1, 1, 1, 1, 1, 1] };
  const passAll = differentiate(model, { wrt: [x], rules: { Relu: (ctx) => [ctx.dY] } });
  const out = await run(await session(passAll.model), { ...g.feeds, [`seed:${y}`]: seed }, 'float64');
  // with Relu's backward replaced by the identity, d/dx = the Mul constant everywhere (closed form)
  assert.deepEqual(Array.from(out[`grad:${x}`]!.data), [1, 2, 3, 4, 5, 6]);
  const standard = differentiate(model, { wrt: [x] });
  const std = await run(await session(standard.model), { ...g.feeds, [`seed:${y}`]: seed }, 'float64');
  const xs = g.feeds[x]!.data;
  assert.deepEqual(Array.from(std[`grad:${x}`]!.data), [1, 2, 3, 4, 5, 6].map((c, i) => (xs[i]! > 0 ? c : 0)));
});

test('guided backprop and deconvnet follow their closed forms on a Relu chain', async () => {
  // y = w2 * relu(w1 * relu(x)); guided: dx = relu(relu(s*w2) * [h>0] * w1) * [x>0]; deconvnet: drop the [.>0] factors
  const g = new TestGraph('float64', 9);
  const x = g.input('x', [1, 5]);
  const w1 = [0.5, -1, 2, -0.3, 1.5];
  const w2 = [-2, 1, -0.5, 3, 1];
  const h = g.op('Mul', [g.op('Relu', [x]), g.value([5], w1)]);
  const y = g.op('Mul', [g.op('Relu', [h]), g.value([5], w2)]);
  const model = g.model(y);
  const s = [1, -1, 2, 0.5, -0.7];
  const xs = Array.from(g.feeds[x]!.data);
  const hs = xs.map((v, i) => Math.max(0, v) * w1[i]!);
  const relu = (v: number) => Math.max(0, v);
  const guided = s.map((si, i) => relu(relu(si * w2[i]!) * (hs[i]! > 0 ? 1 : 0) * w1[i]!) * (xs[i]! > 0 ? 1 : 0));
  const deconv = s.map((si, i) => relu(relu(si * w2[i]!) * w1[i]!));
  for (const [rules, expected] of [['guided', guided], ['deconvnet', deconv]] as const) {
    const d = differentiate(model, { wrt: [x], rules });
    const out = await run(await session(d.model), { ...g.feeds, [`seed:${y}`]: { dims: [1, 5], data: s } }, 'float64');
    assert.deepEqual(Array.from(out[`grad:${x}`]!.data, (v) => v + 0), expected, rules); // +0: -0 and 0 are the same gradient
  }
});
