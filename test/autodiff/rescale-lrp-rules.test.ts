/**
 * The DeepLIFT-rescale and LRP rule sets at the graph level (float64), complementing the method tests
 * in test/methods/rules-methods.test.ts:
 * - on a batch [x; x0] the rescale rules give both halves the same multipliers (the secant is
 *   symmetric in the pair), so the second half's seed cannot leak into the first half's result;
 *   checked against the secant slopes computed here for Sigmoid, Relu and a max pool;
 * - parameterized LRP-epsilon rule-set names are parsed and checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differentiate, gradName, seedName } from '../../src/autodiff/differentiate.js';
import { ruleSet } from '../../src/autodiff/rulesets.js';
import { CnnlensError } from '../../src/errors.js';
import { TestGraph, attrs } from '../util/build.js';
import { relErr, run, session } from '../util/ort.js';

test('rescale: y = w . maxpool(sigmoid(relu(x)) ...) gives both members of a pair the secant multipliers', async () => {
  // x [2, 1, 2, 4] (example 0 = input, example 1 = reference) -> Relu -> Sigmoid -> MaxPool 2x2/2 -> Flatten -> MatMul w [2, 1]
  const g = new TestGraph('float64', 5);
  const x = g.input('x', [2, 1, 2, 4]);
  const w = [0.7, -1.3];
  const pooled = g.op('MaxPool', [g.op('Sigmoid', [g.op('Relu', [x])])], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])]);
  const y = g.op('MatMul', [g.op('Flatten', [pooled]), g.value([2, 1], w)]);
  const d = differentiate(g.model(y), { wrt: ['x'], seeds: [y], rules: 'rescale' });
  const seed = [1, 1];
  const out = await run(await session(d.model), { x: g.feeds['x']!, [seedName(y)]: { dims: [2, 1], data: seed } }, 'float64');
  const m = out[gradName('x')]!.data;
  // oracle: f(v) = sigmoid(relu(v)); per window the output difference max(y, y0) - y0 goes to the
  // input's argmax and y - max(y, y0) to the reference's argmax; multiplier = that / (x - x0)
  const xs = Array.from(g.feeds['x']!.data);
  const f = (v: number) => 1 / (1 + Math.exp(-Math.max(0, v)));
  const want = new Array<number>(16).fill(0);
  for (let o = 0; o < 2; o++) {
    const cells = [0, 1, 4, 5].map((k) => 2 * o + k);
    const arg = (off: number) => cells.reduce((b, p) => (xs[off + p]! > xs[off + b]! ? p : b), cells[0]!);
    const p = arg(0);
    const p0 = arg(8);
    const yv = f(xs[p]!);
    const y0 = f(xs[8 + p0]!);
    const top = Math.max(yv, y0);
    const u = new Array<number>(8).fill(0);
    u[p] = u[p]! + w[o]! * (top - y0);
    u[p0] = u[p0]! + w[o]! * (yv - top);
    for (const c of cells) {
      const dx = xs[c]! - xs[8 + c]!;
      want[c] = u[c]! / dx;
      want[8 + c] = u[c]! / dx;
    }
  }
  assert.ok(relErr(m, want) <= 1e-12, `multipliers ${Array.from(m)} vs ${want}`);
  // summation-to-delta for the pair
  const fx = out[y]!.data;
  let s = 0;
  for (let i = 0; i < 8; i++) s += (xs[i]! - xs[8 + i]!) * m[i]!;
  assert.ok(Math.abs(s - (fx[0]! - fx[1]!)) <= 1e-12);
});

test('lrp-epsilon:E rule sets are parsed; a bad epsilon is refused', () => {
  assert.ok(ruleSet('lrp-epsilon:0.25', 17)['Conv']);
  assert.ok(!ruleSet('lrp-epsilon', 17)['Sigmoid'], 'LRP has no Sigmoid rule');
  assert.ok(!ruleSet('rescale', 17)['Softmax'], 'DeepLIFT-rescale has no Softmax rule');
  assert.throws(() => ruleSet('lrp-epsilon:-1', 17), (e: unknown) => e instanceof CnnlensError && e.code === 'USAGE');
});
