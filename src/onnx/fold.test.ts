import { assertSameOutputs } from '../../test/util/same-outputs.js';
/**
 * Folding shape computations: the folded model computes exactly what the original computes, at
 * batch sizes 1 and 3, without the Shape/Gather/Unsqueeze/Concat/Slice/Constant nodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../util/random.js';
import { attrs } from './graph.js';
import { DType, type Attribute, type Dim, type Model, type Node, type Tensor } from './ir.js';
import { makeModel } from './load.js';
import { foldShapeComputations } from './fold.js';
import { inferShapes } from './shapes.js';
import { floatTensor, int64Tensor, numel, tensorValues } from './tensor.js';

const { int, ints, string, tensor } = attrs;

class B {
  readonly nodes: Node[] = [];
  readonly inits: Tensor[] = [];
  readonly rnd = new Random(5);
  private k = 0;

  f(dims: number[], scale = 0.3): string {
    const name = `w${this.k++}`;
    this.inits.push(floatTensor(name, dims, this.rnd.normals(numel(dims), scale)));
    return name;
  }

  i64(values: number[], dims: number[] = [values.length]): string {
    const name = `c${this.k++}`;
    this.inits.push(int64Tensor(name, dims, values));
    return name;
  }

  /** A Constant node, as PyTorch and tf2onnx emit them. */
  constant(values: number[], dims: number[] = [values.length]): string {
    return this.op('Constant', [], [tensor('value', int64Tensor('', dims, values))]);
  }

  op(opType: string, inputs: string[], attributes: Attribute[] = []): string {
    const id = this.k++;
    const out = `${opType.toLowerCase()}${id}`;
    this.nodes.push({ name: `${opType}_${id}`, opType, domain: '', inputs, outputs: [out], attributes });
    return out;
  }

  model(inputShape: Dim[], outputs: string[], opset = 13): Model {
    return makeModel({
      opset,
      nodes: this.nodes,
      initializers: this.inits,
      inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: inputShape } }],
      outputs: outputs.map((name) => ({ name, type: { elemType: DType.FLOAT } })),
    });
  }
}

/**
 * Graph optimizations are off: with folded (constant) shapes ORT may fuse differently and sum in
 * another order, which is not what these tests are about.
 */
const LEVEL = 'disabled';

const ops = (m: Model) => m.graph.nodes.map((n) => n.opType);
const initValues = (m: Model, name: string) => tensorValues(m.graph.initializers.find((t) => t.name === name)!);

test("PyTorch's x.view(x.size(0), -1) folds to Reshape(x, [0, -1]) and runs at any batch size", async () => {
  const b = new B();
  const y = b.op('Relu', [b.op('Conv', ['x', b.f([4, 3, 3, 3]), b.f([4])], [ints('pads', [1, 1, 1, 1])])]);
  const n = b.op('Gather', [b.op('Shape', [y]), b.constant([0], [])], [int('axis', 0)]);
  const target = b.op('Concat', [b.op('Unsqueeze', [n, b.constant([0])]), b.constant([-1])], [int('axis', 0)]);
  const flat = b.op('Reshape', [y, target]);
  const logits = b.op('Gemm', [flat, b.f([5, 4 * 6 * 6]), b.f([5])], [int('transB', 1)]);
  const model = b.model(['N', 3, 6, 6], [logits]);
  const snapshot = JSON.stringify(model.graph.nodes);

  const folded = foldShapeComputations(model);
  assert.deepEqual(ops(folded), ['Conv', 'Relu', 'Reshape', 'Gemm']);
  const reshape = folded.graph.nodes[2]!;
  assert.equal(reshape.name, 'Reshape_' + flat.slice('reshape'.length));
  assert.deepEqual(initValues(folded, reshape.inputs[1]!), [0, -1]);
  // the folded initializer took the name of the tensor it replaced
  assert.equal(reshape.inputs[1], target);
  assert.deepEqual(inferShapes(folded).get(flat)?.shape, ['N', 144]);
  await assertSameOutputs(model, folded, [[1, 3, 6, 6], [3, 3, 6, 6]], LEVEL);
  // the input model is untouched
  assert.equal(JSON.stringify(model.graph.nodes), snapshot);
  assert.equal(model.graph.nodes.length, 11);
});

test("tf2onnx's Shape -> Slice -> Concat targets fold; Resize sizes with the batch become scales", async () => {
  const b = new B();
  const y = b.op('Conv', [b.op('Transpose', ['x'], [ints('perm', [0, 3, 1, 2])]), b.f([4, 3, 3, 3])], [ints('pads', [1, 1, 1, 1])]);
  const shape = b.op('Shape', [y]);
  // upsample by 2 with sizes computed from the input's shape
  const hw = b.op('Mul', [b.op('Slice', [shape, b.i64([2]), b.i64([4]), b.i64([0])]), b.constant([2, 2])]);
  const sizes = b.op('Concat', [b.op('Slice', [shape, b.i64([0]), b.i64([2]), b.i64([0])]), hw], [int('axis', 0)]);
  const up = b.op('Resize', [y, '', '', sizes], [string('mode', 'linear')]);
  // flatten to [N, C*H*W] as tf2onnx does for a Keras Flatten
  const flatShape = b.op('Concat', [b.op('Slice', [b.op('Shape', [up]), b.i64([0]), b.i64([1])]), b.i64([4 * 10 * 8])], [int('axis', 0)]);
  const flat = b.op('Reshape', [up, flatShape]);
  const out = b.op('MatMul', [flat, b.f([320, 3])]);
  const model = b.model(['N', 5, 4, 3], [out], 13);

  const folded = foldShapeComputations(model);
  assert.deepEqual(ops(folded), ['Transpose', 'Conv', 'Resize', 'Reshape', 'MatMul']);
  const resize = folded.graph.nodes[2]!;
  assert.equal(resize.inputs.length, 3);
  assert.deepEqual(initValues(folded, resize.inputs[2]!), [1, 1, 2, 2]);
  assert.deepEqual(initValues(folded, folded.graph.nodes[3]!.inputs[1]!), [0, 320]);
  await assertSameOutputs(model, folded, [[1, 5, 4, 3], [3, 5, 4, 3]], LEVEL);
});

test('Resize sizes that scales cannot reproduce exactly stay as they are', async () => {
  const b = new B();
  const sizes = b.op('Concat', [b.op('Slice', [b.op('Shape', ['x']), b.i64([0]), b.i64([2])]), b.i64([13, 13])], [int('axis', 0)]);
  // 11 -> 13: float32(13/11) * 11 rounds to 12.999999 in float32, which floors to 12
  const up = b.op('Resize', ['x', '', '', sizes], [string('mode', 'nearest')]);
  const model = b.model(['N', 2, 11, 11], [up]);
  const folded = foldShapeComputations(model);
  assert.deepEqual(ops(folded), ['Shape', 'Slice', 'Concat', 'Resize']);
  assert.equal(folded.graph.nodes[3]!.inputs[3], sizes);
  await assertSameOutputs(model, folded, [[1, 2, 11, 11], [3, 2, 11, 11]], LEVEL);
});

test('Expand to a shape holding the batch folds to 1 there; Constant nodes become initializers', async () => {
  const b = new B();
  const s = b.op('Shape', ['x']);
  const target = b.op('Concat', [b.op('Slice', [s, b.constant([0]), b.constant([1])]), b.constant([3]), b.op('Slice', [s, b.constant([2]), b.constant([4])])], [int('axis', 0)]);
  const e = b.op('Expand', ['x', target]);
  const scaled = b.op('Mul', [e, b.op('Constant', [], [tensor('value', floatTensor('', [], [2]))])]);
  const model = b.model(['N', 1, 4, 5], [scaled]);
  const folded = foldShapeComputations(model);
  assert.deepEqual(ops(folded), ['Expand', 'Mul']);
  assert.deepEqual(initValues(folded, folded.graph.nodes[0]!.inputs[1]!), [1, 3, 4, 5]);
  const two = folded.graph.nodes[1]!.inputs[1]!;
  assert.deepEqual(initValues(folded, two), [2]);
  await assertSameOutputs(model, folded, [[1, 1, 4, 5], [3, 1, 4, 5]], LEVEL);
});

test('what cannot be fully folded is left alone; other folds still happen', async () => {
  const b = new B();
  const s = b.op('Shape', ['x']);
  const at = (i: number) => b.op('Unsqueeze', [b.op('Gather', [s, b.i64([i], [])]), b.i64([0])]);
  // [N*C, H*W] with symbolic N, H, W: two unknown entries, so no single -1 can stand for them
  const nc = b.op('Mul', [at(0), at(1)]);
  const hw = b.op('Mul', [at(2), at(3)]);
  const r = b.op('Reshape', ['x', b.op('Concat', [nc, hw], [int('axis', 0)])]);
  // a foldable one beside it: [N, C, H*W] becomes [0, 3, -1]
  const r2 = b.op('Reshape', ['x', b.op('Concat', [at(0), b.i64([3]), hw], [int('axis', 0)])]);
  const model = b.model(['N', 3, 'H', 'W'], [r, r2]);
  const folded = foldShapeComputations(model);
  const r2node = folded.graph.nodes.find((n) => n.outputs[0] === r2)!;
  assert.deepEqual(initValues(folded, r2node.inputs[1]!), [0, 3, -1]);
  const rnode = folded.graph.nodes.find((n) => n.outputs[0] === r)!;
  assert.equal(rnode.inputs[1], model.graph.nodes.find((n) => n.outputs[0] === r)!.inputs[1]);
  assert.ok(ops(folded).includes('Shape') && ops(folded).includes('Mul'));
  await assertSameOutputs(model, folded, [[1, 3, 4, 2], [3, 3, 2, 5]], LEVEL);
  // with the spatial size given, everything folds
  const sized = foldShapeComputations(model, { x: ['N', 3, 4, 2] });
  assert.deepEqual(ops(sized), ['Reshape', 'Reshape']);
  assert.deepEqual(initValues(sized, sized.graph.nodes[0]!.inputs[1]!), [-1, 8]);
  await assertSameOutputs(model, sized, [[1, 3, 4, 2], [3, 3, 4, 2]], LEVEL);
});

test('dead code elimination keeps graph outputs, pre-existing dead nodes and unrelated initializers', () => {
  const b = new B();
  const unused = b.f([2]);
  const s = b.op('Shape', ['x']);
  const target = b.op('Concat', [b.op('Unsqueeze', [b.op('Gather', [s, b.i64([0], [])]), b.i64([0])]), b.i64([-1])], [int('axis', 0)]);
  const r = b.op('Reshape', ['x', target]);
  const dead = b.op('Relu', ['x']);
  const model = b.model(['N', 2, 2], [r, s]);
  const folded = foldShapeComputations(model);
  // Shape is a graph output and stays; Gather/Unsqueeze/Concat go with their constant inputs
  assert.deepEqual(ops(folded), ['Shape', 'Reshape', 'Relu']);
  assert.ok(folded.graph.nodes.some((n) => n.outputs[0] === dead));
  const names = folded.graph.initializers.map((t) => t.name);
  assert.ok(names.includes(unused));
  assert.equal(names.length, 2, `initializers: ${names.join(', ')}`);
});
