/**
 * Micro-models for the method tests: float32 graphs on an image input 'x' with a symbolic batch, whose
 * weights are drawn from the graph's seeded generator (rounded to float32, and returned, so that tests
 * can write their oracles from them), and random images to feed them.
 */
import type { HostTensor } from '../../src/runtime/backend.js';
import { Random } from '../../src/util/random.js';
import { TestGraph, attrs, elemOf } from './build.js';

/** A float32 TestGraph whose input 'x' is [N, channels, height, width] (or [N, height, width, channels] for NHWC). */
export function imageGraph(seed: number, channels: number, height: number, width = height, layout: 'NCHW' | 'NHWC' = 'NCHW'): TestGraph {
  const g = new TestGraph('float32', seed);
  const shape = layout === 'NCHW' ? ['N', channels, height, width] : ['N', height, width, channels];
  g.inputs.push({ name: 'x', type: { elemType: elemOf('float32'), shape } });
  return g;
}

/** A float32 batch of standard-normal values of the given dims (the batch first). */
export function randomImages(dims: readonly number[], seed: number): HostTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return { type: 'float32', dims: [...dims], data: Float32Array.from(new Random(seed).normals(n)) };
}

/** Weights drawn as N(0, scale^2), rounded to float32. */
const draw = (g: TestGraph, n: number, scale = 1) => g.rnd.normals(n, scale).map(Math.fround);

/**
 * logits = Flatten(x) W + b with W stored [d, units] (MatMul, Add), W ~ N(0, wScale^2), b ~ N(0, bScale^2);
 * `edit` may change W (e.g. zero rows) before it goes into the graph.
 */
export function matmulLinear(g: TestGraph, d: number, units: number, wScale: number, bScale: number, edit?: (w: number[]) => void): { logits: string; w: number[]; bias: number[] } {
  const w = draw(g, d * units, wScale);
  const bias = draw(g, units, bScale);
  edit?.(w);
  const logits = g.op('Add', [g.op('MatMul', [g.op('Flatten', ['x']), g.value([d, units], w)]), g.value([units], bias)]);
  return { logits, w, bias };
}

/** logits = W Flatten(x) + b with W stored [units, d] (Gemm, transB), W ~ N(0, wScale^2), b ~ N(0, bScale^2). */
export function gemmLinear(g: TestGraph, d: number, units: number, wScale: number, bScale: number): { logits: string; w: number[]; bias: number[] } {
  const w = draw(g, units * d, wScale);
  const bias = draw(g, units, bScale);
  const logits = g.op('Gemm', [g.op('Flatten', ['x']), g.value([units, d], w), g.value([units], bias)], [attrs.int('transB', 1)]);
  return { logits, w, bias };
}

/** A 3x3 convolution with padding 1 of `input` ([cin] channels to [cout]), W ~ N(0, 0.25) and b ~ N(0, 0.01). */
export function conv3x3(g: TestGraph, input: string, cin: number, cout: number, stride = 1): { out: string; w: number[]; b: number[] } {
  const w = draw(g, cout * cin * 9, 0.5);
  const b = draw(g, cout, 0.1);
  const strides = stride === 1 ? [] : [attrs.ints('strides', [stride, stride])];
  const out = g.op('Conv', [input, g.value([cout, cin, 3, 3], w), g.value([cout], b)], [attrs.ints('kernel_shape', [3, 3]), ...strides, attrs.ints('pads', [1, 1, 1, 1])]);
  return { out, w, b };
}

/**
 * A residual block and a linear head, at the input's resolution: s = ReLU(conv1(x)); layer = conv2(s);
 * r = ReLU(layer + s) -> GlobalAveragePool -> Flatten -> Gemm (fc stored [units, k], transB),
 * fc ~ N(0, 1) and bias ~ N(0, biasScale^2).
 */
export function residualBlock(g: TestGraph, cin: number, k: number, units: number, biasScale: number) {
  const c1 = conv3x3(g, 'x', cin, k);
  const s = g.op('Relu', [c1.out]);
  const c2 = conv3x3(g, s, k, k);
  const fc = draw(g, units * k);
  const bias = draw(g, units, biasScale);
  const r = g.op('Relu', [g.op('Add', [c2.out, s])]);
  const logits = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [r])]), g.value([units, k], fc), g.value([units], bias)], [attrs.int('transB', 1)]);
  return { s, layer: c2.out, logits, w1: c1.w, b1: c1.b, w2: c2.w, b2: c2.b, fc, bias };
}
