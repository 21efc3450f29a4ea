/**
 * Writes examples/tiny-cnn.onnx: a small convolutional classifier (3x64x64 input, 10 classes) with
 * seeded random weights, covering the common CNN ops (Conv, BatchNormalization, Relu, ReLU6 as Clip,
 * depthwise Conv, MaxPool, GlobalAveragePool, Flatten, Gemm). It is the bundled model of the examples
 * until a trained default model ships. Run: npx tsx scripts/make-example-model.ts
 */
import { writeFileSync } from 'node:fs';
import { attrs } from '../src/onnx/graph.js';
import { DType, type Node, type Tensor } from '../src/onnx/ir.js';
import { makeModel, saveModel } from '../src/onnx/load.js';
import { floatTensor, numel } from '../src/onnx/tensor.js';
import { Random } from '../src/util/random.js';

const rnd = new Random(2024);
const inits: Tensor[] = [];
const nodes: Node[] = [];
let k = 0;

function weight(name: string, dims: number[], fanIn: number): string {
  const scale = Math.sqrt(2 / fanIn);
  inits.push(floatTensor(name, dims, rnd.normals(numel(dims), scale)));
  return name;
}
function vec(name: string, n: number, f: () => number): string {
  inits.push(floatTensor(name, [n], Array.from({ length: n }, f)));
  return name;
}
function node(opType: string, inputs: string[], output: string, attributes = [] as Node['attributes']): string {
  nodes.push({ name: `${opType.toLowerCase()}_${k++}`, opType, domain: '', inputs, outputs: [output], attributes });
  return output;
}
function convBn(x: string, name: string, cin: number, cout: number, group = 1, stride = 1): string {
  const w = weight(`${name}.weight`, [cout, cin / group, 3, 3], (cin / group) * 9);
  const c = node('Conv', [x, w], `${name}/conv`, [attrs.ints('pads', [1, 1, 1, 1]), attrs.ints('strides', [stride, stride]), attrs.int('group', group)]);
  const bn = [
    vec(`${name}.bn.scale`, cout, () => rnd.uniform(0.8, 1.2)),
    vec(`${name}.bn.bias`, cout, () => rnd.normal() * 0.1),
    vec(`${name}.bn.mean`, cout, () => rnd.normal() * 0.1),
    vec(`${name}.bn.var`, cout, () => rnd.uniform(0.8, 1.2)),
  ];
  return node('BatchNormalization', [c, ...bn], `${name}/bn`);
}

let x = 'input';
x = node('Relu', [convBn(x, 'block1', 3, 16)], 'block1/relu');
x = node('MaxPool', [x], 'pool1', [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])]);
inits.push(floatTensor('relu6.min', [], [0]), floatTensor('relu6.max', [], [6]));
x = node('Clip', [convBn(x, 'block2.dw', 16, 16, 16, 2), 'relu6.min', 'relu6.max'], 'block2/relu6');
x = node('Relu', [convBn(x, 'block3', 16, 32)], 'block3/relu');
x = node('GlobalAveragePool', [x], 'gap');
x = node('Flatten', [x], 'flatten', [attrs.int('axis', 1)]);
const fcW = weight('fc.weight', [10, 32], 32);
const fcB = vec('fc.bias', 10, () => 0);
node('Gemm', [x, fcW, fcB], 'logits', [attrs.int('transB', 1)]);

const model = makeModel({
  name: 'tiny-cnn',
  opset: 13,
  nodes,
  initializers: inits,
  inputs: [{ name: 'input', type: { elemType: DType.FLOAT, shape: ['N', 3, 64, 64] } }],
  outputs: [{ name: 'logits', type: { elemType: DType.FLOAT, shape: ['N', 10] } }],
});
writeFileSync('examples/tiny-cnn.onnx', saveModel(model));
console.log('wrote examples/tiny-cnn.onnx');
