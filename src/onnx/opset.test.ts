import { assertSameOutputs } from '../../test/util/same-outputs.js';
/** Opset normalization: upgraded models compute the same outputs in ONNX Runtime. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CnnlensError } from '../errors.js';
import { Random } from '../util/random.js';
import { attrs } from './graph.js';
import { attr, defaultOpset, DType, type Attribute, type Dim, type Model, type Node, type Tensor } from './ir.js';
import { makeModel } from './load.js';
import { normalizeOpset } from './opset.js';
import { inferShapes } from './shapes.js';
import { floatTensor, int64Tensor, numel } from './tensor.js';

const { int, ints, float } = attrs;

class B {
  readonly nodes: Node[] = [];
  readonly inits: Tensor[] = [];
  readonly rnd = new Random(3);
  private k = 0;

  f(dims: number[], values?: number[]): string {
    const name = `w${this.k++}`;
    this.inits.push(floatTensor(name, dims, values ?? this.rnd.normals(numel(dims))));
    return name;
  }

  i64(values: number[]): string {
    const name = `c${this.k++}`;
    this.inits.push(int64Tensor(name, [values.length], values));
    return name;
  }

  ops(opType: string, inputs: string[], attributes: Attribute[] = [], nOut = 1): string[] {
    const id = this.k++;
    const outputs = Array.from({ length: nOut }, (_, i) => `${opType.toLowerCase()}${id}${nOut > 1 ? `_${i}` : ''}`);
    this.nodes.push({ name: `${opType}_${id}`, opType, domain: '', inputs, outputs, attributes });
    return outputs;
  }

  op(opType: string, inputs: string[], attributes: Attribute[] = []): string {
    return this.ops(opType, inputs, attributes)[0]!;
  }

  model(shape: Dim[], outputs: string[], opset: number): Model {
    return makeModel({
      opset,
      nodes: this.nodes,
      initializers: this.inits,
      inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape } }],
      outputs: outputs.map((name) => ({ name, type: { elemType: DType.FLOAT } })),
    });
  }
}


const byOutput = (m: Model, out: string) => m.graph.nodes.find((n) => n.outputs.includes(out))!;

test('opset 11 -> 16: Squeeze/Unsqueeze/ReduceSum/Split/Softmax/Dropout rewritten, outputs identical', async () => {
  const b = new B();
  const u = b.op('Unsqueeze', ['x'], [ints('axes', [0, 3])]);
  const sq = b.op('Squeeze', [u], [ints('axes', [0])]);
  const rs = b.op('ReduceSum', [sq], [ints('axes', [2, 4]), int('keepdims', 1)]);
  const [s0, s1] = b.ops('Split', ['x'], [int('axis', 1), ints('split', [1, 3])], 2);
  const [e0, e1] = b.ops('Split', ['x'], [int('axis', 2)], 2);
  // opset 11 Softmax(axis=1) normalizes over C*H*W of a 4-D tensor, opset 13's over C only
  const sm = b.op('Softmax', ['x'], [int('axis', 1)]);
  const lsm = b.op('LogSoftmax', ['x']);
  const smLast = b.op('Softmax', ['x'], [int('axis', 3)]);
  const hm = b.op('Hardmax', ['x'], [int('axis', 2)]);
  const dr = b.op('Dropout', [sm], [float('ratio', 0.3)]);
  const model = b.model(['N', 4, 6, 5], [rs, s0!, s1!, e0!, e1!, sm, lsm, smLast, hm, dr], 11);
  const snapshot = JSON.stringify(model.graph);

  const up = normalizeOpset(model);
  assert.equal(defaultOpset(up), 16);
  for (const out of [u, sq, rs]) {
    const n = byOutput(up, out);
    assert.equal(attr(n, 'axes'), undefined, `${n.opType} still has an axes attribute`);
    assert.equal(n.inputs.length, 2);
  }
  const split = byOutput(up, s0!);
  assert.equal(attr(split, 'split'), undefined);
  assert.equal(split.inputs.length, 2);
  assert.equal(byOutput(up, e0!).inputs.length, 1);
  assert.deepEqual(byOutput(up, sm).opType, 'Reshape');
  assert.deepEqual(up.graph.nodes.filter((n) => n.opType === 'Flatten').length, 3);
  assert.equal(byOutput(up, smLast).opType, 'Softmax');
  assert.equal(attr(byOutput(up, dr), 'ratio'), undefined);
  assert.equal(JSON.stringify(model.graph), snapshot);
  // the upgraded graph's shapes are still fully known
  const shapes = inferShapes(up);
  assert.deepEqual(shapes.get(sm)?.shape, ['N', 4, 6, 5]);
  assert.deepEqual(shapes.get(rs)?.shape, ['N', 4, 1, 6, 1]);
  await assertSameOutputs(model, up, [[1, 4, 6, 5], [3, 4, 6, 5]]);
});

test('without shapes, a last-axis Softmax still gets the always-correct 2-D rewrite', () => {
  const b = new B();
  const y = b.op('Softmax', [b.op('MyOp', ['x'], [])], [int('axis', 1)]);
  const model = b.model(['N', 5], [y], 12);
  const up = normalizeOpset(model, 13);
  assert.equal(byOutput(up, y).opType, 'Reshape');
  assert.equal(defaultOpset(up), 13);
});

test('opset 13 -> 18: Reduce* axes become inputs, Split gets num_outputs; opset 18 models are left alone', async () => {
  const b = new B();
  const m = b.op('ReduceMean', ['x'], [ints('axes', [1]), int('keepdims', 0)]);
  const mx = b.op('ReduceMax', ['x'], [ints('axes', [-1])]);
  const l2 = b.op('ReduceL2', ['x']);
  const rs = b.op('ReduceSum', ['x', b.i64([2])]);
  const [p0, p1] = b.ops('Split', ['x'], [int('axis', 2)], 2);
  const model = b.model(['N', 3, 4], [m, mx, l2, rs, p0!, p1!], 13);
  const up = normalizeOpset(model, 18);
  assert.equal(defaultOpset(up), 18);
  for (const out of [m, mx]) assert.equal(byOutput(up, out).inputs.length, 2);
  assert.equal(byOutput(up, l2).inputs.length, 1);
  assert.equal(attr(byOutput(up, p0!), 'num_outputs')?.value, 2);
  await assertSameOutputs(model, up, [[1, 3, 4], [3, 3, 4]]);

  // already at 18: the axes inputs stay, nothing changes but the object
  const again = normalizeOpset(up);
  assert.equal(defaultOpset(again), 18);
  assert.notEqual(again, up);
  assert.deepEqual(again.graph.nodes, up.graph.nodes);
  await assertSameOutputs(up, again, [[2, 3, 4]]);
});

test('BatchNormalization loses its unused training outputs at 14; used ones are refused', () => {
  const b = new B();
  const [y, mean] = b.ops('BatchNormalization', ['x', b.f([3]), b.f([3]), b.f([3]), b.f([3], [1, 1, 1])], [], 5);
  const up = normalizeOpset(b.model(['N', 3, 2, 2], [y!], 11));
  assert.deepEqual(byOutput(up, y!).outputs, [y]);
  const used = b.model(['N', 3, 2, 2], [y!, mean!], 11);
  assert.throws(() => normalizeOpset(used), (e: unknown) => e instanceof CnnlensError && e.code === 'ONNX_UNSUPPORTED' && /training-mode outputs/.test(e.message));
});

test('opsets below 11 are refused with how to re-export', () => {
  const b = new B();
  const model = b.model(['N', 3], [b.op('Relu', ['x'])], 9);
  assert.throws(() => normalizeOpset(model), (e: unknown) => {
    assert.ok(e instanceof CnnlensError);
    assert.equal(e.code, 'ONNX_UNSUPPORTED');
    assert.match(e.message, /opset 9.*opset 11 or newer.*opset_version=13.*--opset 13/);
    return true;
  });
});
