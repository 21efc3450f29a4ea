/**
 * Shape inference checked against ONNX Runtime: every node output of each small model is made a
 * graph output, the model runs at batch sizes 1 and 3, and every inferred shape (with the batch
 * symbol N substituted) must equal the shape ORT produced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { CnnlensError } from '../errors.js';
import { Random } from '../util/random.js';
import { attrs } from './graph.js';
import { DType, type Attribute, type Dim, type Model, type Node, type Tensor } from './ir.js';
import { makeModel, saveModel } from './load.js';
import { inferShapes } from './shapes.js';
import { floatTensor, int64Tensor, numel } from './tensor.js';

const ORT_TYPE: Record<string, number> = { float32: DType.FLOAT, int64: DType.INT64, bool: DType.BOOL, int32: DType.INT32, float64: DType.DOUBLE };

interface InputSpec {
  name: string;
  shape: Dim[];
  type?: number;
  /** element generator (default: standard normal floats) */
  gen?: (rnd: Random, k: number) => number;
}

/** A small graph builder: random float weights, int64 constants, nodes named after their op. */
class B {
  readonly nodes: Node[] = [];
  readonly inits: Tensor[] = [];
  readonly rnd = new Random(11);
  private k = 0;

  f(dims: number[], values?: number[]): string {
    const name = `f${this.k++}`;
    this.inits.push(floatTensor(name, dims, values ?? this.rnd.normals(numel(dims))));
    return name;
  }

  i64(values: number[], dims: number[] = [values.length]): string {
    const name = `c${this.k++}`;
    this.inits.push(int64Tensor(name, dims, values));
    return name;
  }

  ops(opType: string, inputs: string[], attributes: Attribute[] = [], nOut = 1): string[] {
    const id = this.k++;
    const outputs = Array.from({ length: nOut }, (_, i) => `${opType}${id}${nOut > 1 ? `_${i}` : ''}`);
    this.nodes.push({ name: `${opType}_node${id}`, opType, domain: '', inputs, outputs, attributes });
    return outputs;
  }

  op(opType: string, inputs: string[], attributes: Attribute[] = []): string {
    return this.ops(opType, inputs, attributes)[0]!;
  }
}

/** Builds the graph; the builder may return shapes the inference must find exactly (symbols included). */
type Build = (b: B) => Record<string, Dim[]> | void;

function buildModel(inputs: InputSpec[], build: Build, opset: number): { model: Model; expect: Record<string, Dim[]> } {
  const b = new B();
  const expect = build(b) ?? {};
  const outputs = b.nodes.flatMap((n) => n.outputs.filter((o) => o)).map((name) => ({ name }));
  const model = makeModel({
    opset,
    nodes: b.nodes,
    initializers: b.inits,
    inputs: inputs.map((i) => ({ name: i.name, type: { elemType: i.type ?? DType.FLOAT, shape: i.shape } })),
    outputs,
  });
  return { model, expect };
}

function feedTensor(spec: InputSpec, batch: number, rnd: Random): ort.Tensor {
  const dims = spec.shape.map((d) => (d === 'N' ? batch : (d as number)));
  const n = numel(dims);
  const gen = spec.gen ?? ((r: Random) => r.normal());
  const vals = Array.from({ length: n }, (_, k) => gen(rnd, k));
  switch (spec.type ?? DType.FLOAT) {
    case DType.INT64: return new ort.Tensor('int64', BigInt64Array.from(vals.map((v) => BigInt(v))), dims);
    case DType.BOOL: return new ort.Tensor('bool', Uint8Array.from(vals.map((v) => (v > 0 ? 1 : 0))), dims);
    default: return new ort.Tensor('float32', Float32Array.from(vals), dims);
  }
}

interface CheckOptions {
  opset?: number;
  /** tensors whose shapes may stay (partly) unknown */
  unknown?: string[];
}

/** Infers shapes, runs ORT at batch 1 and 3, and compares every node output. */
async function check(inputs: InputSpec[], build: Build, opts: CheckOptions = {}): Promise<Map<string, { elemType: number; shape: Dim[] }>> {
  const { model, expect } = buildModel(inputs, build, opts.opset ?? 17);
  const shapes = inferShapes(model);
  const unknown = new Set(opts.unknown ?? []);
  for (const [name, shape] of Object.entries(expect)) assert.deepEqual(shapes.get(name)?.shape, shape, `inferred shape of ${name}`);
  const session = await ort.InferenceSession.create(saveModel(model), { intraOpNumThreads: 1 });
  try {
    for (const batch of [1, 3]) {
      const rnd = new Random(batch);
      const feeds = Object.fromEntries(inputs.map((i) => [i.name, feedTensor(i, batch, rnd)]));
      const out = await session.run(feeds);
      for (const o of model.graph.outputs) {
        const actual = out[o.name]!;
        const info = shapes.get(o.name);
        if (unknown.has(o.name)) continue;
        assert.ok(info, `no shape inferred for ${o.name}`);
        // an unknown dim (null) is accepted only where the test asserted it
        const expected = info.shape.map((d, k) => (d === 'N' ? batch : d === null && o.name in expect ? actual.dims[k] : d));
        assert.deepEqual(expected, [...actual.dims], `shape of ${o.name} at batch ${batch}: inferred ${JSON.stringify(info.shape)}`);
        assert.equal(info.elemType, ORT_TYPE[actual.type], `element type of ${o.name}`);
      }
    }
  } finally {
    await session.release();
  }
  return shapes;
}

const X = (shape: Dim[], name = 'x'): InputSpec => ({ name, shape });
const { int, ints, float, floats, string, tensor } = attrs;

test('Conv: groups, strides, dilations, explicit and automatic padding, bias, kernel from weight', async () => {
  await check([X(['N', 3, 11, 9])], (b) => {
    const x = 'x';
    const same = b.op('Conv', [x, b.f([4, 3, 3, 3]), b.f([4])], [ints('pads', [1, 1, 1, 1])]);
    b.op('Conv', [x, b.f([6, 1, 3, 2])], [int('group', 3), ints('strides', [2, 1]), ints('dilations', [2, 1]), ints('pads', [1, 0, 2, 1])]);
    b.op('Conv', [x, b.f([5, 3, 4, 4])], [string('auto_pad', 'SAME_UPPER'), ints('strides', [2, 3])]);
    b.op('Conv', [x, b.f([5, 3, 4, 3])], [string('auto_pad', 'SAME_LOWER'), ints('strides', [3, 2])]);
    b.op('Conv', [x, b.f([2, 3, 5, 2])], [string('auto_pad', 'VALID'), ints('strides', [2, 2]), ints('kernel_shape', [5, 2])]);
    b.op('Conv', [x, b.f([3, 1, 3, 3])], [int('group', 3), ints('dilations', [3, 2]), ints('pads', [0, 2, 3, 0])]);
    return { [same]: ['N', 4, 11, 9] };
  });
});

test('ConvTranspose: strides, pads, output_padding, groups, output_shape, auto_pad', async () => {
  await check([X(['N', 4, 5, 6])], (b) => {
    b.op('ConvTranspose', [b.op('Relu', ['x']), b.f([4, 3, 3, 3]), b.f([3])], [ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), ints('output_padding', [1, 0])]);
    b.op('ConvTranspose', ['x', b.f([4, 2, 2, 3])], [int('group', 2), ints('strides', [3, 1]), ints('dilations', [1, 2])]);
    b.op('ConvTranspose', ['x', b.f([4, 2, 3, 3])], [ints('strides', [2, 2]), ints('output_shape', [10, 12])]);
    b.op('ConvTranspose', ['x', b.f([4, 2, 3, 3])], [ints('strides', [2, 3]), string('auto_pad', 'SAME_UPPER')]);
    b.op('ConvTranspose', ['x', b.f([4, 2, 3, 3])], [string('auto_pad', 'VALID')]);
  });
});

test('pooling: MaxPool (ceil_mode, dilations, pads, Indices, auto_pad), AveragePool, global pools, MaxUnpool', async () => {
  await check([X(['N', 3, 9, 7]), X(['N', 3, 8, 6], 'z')], (b) => {
    b.ops('MaxPool', ['x'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2])], 2);
    b.ops('MaxPool', ['x'], [ints('kernel_shape', [2, 3]), ints('strides', [3, 2]), ints('pads', [1, 1, 1, 0]), int('ceil_mode', 1)], 2);
    const [, ceilIdx] = b.ops('MaxPool', ['x'], [ints('kernel_shape', [2, 2]), ints('strides', [3, 3]), ints('pads', [1, 1, 1, 1]), int('ceil_mode', 1)], 2);
    b.op('MaxPool', ['x'], [ints('kernel_shape', [2, 2]), ints('dilations', [2, 2]), ints('strides', [1, 2])]);
    b.op('MaxPool', ['x'], [ints('kernel_shape', [3, 2]), ints('strides', [2, 2]), string('auto_pad', 'SAME_UPPER')]);
    b.op('MaxPool', ['x'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), string('auto_pad', 'VALID')]);
    b.op('AveragePool', ['x'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), int('ceil_mode', 1), int('count_include_pad', 1)]);
    b.op('AveragePool', ['x'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
    const gap = b.op('GlobalAveragePool', ['x']);
    b.op('GlobalMaxPool', ['x']);
    const [y, idx] = b.ops('MaxPool', ['z'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])], 2);
    b.op('MaxUnpool', [y!, idx!], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
    b.op('MaxUnpool', [y!, idx!, b.op('Shape', ['z'])], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
    // width: (7 + 2 - 2) / 3 rounds up to 3, + 1 = 4 windows, but the 4th would start in the end padding
    return { [ceilIdx!]: ['N', 3, 4, 3], [gap]: ['N', 3, 1, 1] };
  });
});

test('unary activations and normalizations keep the shape', async () => {
  await check([X(['N', 4, 5])], (b) => {
    for (const op of ['Relu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign', 'Erf', 'Exp', 'Neg', 'Abs', 'Reciprocal', 'Elu', 'Selu', 'Celu', 'Mish', 'Identity', 'Floor', 'Sign']) b.op(op, ['x']);
    b.op('LeakyRelu', ['x'], [float('alpha', 0.1)]);
    b.op('Log', [b.op('Abs', ['x'])]);
    b.op('Sqrt', [b.op('Abs', ['x'])]);
    b.op('PRelu', ['x', b.f([4, 1])]);
    b.op('PRelu', ['x', b.f([1])]);
    b.op('Clip', ['x', b.f([], [-0.5]), b.f([], [0.5])]);
    b.op('Clip', ['x', '', b.f([], [6])]);
    b.op('Softmax', ['x'], [int('axis', 1)]);
    b.op('LogSoftmax', ['x']);
    b.op('Hardmax', ['x'], [int('axis', -2)]);
    b.ops('Dropout', ['x'], [], 2);
    b.op('BatchNormalization', ['x', b.f([4]), b.f([4]), b.f([4]), b.f([4], [1, 2, 3, 4])]);
    b.op('InstanceNormalization', ['x', b.f([4]), b.f([4])]);
    b.ops('LayerNormalization', ['x', b.f([5]), b.f([5])], [int('axis', -1)], 3);
    b.ops('LayerNormalization', ['x', b.f([4, 5])], [int('axis', 1)], 3);
  }, { opset: 18 });
  await check([X(['N', 4, 5])], (b) => {
    b.op('Gelu', ['x']);
    b.op('Gelu', ['x'], [string('approximate', 'tanh')]);
  }, { opset: 20 });
});

test('broadcasting binary, variadic, comparison and logical ops, Where, Cast', async () => {
  await check([X(['N', 1, 5], 'a'), X([4, 1], 'b'), X(['N', 4, 5], 'c')], (b) => {
    const add = b.op('Add', ['a', 'b']);
    for (const op of ['Sub', 'Mul', 'Div']) b.op(op, ['a', 'b']);
    b.op('Pow', [b.op('Abs', ['a']), 'b']);
    b.op('Add', ['c', 'a']);
    b.op('Mul', ['c', b.f([], [2])]);
    for (const op of ['Sum', 'Max', 'Min', 'Mean']) b.op(op, ['a', 'b', 'c']);
    const g = b.op('Greater', ['a', 'b']);
    const l = b.op('Less', ['c', 'b']);
    b.op('Equal', ['a', 'c']);
    b.op('GreaterOrEqual', ['a', 'b']);
    b.op('LessOrEqual', ['c', 'a']);
    b.op('And', [g, l]);
    b.op('Or', [g, l]);
    b.op('Xor', [g, l]);
    b.op('Not', [g]);
    b.op('Where', [g, 'c', b.f([5])]);
    b.op('Cast', ['a'], [int('to', DType.INT64)]);
    b.op('Cast', ['c'], [int('to', DType.BOOL)]);
    b.op('CastLike', ['a', b.i64([1])]);
    return { [add]: ['N', 4, 5], [g]: ['N', 4, 5], [l]: ['N', 4, 5] };
  }, { opset: 16 });
});

test('MatMul (1-D and batched), Gemm (transA/transB, bias), Flatten', async () => {
  await check([X(['N', 3, 4, 5]), X([5], 'v'), X(['N', 6], 'm')], (b) => {
    const mm = b.op('MatMul', ['x', b.f([5, 2])]);
    const mv = b.op('MatMul', ['x', 'v']);
    b.op('MatMul', ['v', b.f([5, 7])]);
    b.op('MatMul', ['v', 'v']);
    b.op('MatMul', ['x', b.f([3, 5, 2])]);
    b.op('MatMul', [b.f([1, 3, 6, 4]), 'x']);
    b.op('MatMul', [b.f([1, 7, 4]), 'x']);
    b.op('Gemm', ['m', b.f([6, 3]), b.f([3])]);
    b.op('Gemm', ['m', b.f([3, 6]), b.f([1, 3])], [int('transB', 1), float('alpha', 0.5)]);
    b.op('Gemm', [b.f([6, 2]), b.f([6, 3])], [int('transA', 1)]);
    const [f0, f1, f2, f3, f4] = [0, 1, 2, -1, 4].map((axis) => b.op('Flatten', ['x'], [int('axis', axis)]));
    return { [mm]: ['N', 3, 4, 2], [mv]: ['N', 3, 4], [f0!]: [1, null], [f1!]: ['N', 60], [f2!]: [null, 20], [f3!]: [null, 5], [f4!]: [null, 1] };
  });
});

test('Reshape (0, -1, allowzero, symbolic targets from Shape), Transpose, Squeeze/Unsqueeze (attr and input forms)', async () => {
  const input = [X(['N', 2, 3, 4])];
  await check(input, (b) => {
    const r0 = b.op('Reshape', ['x', b.i64([0, -1])]);
    const r1 = b.op('Reshape', ['x', b.i64([-1, 12])]);
    const r2 = b.op('Reshape', ['x', b.i64([0, 0, 12])]);
    const empty = b.op('Reshape', [b.f([0, 3]), b.i64([3, 0])], [int('allowzero', 1)]);
    // PyTorch's x.view(x.size(0), -1)
    const n = b.op('Unsqueeze', [b.op('Gather', [b.op('Shape', ['x']), b.i64([0], [])], [int('axis', 0)]), b.i64([0])]);
    const torch = b.op('Reshape', ['x', b.op('Concat', [n, b.i64([-1])], [int('axis', 0)])]);
    // tf2onnx's Shape -> Slice -> Concat
    const tf = b.op('Reshape', ['x', b.op('Concat', [b.op('Slice', [b.op('Shape', ['x']), b.i64([0]), b.i64([2])]), b.i64([12])], [int('axis', 0)])]);
    b.op('Transpose', ['x'], [ints('perm', [0, 2, 3, 1])]);
    b.op('Transpose', ['x']);
    b.op('Squeeze', [b.op('Unsqueeze', ['x', b.i64([1, -1])]), b.i64([-1])]);
    b.op('Unsqueeze', ['x', b.i64([0, 3])]);
    b.op('Squeeze', [b.op('GlobalAveragePool', ['x']), b.i64([2, 3])]);
    return { [r0]: ['N', 24], [r1]: [null, 12], [r2]: ['N', 2, 12], [empty]: [3, 0], [torch]: ['N', 24], [tf]: ['N', 2, 12] };
  }, { opset: 14 });
  await check(input, (b) => {
    b.op('Squeeze', [b.op('Unsqueeze', ['x'], [ints('axes', [0, 5])])], [ints('axes', [0])]);
    b.op('Squeeze', [b.op('ReduceMean', ['x'], [ints('axes', [1])])], [ints('axes', [1])]);
  }, { opset: 11 });
});

test('Concat, Split (attr, input, num_outputs, equal), Slice (inputs, clamping, negative steps, attrs), Pad', async () => {
  await check([X(['N', 6, 5, 4]), X(['N', 2, 5, 4], 'y')], (b) => {
    b.op('Concat', ['x', 'y', 'x'], [int('axis', 1)]);
    b.op('Concat', ['x', 'x'], [int('axis', -1)]);
    b.ops('Split', ['x', b.i64([1, 2, 3])], [int('axis', 1)], 3);
    b.ops('Split', ['x'], [int('axis', 1)], 2);
    b.op('Slice', ['x', b.i64([1, -3]), b.i64([1000, -1]), b.i64([1, 3])]);
    const rev = b.op('Slice', ['x', b.i64([-1, 10]), b.i64([-1000, 0]), b.i64([1, 2]), b.i64([-2, -3])]);
    b.op('Slice', ['x', b.i64([0]), b.i64([9223372036854775807]), b.i64([1]), b.i64([2])]);
    const whole = b.op('Slice', ['x', b.i64([0, 1]), b.i64([9223372036854775807, 9223372036854775807])]);
    const half = b.op('Slice', ['x', b.i64([0]), b.i64([9223372036854775807]), b.i64([0]), b.i64([2])]);
    b.op('Slice', ['x', b.i64([-4]), b.i64([-2]), b.i64([-1])]);
    const fromEnd = b.op('Slice', ['x', b.i64([-4]), b.i64([-2])]);
    b.op('Pad', ['x', b.i64([0, 1, 2, 0, 0, 0, 1, 3])]);
    b.op('Pad', ['x', b.i64([0, 0, -1, 0, 0, 0, 0, 2])], [string('mode', 'constant')]);
    return { [rev]: ['N', 3, 2, 4], [whole]: ['N', 5, 5, 4], [half]: [null, 6, 5, 4], [fromEnd]: [null, 6, 5, 4] };
  }, { opset: 13 });
  await check([X(['N', 6, 5, 4])], (b) => {
    b.ops('Split', ['x'], [int('axis', 1), ints('split', [4, 2])], 2);
    b.op('Slice', ['x'], [ints('starts', [1, 0]), ints('ends', [4, 100]), ints('axes', [2, 3])]);
  }, { opset: 9 });
  await check([X(['N', 6, 5, 4])], (b) => {
    b.ops('Split', ['x'], [int('axis', 1), int('num_outputs', 3)], 3);
    b.ops('Split', ['x'], [int('axis', 2), int('num_outputs', 2)], 2);
    b.ops('Split', ['x'], [int('axis', 2), int('num_outputs', 3)], 3);
    b.op('Pad', ['x', b.i64([1, 2, 3, 4]), b.f([], [0]), b.i64([1, 3])]);
  }, { opset: 18 });
  await check([X(['N', 6, 5, 4])], (b) => {
    b.op('Pad', ['x'], [ints('pads', [0, 0, 1, 1, 0, 0, 2, 0])]);
  }, { opset: 10 });
});

test('reductions (axes attribute and input forms, keepdims, noop_with_empty_axes), ArgMax, TopK', async () => {
  await check([X(['N', 3, 4, 5])], (b) => {
    b.op('ReduceSum', ['x', b.i64([2, 3])]);
    b.op('ReduceSum', ['x', b.i64([1])], [int('keepdims', 0)]);
    const all = b.op('ReduceSum', ['x']);
    const noop = b.op('ReduceSum', ['x', b.i64([])], [int('noop_with_empty_axes', 1)]);
    b.op('ReduceMean', ['x'], [ints('axes', [2, 3])]);
    b.op('ReduceMax', ['x'], [ints('axes', [-1]), int('keepdims', 0)]);
    const scalar = b.op('ReduceMin', ['x'], [int('keepdims', 0)]);
    b.op('ReduceL2', ['x'], [ints('axes', [1])]);
    b.op('ArgMax', ['x'], [int('axis', 1), int('keepdims', 0)]);
    b.op('ArgMax', ['x'], [int('axis', -1)]);
    b.ops('TopK', ['x', b.i64([2])], [int('axis', 1)], 2);
    b.ops('TopK', ['x', b.i64([3])], [], 2);
    return { [all]: [1, 1, 1, 1], [noop]: ['N', 3, 4, 5], [scalar]: [] };
  }, { opset: 13 });
  await check([X(['N', 3, 4, 5])], (b) => {
    for (const op of ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceL2', 'ReduceSum']) b.op(op, ['x', b.i64([1, -1])], [int('keepdims', 0)]);
    b.op('ReduceMean', ['x']);
  }, { opset: 18 });
});

test('Shape (start/end), Gather, Constant forms, ConstantOfShape, Expand, Tile, Range, Size', async () => {
  await check([X(['N', 3, 4])], (b) => {
    const s = b.op('Shape', ['x']);
    b.op('Shape', ['x'], [int('start', 1)]);
    b.op('Shape', ['x'], [int('start', -2), int('end', -1)]);
    b.op('Gather', ['x', b.i64([2, 0, 1, 1], [2, 2])], [int('axis', 1)]);
    b.op('Gather', ['x', b.i64([1], [])], [int('axis', -1)]);
    b.op('Constant', [], [tensor('value', floatTensor('', [2, 3], [1, 2, 3, 4, 5, 6]))]);
    b.op('Constant', [], [float('value_float', 2)]);
    b.op('Constant', [], [floats('value_floats', [1, 2])]);
    b.op('Constant', [], [int('value_int', 2)]);
    b.op('Constant', [], [ints('value_ints', [1, 2, 3])]);
    const fill = b.op('ConstantOfShape', [s], [tensor('value', int64Tensor('', [1], [7]))]);
    b.op('ConstantOfShape', [b.i64([2, 5])]);
    b.op('Expand', ['x', b.i64([2, 1, 1, 4])]);
    const ex = b.op('Expand', [b.f([1, 4]), s]);
    b.op('Tile', ['x', b.i64([1, 2, 3])]);
    const range = b.op('Range', [b.i64([1], []), b.op('Gather', [s, b.i64([2], [])]), b.i64([2], [])]);
    b.op('Range', [b.f([], [0]), b.f([], [1]), b.f([], [0.3])]);
    b.op('Size', ['x']);
    return { [fill]: ['N', 3, 4], [ex]: ['N', 3, 4], [range]: [2] };
  }, { opset: 15 });
});

test('Resize (scales, sizes, roi forms, axes), Upsample, DepthToSpace, SpaceToDepth', async () => {
  await check([X(['N', 4, 6, 5])], (b) => {
    b.op('Resize', ['x', b.f([0]), b.f([4], [1, 1, 2, 1.5])], [string('mode', 'nearest')]);
    b.op('Resize', ['x', b.f([0]), b.f([0]), b.i64([1, 4, 9, 7])], [string('mode', 'nearest')]);
  }, { opset: 11 });
  await check([X(['N', 4, 6, 5])], (b) => {
    b.op('Resize', ['x', '', b.f([4], [1, 1, 0.5, 1.7])]);
    b.op('Resize', ['x', '', b.f([4], [1, 1, 3, 3])], [string('mode', 'linear')]);
    // sizes holding the batch symbol, computed the tf2onnx way
    const size = b.op('Concat', [b.op('Slice', [b.op('Shape', ['x']), b.i64([0]), b.i64([2])]), b.i64([12, 10])], [int('axis', 0)]);
    b.op('Resize', ['x', '', '', size], [string('mode', 'linear')]);
    b.op('DepthToSpace', ['x'], [int('blocksize', 2)]);
    b.op('SpaceToDepth', [b.op('Pad', ['x', b.i64([0, 0, 0, 0, 0, 0, 0, 1])])], [int('blocksize', 2)]);
  }, { opset: 13 });
  await check([X(['N', 4, 6, 5])], (b) => {
    b.op('Resize', ['x', '', b.f([2], [2, 3])], [ints('axes', [2, 3])]);
    b.op('Resize', ['x', '', '', b.i64([8, 9])], [ints('axes', [3, 2]), string('keep_aspect_ratio_policy', 'not_larger')]);
  }, { opset: 18 });
  await check([X(['N', 4, 6, 5])], (b) => {
    b.op('Upsample', ['x', b.f([4], [1, 1, 2, 2.5])]);
  }, { opset: 9 });
});

test('GatherElements, GatherND, ScatterElements, ScatterND', async () => {
  const idx = (hi: number) => (r: Random) => Math.floor(r.uniform(0, hi));
  await check([X(['N', 3, 4]), { name: 'i', shape: ['N', 3, 2], type: DType.INT64, gen: idx(4) }, { name: 'j', shape: [2, 1], type: DType.INT64, gen: idx(1) }], (b) => {
    b.op('GatherElements', ['x', 'i'], [int('axis', 2)]);
    b.op('ScatterElements', ['x', 'i', b.op('GatherElements', ['x', 'i'], [int('axis', 2)])], [int('axis', 2)]);
    b.op('GatherND', ['x', 'j']);
    b.op('ScatterND', ['x', 'j', b.f([2, 3, 4])]);
  }, { opset: 16 });
});

test('symbolic batch stays a symbol; inputShapes override declared shapes', () => {
  const b = new B();
  const y = b.op('Reshape', [b.op('Conv', ['x', b.f([8, 3, 3, 3])], [ints('pads', [1, 1, 1, 1])]), b.i64([0, -1])]);
  const model = makeModel({
    nodes: b.nodes,
    initializers: b.inits,
    inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: [null, 3, 'H', 'W'] } }],
    outputs: [{ name: y }],
  });
  const declared = inferShapes(model);
  assert.deepEqual(declared.get('x')?.shape, ['N', 3, 'H', 'W']);
  // a 3x3 conv with pad 1 keeps even symbolic spatial dims
  assert.deepEqual(declared.get('Conv1')?.shape, ['N', 8, 'H', 'W']);
  assert.deepEqual(declared.get(y)?.shape, ['N', null]);
  const sized = inferShapes(model, { x: ['batch', 3, 16, 10] });
  assert.deepEqual(sized.get(y)?.shape, ['batch', 1280]);
  assert.deepEqual(sized.get('f0')?.shape, [8, 3, 3, 3]);
  assert.throws(() => inferShapes(model, { x: ['N', 3, 16] }), (e: unknown) => e instanceof CnnlensError && e.code === 'INPUT_SHAPE');
  assert.throws(() => inferShapes(model, { x: ['N', 4, 16, 16] }), (e: unknown) => e instanceof CnnlensError && e.code === 'INPUT_SHAPE');
  assert.throws(() => inferShapes(model, { image: ['N', 3, 16, 16] }), (e: unknown) => e instanceof CnnlensError && e.code === 'TENSOR_NOT_FOUND' && /inputs are x/.test(e.message));
});

test('unknown ops get no entry, and what depends on them neither; nothing throws', () => {
  const b = new B();
  const u = b.op('MyCustomOp', ['x']);
  const r = b.op('Relu', [u]);
  const k = b.op('Relu', ['x']);
  const model = makeModel({ nodes: b.nodes, inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: ['N', 3] } }], outputs: [{ name: r }, { name: k }] });
  const shapes = inferShapes(model);
  assert.equal(shapes.has(u), false);
  assert.equal(shapes.has(r), false);
  assert.deepEqual(shapes.get(k)?.shape, ['N', 3]);
});

function shapeError(inputs: InputSpec[], build: Build, pattern: RegExp): void {
  const { model } = buildModel(inputs, build, 17);
  assert.throws(() => inferShapes(model), (e: unknown) => {
    assert.ok(e instanceof CnnlensError, `expected a CnnlensError, got ${String(e)}`);
    assert.equal(e.code, 'SHAPE');
    assert.match(e.message, pattern);
    return true;
  });
}

test('genuine disagreements throw SHAPE errors naming the node and the shapes', () => {
  shapeError([X(['N', 3, 8, 8])], (b) => {
    b.op('Conv', ['x', b.f([16, 4, 3, 3])]);
  }, /node 'Conv_node1' \(Conv\): input has 3 channels but the weight expects 4.*x \[N, 3, 8, 8\], f0 \[16, 4, 3, 3\]/);
  shapeError([X(['N', 3, 8, 8])], (b) => {
    b.op('Conv', ['x', b.f([16, 1, 3, 3])], [int('group', 2)]);
  }, /Conv_node1.*3 channels.*1 per group × 2 group/);
  shapeError([X(['N', 3]), X([4], 'y')], (b) => {
    b.op('Add', ['x', 'y']);
  }, /'Add_node0' \(Add\): shapes \[N, 3\] and \[4\] cannot be broadcast/);
  shapeError([X(['N', 3, 5])], (b) => {
    b.op('MatMul', ['x', b.f([4, 2])]);
  }, /'MatMul_node1' \(MatMul\): inner dimensions differ: \[N, 3, 5\] × \[4, 2\]/);
  shapeError([X(['N', 3, 5])], (b) => {
    b.op('Reshape', ['x', b.i64([0, 7, -1])]);
  }, /Reshape_node1.*15 elements are not divisible by 7/);
  shapeError([X(['N', 3, 5])], (b) => {
    b.op('Concat', ['x', b.f([1, 4, 5])], [int('axis', 0)]);
  }, /Concat_node1.*dimension 1 differs/);
  shapeError([X(['N', 3, 8, 8])], (b) => {
    b.op('BatchNormalization', ['x', b.f([4]), b.f([4]), b.f([4]), b.f([4])]);
  }, /BatchNormalization.*4\] but the input has 3 channels/);
});
