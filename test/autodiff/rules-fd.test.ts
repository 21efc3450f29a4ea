/**
 * Every backward rule against central finite differences on small random graphs.
 *
 * Tolerances (max |analytic - fd| / max |fd|):
 * - float64 graphs: h = 1e-5, so truncation error ~h^2 and rounding ~1e-16/h are both far below 1e-6.
 * - float32-only ops in ONNX Runtime (Conv, ConvTranspose, AveragePool, the global pools, LeakyRelu,
 *   PRelu, HardSigmoid, HardSwish, Softplus, Erf, Gelu, Elu): piecewise-linear graphs use a large step
 *   (h = 0.25..1), which is exact away from kinks, leaving float32 rounding of the loss (~1e-7 relative)
 *   divided by 2h: tolerance 1e-4. Smooth float32 ops use h = 1e-2: truncation ~h^2 f'''/6 ~ 1e-5 plus
 *   rounding ~1e-5: tolerance 2e-3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkGradient } from '../util/finite-differences.js';
import { TestGraph, attrs, type DT } from '../util/build.js';
import type { DifferentiateOptions } from '../../src/autodiff/differentiate.js';

interface Case {
  name: string;
  dt: DT;
  h: number;
  tol: number;
  opset?: number;
  forms?: DifferentiateOptions['forms'];
  build: (g: TestGraph) => { out: string; wrt: string[] };
}

const F64 = { dt: 'float64' as const, h: 1e-5, tol: 1e-6 };
const F32_LINEAR = { dt: 'float32' as const, h: 0.5, tol: 1e-4 };
const F32_PIECEWISE = { dt: 'float32' as const, h: 0.01, tol: 1e-3 };
const F32_SMOOTH = { dt: 'float32' as const, h: 1e-2, tol: 2e-3 };

const pos = (r: { uniform(a: number, b: number): number }) => r.uniform(0.5, 2);

function unary(op: string, kind: { dt: DT; h: number; tol: number }, attributes: ReturnType<typeof attrs.float>[] = [], gen?: (r: any) => number, opset?: number): Case {
  return {
    name: op, ...kind, ...(opset ? { opset } : {}),
    build: (g) => {
      const x = g.input('x', [2, 3, 4], gen);
      return { out: g.op(op, [x], attributes), wrt: [x] };
    },
  };
}

const cases: Case[] = [
  // activations
  unary('Relu', F64),
  {
    name: 'thresholded relu x*Cast(Greater(x,t)) (mask carries no gradient)', ...F64,
    build: (g) => {
      const x = g.input('x', [2, 3, 4]);
      const mask = g.op('Cast', [g.op('Greater', [x, g.value([], [0.3])])], [attrs.int('to', 11)]);
      return { out: g.op('Mul', [x, mask]), wrt: [x] };
    },
  },
  unary('Sigmoid', F64),
  unary('Tanh', F64),
  unary('Exp', F64),
  unary('Log', F64, [], pos),
  unary('Sqrt', F64, [], pos),
  unary('Neg', F64),
  unary('Reciprocal', F64, [], pos),
  unary('Abs', F64),
  unary('LeakyRelu', F32_PIECEWISE, [attrs.float('alpha', 0.1)]),
  unary('HardSigmoid', F32_PIECEWISE, [attrs.float('alpha', 0.3), attrs.float('beta', 0.5)]),
  unary('HardSwish', { ...F32_SMOOTH, tol: 3e-3 }, [], (r) => r.uniform(-5, 5)),
  unary('Softplus', F32_SMOOTH),
  unary('Erf', F32_SMOOTH),
  unary('Elu', F32_SMOOTH, [attrs.float('alpha', 0.7)]),
  unary('Gelu', F32_SMOOTH, [], undefined, 20),
  { name: 'Gelu (tanh)', ...F32_SMOOTH, opset: 20, build: (g) => { const x = g.input('x', [2, 6]); return { out: g.op('Gelu', [x], [attrs.string('approximate', 'tanh')]), wrt: [x] }; } },
  { name: 'Clip as ReLU6', ...F64, build: (g) => { const x = g.input('x', [2, 3, 4], (r) => r.uniform(-3, 9)); return { out: g.op('Clip', [x, g.value([], [0]), g.value([], [6])]), wrt: [x] }; } },
  { name: 'Clip (max only)', ...F64, build: (g) => { const x = g.input('x', [3, 4], (r) => r.uniform(-3, 3)); return { out: g.op('Clip', [x, '', g.value([], [1])]), wrt: [x] }; } },
  { name: 'PRelu', ...F32_PIECEWISE, build: (g) => { const x = g.input('x', [2, 3, 2, 2]); return { out: g.op('PRelu', [x, g.weight([3, 1, 1])]), wrt: [x] }; } },
  // arithmetic with broadcasting, both operands on the path
  { name: 'Add (broadcast)', ...F64, build: (g) => { const a = g.input('a', [2, 3, 4]); const b = g.input('b', [3, 1]); return { out: g.op('Add', [a, b]), wrt: [a, b] }; } },
  { name: 'Sub (broadcast)', ...F64, build: (g) => { const a = g.input('a', [2, 1, 4]); const b = g.input('b', [2, 3, 4]); return { out: g.op('Sub', [a, b]), wrt: [a, b] }; } },
  { name: 'Mul (broadcast)', ...F64, build: (g) => { const a = g.input('a', [2, 3, 4]); const b = g.input('b', [4]); return { out: g.op('Mul', [a, b]), wrt: [a, b] }; } },
  { name: 'Div (broadcast)', ...F64, build: (g) => { const a = g.input('a', [2, 3, 4]); const b = g.input('b', [1, 3, 1], pos); return { out: g.op('Div', [a, b]), wrt: [a, b] }; } },
  { name: 'Mul (same tensor twice)', ...F64, build: (g) => { const a = g.input('a', [3, 4]); return { out: g.op('Mul', [a, a]), wrt: [a] }; } },
  { name: 'Sum (variadic)', ...F64, build: (g) => { const a = g.input('a', [2, 3]); const b = g.input('b', [3]); return { out: g.op('Sum', [a, b, a]), wrt: [a, b] }; } },
  { name: 'Pow (x^3)', ...F64, build: (g) => { const x = g.input('x', [3, 4]); return { out: g.op('Pow', [x, g.value([], [3])]), wrt: [x] }; } },
  { name: 'Pow (x^2)', ...F64, build: (g) => { const x = g.input('x', [3, 4]); return { out: g.op('Pow', [x, g.value([], [2])]), wrt: [x] }; } },
  { name: 'Pow (x^0.5)', ...F64, build: (g) => { const x = g.input('x', [3, 4], pos); return { out: g.op('Pow', [x, g.value([], [0.5])]), wrt: [x] }; } },
  { name: 'MatMul 2-D x 2-D', ...F64, build: (g) => { const a = g.input('a', [3, 4]); const b = g.input('b', [4, 5]); return { out: g.op('MatMul', [a, b]), wrt: [a, b] }; } },
  { name: 'MatMul batched broadcast', ...F64, build: (g) => { const a = g.input('a', [2, 3, 4]); const b = g.input('b', [1, 4, 5]); return { out: g.op('MatMul', [a, b]), wrt: [a, b] }; } },
  { name: 'MatMul 3-D x 2-D weight', ...F64, build: (g) => { const a = g.input('a', [2, 3, 4]); return { out: g.op('MatMul', [a, g.weight([4, 5])]), wrt: [a] }; } },
  { name: 'MatMul with 1-D second operand', ...F64, build: (g) => { const a = g.input('a', [2, 3, 4]); const b = g.input('b', [4]); return { out: g.op('MatMul', [a, b]), wrt: [a, b] }; } },
  ...[[0, 0], [0, 1], [1, 0], [1, 1]].map(([ta, tb]): Case => ({
    name: `Gemm transA=${ta} transB=${tb}`, ...F64,
    build: (g) => {
      const a = g.input('a', ta ? [4, 3] : [3, 4]);
      const b = g.input('b', tb ? [5, 4] : [4, 5]);
      const c = g.input('c', [5]);
      return { out: g.op('Gemm', [a, b, c], [attrs.int('transA', ta!), attrs.int('transB', tb!), attrs.float('alpha', 0.7), attrs.float('beta', 1.3)]), wrt: [a, b, c] };
    },
  })),
  // layout
  { name: 'Flatten', ...F64, build: (g) => { const x = g.input('x', [2, 3, 2, 2]); return { out: g.op('Mul', [g.op('Flatten', [x], [attrs.int('axis', 1)]), g.weight([12])]), wrt: [x] }; } },
  { name: 'Reshape', ...F64, build: (g) => { const x = g.input('x', [2, 3, 4]); return { out: g.op('Mul', [g.op('Reshape', [x, g.ints([0, -1])]), g.weight([12])]), wrt: [x] }; } },
  { name: 'Transpose', ...F64, build: (g) => { const x = g.input('x', [2, 3, 4]); return { out: g.op('Mul', [g.op('Transpose', [x], [attrs.ints('perm', [2, 0, 1])]), g.weight([4, 2, 3])]), wrt: [x] }; } },
  { name: 'Squeeze/Unsqueeze', ...F64, build: (g) => { const x = g.input('x', [2, 1, 4]); const s = g.op('Squeeze', [x, g.ints([1])]); return { out: g.op('Mul', [g.op('Unsqueeze', [s, g.ints([0])]), g.weight([1, 2, 4])]), wrt: [x] }; } },
  { name: 'Concat (input used twice)', ...F64, build: (g) => { const a = g.input('a', [2, 3, 2]); const b = g.input('b', [2, 1, 2]); return { out: g.op('Mul', [g.op('Concat', [a, b, a], [attrs.int('axis', 1)]), g.weight([7, 2])]), wrt: [a, b] }; } },
  { name: 'Split (one output unused)', ...F64, build: (g) => { const x = g.input('x', [2, 6]); const [p, , r] = g.node('Split', [x, g.ints([2, 1, 3])], [attrs.int('axis', 1)], 3); return { out: g.op('Concat', [g.op('Mul', [p!, g.weight([2])]), r!], [attrs.int('axis', 1)]), wrt: [x] }; } },
  { name: 'Slice (step 1)', ...F64, build: (g) => { const x = g.input('x', [2, 5, 6]); return { out: g.op('Slice', [x, g.ints([1, -4]), g.ints([4, 100]), g.ints([1, 2])]), wrt: [x] }; } },
  { name: 'Slice (steps 2 and -1)', ...F64, build: (g) => { const x = g.input('x', [2, 5, 6]); return { out: g.op('Mul', [g.op('Slice', [x, g.ints([0, -1]), g.ints([5, -100]), g.ints([1, 2]), g.ints([2, -1])]), g.weight([3, 6])]), wrt: [x] }; } },
  { name: 'Slice (step -1 from a start before the first element)', ...F64, build: (g) => { const x = g.input('x', [2, 5]); return { out: g.op('Slice', [x, g.ints([-100]), g.ints([-200]), g.ints([1]), g.ints([-1])]), wrt: [x] }; } },
  { name: 'Slice (step -2 from past the end)', ...F64, build: (g) => { const x = g.input('x', [2, 7]); return { out: g.op('Slice', [x, g.ints([100]), g.ints([-100]), g.ints([1]), g.ints([-2])]), wrt: [x] }; } },
  { name: 'Pad (positive and negative)', ...F64, build: (g) => { const x = g.input('x', [1, 2, 4, 5]); return { out: g.op('Mul', [g.op('Pad', [x, g.ints([0, 0, 1, -1, 0, 0, -2, 2])]), g.weight([1, 2, 3, 6])]), wrt: [x] }; } },
  { name: 'Identity and Dropout', ...F64, build: (g) => { const x = g.input('x', [3, 4]); return { out: g.op('Dropout', [g.op('Identity', [x])]), wrt: [x] }; } },
  { name: 'Expand', ...F64, build: (g) => { const x = g.input('x', [3, 1]); return { out: g.op('Mul', [g.op('Expand', [x, g.ints([2, 3, 4])]), g.weight([2, 3, 4])]), wrt: [x] }; } },
  // convolution
  ...(['transpose', 'conv'] as const).flatMap((form): Case[] => [
    { name: `Conv 3x3 pad 1 (${form})`, ...F32_LINEAR, forms: { conv: form }, build: (g) => { const x = g.input('x', [2, 3, 5, 5]); return { out: g.op('Conv', [x, g.weight([4, 3, 3, 3]), g.weight([4])], [attrs.ints('pads', [1, 1, 1, 1])]), wrt: [x] }; } },
    { name: `Conv stride 2, odd size (${form})`, ...F32_LINEAR, forms: { conv: form }, build: (g) => { const x = g.input('x', [1, 2, 7, 6]); return { out: g.op('Conv', [x, g.weight([3, 2, 3, 3])], [attrs.ints('strides', [2, 2]), attrs.ints('pads', [1, 0, 0, 1])]), wrt: [x] }; } },
    { name: `Conv dilation 2 (${form})`, ...F32_LINEAR, forms: { conv: form }, build: (g) => { const x = g.input('x', [1, 2, 7, 7]); return { out: g.op('Conv', [x, g.weight([2, 2, 3, 3])], [attrs.ints('dilations', [2, 2]), attrs.ints('pads', [2, 2, 2, 2])]), wrt: [x] }; } },
    { name: `Conv depthwise stride 2 (${form})`, ...F32_LINEAR, forms: { conv: form }, build: (g) => { const x = g.input('x', [1, 4, 6, 6]); return { out: g.op('Conv', [x, g.weight([4, 1, 3, 3])], [attrs.int('group', 4), attrs.ints('strides', [2, 2]), attrs.ints('pads', [1, 1, 1, 1])]), wrt: [x] }; } },
    { name: `Conv depthwise multiplier 2 (${form})`, ...F32_LINEAR, forms: { conv: form }, build: (g) => { const x = g.input('x', [1, 3, 5, 5]); return { out: g.op('Conv', [x, g.weight([6, 1, 3, 3])], [attrs.int('group', 3), attrs.ints('pads', [1, 1, 1, 1])]), wrt: [x] }; } },
    { name: `Conv groups 2 (${form})`, ...F32_LINEAR, forms: { conv: form }, build: (g) => { const x = g.input('x', [1, 4, 5, 5]); return { out: g.op('Conv', [x, g.weight([6, 2, 3, 3])], [attrs.int('group', 2)]), wrt: [x] }; } },
    { name: `Conv auto_pad SAME_UPPER stride 2 (${form})`, ...F32_LINEAR, forms: { conv: form }, build: (g) => { const x = g.input('x', [1, 2, 7, 8]); return { out: g.op('Conv', [x, g.weight([2, 2, 3, 3])], [attrs.string('auto_pad', 'SAME_UPPER'), attrs.ints('strides', [2, 2])]), wrt: [x] }; } },
    { name: `Conv auto_pad SAME_LOWER 4x4 kernel (${form})`, ...F32_LINEAR, forms: { conv: form }, build: (g) => { const x = g.input('x', [1, 2, 6, 6]); return { out: g.op('Conv', [x, g.weight([2, 2, 4, 4])], [attrs.string('auto_pad', 'SAME_LOWER')]), wrt: [x] }; } },
    { name: `Conv 1-D (${form})`, ...F32_LINEAR, forms: { conv: form }, build: (g) => { const x = g.input('x', [2, 2, 9]); return { out: g.op('Conv', [x, g.weight([3, 2, 3])], [attrs.ints('strides', [2]), attrs.ints('pads', [1, 1])]), wrt: [x] }; } },
  ]),
  { name: 'Conv 1x1 pointwise (auto: MatMul form)', ...F32_LINEAR, forms: { conv: 'auto' }, build: (g) => { const x = g.input('x', [2, 4, 3, 5]); return { out: g.op('Conv', [x, g.weight([6, 4, 1, 1]), g.weight([6])]), wrt: [x] }; } },
  { name: 'Conv depthwise (auto form)', ...F32_LINEAR, forms: { conv: 'auto' }, build: (g) => { const x = g.input('x', [1, 3, 5, 5]); return { out: g.op('Conv', [x, g.weight([3, 1, 3, 3])], [attrs.int('group', 3), attrs.ints('pads', [1, 1, 1, 1])]), wrt: [x] }; } },
  { name: 'Relu and Clip masks applied with Where', ...F64, forms: { mask: 'where' }, build: (g) => { const x = g.input('x', [2, 3, 4], (r) => r.uniform(-3, 9)); return { out: g.op('Add', [g.op('Relu', [x]), g.op('Clip', [x, g.value([], [0]), g.value([], [6])])]), wrt: [x] }; } },
  { name: 'Conv + BatchNormalization (folded before differentiation)', ...F32_LINEAR, build: (g) => { const x = g.input('x', [2, 3, 5, 5]); const c = g.op('Conv', [x, g.weight([4, 3, 3, 3]), g.weight([4])], [attrs.ints('pads', [1, 1, 1, 1])]); return { out: g.op('BatchNormalization', [c, g.weight([4]), g.weight([4]), g.weight([4]), g.weight([4], 0, (r) => r.uniform(0.5, 2))]), wrt: [x] }; } },
  { name: 'ConvTranspose stride 2 output_padding 1', ...F32_LINEAR, build: (g) => { const x = g.input('x', [1, 3, 4, 4]); return { out: g.op('ConvTranspose', [x, g.weight([3, 2, 3, 3])], [attrs.ints('strides', [2, 2]), attrs.ints('pads', [1, 1, 1, 1]), attrs.ints('output_padding', [1, 1])]), wrt: [x] }; } },
  { name: 'ConvTranspose with output_shape and odd total padding', ...F32_LINEAR, build: (g) => { const x = g.input('x', [1, 1, 3, 3]); return { out: g.op('ConvTranspose', [x, g.weight([1, 2, 3, 3])], [attrs.ints('strides', [2, 2]), attrs.ints('output_shape', [6, 6])]), wrt: [x] }; } },
  { name: 'ConvTranspose auto_pad SAME_UPPER', ...F32_LINEAR, build: (g) => { const x = g.input('x', [1, 1, 3, 3]); return { out: g.op('ConvTranspose', [x, g.weight([1, 2, 4, 4])], [attrs.ints('strides', [2, 2]), attrs.string('auto_pad', 'SAME_UPPER')]), wrt: [x] }; } },
  { name: 'ConvTranspose groups 2', ...F32_LINEAR, build: (g) => { const x = g.input('x', [1, 4, 3, 3]); return { out: g.op('ConvTranspose', [x, g.weight([4, 1, 2, 2])], [attrs.int('group', 2), attrs.ints('strides', [2, 2])]), wrt: [x] }; } },
  // normalization
  { name: 'BatchNormalization', ...F64, build: (g) => { const x = g.input('x', [2, 3, 2, 2]); return { out: g.op('BatchNormalization', [x, g.weight([3]), g.weight([3]), g.weight([3]), g.weight([3], 0, (r) => r.uniform(0.5, 2))], [attrs.float('epsilon', 1e-3)]), wrt: [x] }; } },
  { name: 'LayerNormalization (last axis)', ...F64, build: (g) => { const x = g.input('x', [2, 3, 5]); return { out: g.op('LayerNormalization', [x, g.weight([5]), g.weight([5])]), wrt: [x] }; } },
  { name: 'LayerNormalization (axis 1)', ...F64, build: (g) => { const x = g.input('x', [2, 3, 4]); return { out: g.op('LayerNormalization', [x, g.weight([3, 4]), g.weight([3, 4])], [attrs.int('axis', 1), attrs.float('epsilon', 1e-3)]), wrt: [x] }; } },
  { name: 'Softmax (axis 1)', ...F64, build: (g) => { const x = g.input('x', [2, 4, 3]); return { out: g.op('Softmax', [x], [attrs.int('axis', 1)]), wrt: [x] }; } },
  { name: 'LogSoftmax', ...F64, build: (g) => { const x = g.input('x', [2, 5]); return { out: g.op('LogSoftmax', [x]), wrt: [x] }; } },
  // pooling
  { name: 'MaxPool 2x2 stride 2', ...F64, build: (g) => { const x = g.input('x', [2, 2, 4, 4]); return { out: g.op('MaxPool', [x], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])]), wrt: [x] }; } },
  { name: 'MaxPool 3x3 stride 2 pad 1 (overlapping)', ...F64, build: (g) => { const x = g.input('x', [2, 2, 6, 6]); return { out: g.op('MaxPool', [x], [attrs.ints('kernel_shape', [3, 3]), attrs.ints('strides', [2, 2]), attrs.ints('pads', [1, 1, 1, 1])]), wrt: [x] }; } },
  { name: 'MaxPool 3x3 stride 2 ceil_mode', ...F64, build: (g) => { const x = g.input('x', [1, 2, 6, 6]); return { out: g.op('MaxPool', [x], [attrs.ints('kernel_shape', [3, 3]), attrs.ints('strides', [2, 2]), attrs.int('ceil_mode', 1)]), wrt: [x] }; } },
  { name: 'MaxPool dilated', ...F64, build: (g) => { const x = g.input('x', [1, 2, 7, 7]); return { out: g.op('MaxPool', [x], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('dilations', [2, 2])]), wrt: [x] }; } },
  ...[0, 1].map((cip): Case => ({ name: `AveragePool 3x3 stride 1 pad 1 count_include_pad=${cip}`, ...F32_LINEAR, build: (g) => { const x = g.input('x', [1, 2, 5, 5]); return { out: g.op('AveragePool', [x], [attrs.ints('kernel_shape', [3, 3]), attrs.ints('pads', [1, 1, 1, 1]), attrs.int('count_include_pad', cip)]), wrt: [x] }; } })),
  ...[0, 1].map((cip): Case => ({ name: `AveragePool 3x3 stride 2 ceil_mode count_include_pad=${cip}`, ...F32_LINEAR, build: (g) => { const x = g.input('x', [1, 2, 6, 6]); return { out: g.op('AveragePool', [x], [attrs.ints('kernel_shape', [3, 3]), attrs.ints('strides', [2, 2]), attrs.ints('pads', [1, 1, 0, 0]), attrs.int('ceil_mode', 1), attrs.int('count_include_pad', cip)]), wrt: [x] }; } })),
  ...[0, 1].map((cip): Case => ({ name: `AveragePool ceil_mode, last window in the end padding, count_include_pad=${cip}`, ...F32_LINEAR, build: (g) => { const x = g.input('x', [1, 2, 5, 5]); return { out: g.op('AveragePool', [x], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2]), attrs.ints('pads', [1, 1, 1, 1]), attrs.int('ceil_mode', 1), attrs.int('count_include_pad', cip)]), wrt: [x] }; } })),
  { name: 'AveragePool 2x2 stride 2', ...F32_LINEAR, build: (g) => { const x = g.input('x', [2, 3, 4, 4]); return { out: g.op('AveragePool', [x], [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])]), wrt: [x] }; } },
  { name: 'AveragePool over the whole input (the broadcast form)', ...F32_LINEAR, build: (g) => { const x = g.input('x', [2, 3, 3, 4]); return { out: g.op('AveragePool', [x], [attrs.ints('kernel_shape', [3, 4])]), wrt: [x] }; } },
  { name: 'GlobalAveragePool', ...F32_LINEAR, build: (g) => { const x = g.input('x', [2, 3, 3, 4]); return { out: g.op('GlobalAveragePool', [x]), wrt: [x] }; } },
  { name: 'GlobalMaxPool', ...F32_PIECEWISE, build: (g) => { const x = g.input('x', [2, 3, 3, 4]); return { out: g.op('GlobalMaxPool', [x]), wrt: [x] }; } },
  // reductions (opset 17: ReduceMean takes axes as an attribute; opset 18: as an input)
  { name: 'ReduceSum keepdims=0', ...F64, build: (g) => { const x = g.input('x', [2, 3, 4]); return { out: g.op('ReduceSum', [x, g.ints([1, -1])], [attrs.int('keepdims', 0)]), wrt: [x] }; } },
  { name: 'ReduceMean keepdims=1 (opset 17)', ...F64, build: (g) => { const x = g.input('x', [2, 3, 4]); return { out: g.op('ReduceMean', [x], [attrs.ints('axes', [2])]), wrt: [x] }; } },
  { name: 'ReduceMean keepdims=0 (opset 18)', ...F64, opset: 18, build: (g) => { const x = g.input('x', [2, 3, 4]); return { out: g.op('ReduceMean', [x, g.ints([0, 2])], [attrs.int('keepdims', 0)]), wrt: [x] }; } },
  // composites: fan-out, residual connection and a small CNN
  {
    name: 'residual block (fan-out accumulation)', ...F32_PIECEWISE,
    build: (g) => {
      const x = g.input('x', [1, 2, 5, 5]);
      const c1 = g.op('Relu', [g.op('Conv', [x, g.weight([2, 2, 3, 3])], [attrs.ints('pads', [1, 1, 1, 1])])]);
      const c2 = g.op('Conv', [c1, g.weight([2, 2, 3, 3])], [attrs.ints('pads', [1, 1, 1, 1])]);
      const y = g.op('Relu', [g.op('Add', [c2, x])]);
      return { out: g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [y])]), g.weight([2, 3])]), wrt: [x] };
    },
  },
];

for (const c of cases) {
  test(`finite differences: ${c.name}`, async () => {
    const g = new TestGraph(c.dt, 11, c.opset ?? 17);
    const { out, wrt } = c.build(g);
    const model = g.model(out);
    const r = await checkGradient({ model, feeds: g.feeds, wrt, dtype: c.dt, h: c.h, ...(c.forms ? { forms: c.forms } : {}) });
    assert.ok(r.error <= c.tol, `relative error ${r.error.toExponential(2)} > ${c.tol}`);
    // a gradient that is identically zero would pass trivially against a zero oracle: rule that out
    for (const w of wrt) assert.ok(r.numeric[w]!.some((v) => Math.abs(v) > 1e-3), `finite differences of ${w} are all zero`);
  });
}
