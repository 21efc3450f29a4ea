/** Symbolic values of shape computations, as shape inference and folding see them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attrs } from './graph.js';
import { DType, type Attribute, type Node, type Tensor } from './ir.js';
import { makeModel } from './load.js';
import { analyzeShapes } from './shapes.js';
import type { SymElem } from './symbolic.js';
import { floatTensor, int64Tensor } from './tensor.js';

const { int, ints, tensor } = attrs;

function values(build: (op: (type: string, inputs: string[], a?: Attribute[]) => string, c: (v: number[], dims?: number[]) => string) => Record<string, SymElem[] | undefined>): void {
  const nodes: Node[] = [];
  const inits: Tensor[] = [];
  let k = 0;
  const op = (opType: string, inputs: string[], attributes: Attribute[] = []) => {
    const out = `${opType}${k++}`;
    nodes.push({ name: out, opType, domain: '', inputs, outputs: [out], attributes });
    return out;
  };
  const c = (v: number[], dims: number[] = [v.length]) => {
    const name = `c${k++}`;
    inits.push(int64Tensor(name, dims, v));
    return name;
  };
  const expected = build(op, c);
  const model = makeModel({
    opset: 13,
    nodes,
    initializers: inits,
    inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: [null, 3, 4, 5] } }],
    outputs: nodes.map((n) => ({ name: n.outputs[0]! })),
  });
  const got = analyzeShapes(model).values;
  for (const [name, v] of Object.entries(expected)) assert.deepEqual(got.get(name)?.values, v, name);
}

test('Shape values carry the batch symbol through Gather, Unsqueeze, Concat, Slice, Squeeze, Cast', () => {
  values((op, c) => {
    const s = op('Shape', ['x']);
    const n = op('Gather', [s, c([0], [])], [int('axis', 0)]);
    const target = op('Concat', [op('Unsqueeze', [n, c([0])]), c([-1])], [int('axis', 0)]);
    const rev = op('Slice', [s, c([-1]), c([-100]), c([0]), c([-2])]);
    const sq = op('Squeeze', [op('Slice', [s, c([1]), c([2])]), c([0])]);
    const asFloat = op('Cast', [s], [int('to', DType.FLOAT)]);
    const hw = op('Gather', [s, c([2, 3])]);
    return { [s]: ['N', 3, 4, 5], [n]: ['N'], [target]: ['N', -1], [rev]: [5, 3], [sq]: [3], [asFloat]: ['N', 3, 4, 5], [hw]: [4, 5] };
  });
});

test('arithmetic: numbers compute, symbols survive only identities', () => {
  values((op, c) => {
    const s = op('Shape', ['x']);
    const times1 = op('Mul', [s, c([1])]);
    const times2 = op('Mul', [s, c([2])]);
    const plus = op('Add', [s, c([0, 1, 0, 1])]);
    const div = op('Div', [s, c([1, 2, 3, 2])]);
    const self = op('Sub', [s, s]);
    const prod = op('ReduceProd', [op('Slice', [s, c([1]), c([4])])], [int('keepdims', 0)]);
    const prodAll = op('ReduceProd', [s]);
    const eq = op('Equal', [s, c([1, 3, 3, 5])]);
    const where = op('Where', [eq, c([7]), s]);
    return { [times1]: ['N', 3, 4, 5], [times2]: [null, 6, 8, 10], [plus]: ['N', 4, 4, 6], [div]: ['N', 1, 1, 2], [self]: [0, 0, 0, 0], [prod]: [60], [prodAll]: [null], [eq]: [null, 1, 0, 1], [where]: [null, 7, 4, 7] };
  });
});

test('Constant forms, ConstantOfShape, Range and float scales', () => {
  values((op, c) => {
    const k = op('Constant', [], [ints('value_ints', [2, 3])]);
    const kf = op('Constant', [], [tensor('value', floatTensor('', [4], [1, 1, 2, 2.5]))]);
    const fill = op('ConstantOfShape', [c([3])], [tensor('value', int64Tensor('', [1], [7]))]);
    const r = op('Range', [c([1], []), c([8], []), c([3], [])]);
    const big = op('ConstantOfShape', [c([5000])]);
    return { [k]: [2, 3], [kf]: [1, 1, 2, 2.5], [fill]: [7, 7, 7], [r]: [1, 4, 7], [big]: undefined };
  });
});
