import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { DType, attrs, floatTensor, makeModel, saveModel, type Dim, type Model, type Node } from '../onnx/index.js';
import { describeModel, formatInfo, infoCommand, infoJson, parseInputSize, type ModelInfo } from './info.js';

const n = (opType: string, inputs: string[], output: string, attributes: Node['attributes'] = []): Node => ({ name: output, opType, domain: '', inputs, outputs: [output], attributes });

/**
 * image [N,3,H,W] → Mul(scale) → Conv → Relu → MaxPool 2×2 → Conv 1×1 → GlobalAveragePool → Flatten → Gemm → Softmax
 * `scaled` is 4-D and spatial but comes before any convolution: not a conv feature map.
 */
function model(shape: Dim[] = ['N', 3, 'H', 'W']): Model {
  return makeModel({
    nodes: [
      n('Mul', ['image', 'scale'], 'scaled'),
      n('Conv', ['scaled', 'w1'], 'conv1', [attrs.ints('pads', [1, 1, 1, 1])]),
      n('Relu', ['conv1'], 'relu1'),
      n('MaxPool', ['relu1'], 'pool1', [attrs.ints('kernel_shape', [2, 2]), attrs.ints('strides', [2, 2])]),
      n('Conv', ['pool1', 'w2'], 'conv2'),
      n('GlobalAveragePool', ['conv2'], 'gap'),
      n('Flatten', ['gap'], 'flat'),
      n('Gemm', ['flat', 'fc', 'fcb'], 'logits', [attrs.int('transB', 1)]),
      n('Softmax', ['logits'], 'probs'),
    ],
    inputs: [{ name: 'image', type: { elemType: DType.FLOAT, shape } }],
    outputs: [{ name: 'probs', type: { elemType: DType.FLOAT, shape: ['N', 5] } }],
    initializers: [
      floatTensor('scale', [], [0.5]),
      floatTensor('w1', [4, 3, 3, 3], new Array(108).fill(0.1)),
      floatTensor('w2', [6, 4, 1, 1], new Array(24).fill(0.1)),
      floatTensor('fc', [5, 6], new Array(30).fill(0.1)),
      floatTensor('fcb', [5], new Array(5).fill(0)),
    ],
  });
}

const row = (info: ModelInfo, name: string) => info.tensors.find((t) => t.name === name)!;

describe('describeModel', () => {
  it('lists producer, opset, inputs, outputs and op counts', () => {
    const info = describeModel(model());
    assert.equal(info.producer.name, 'cnnlens');
    assert.deepEqual(info.opsets, [{ domain: 'ai.onnx', version: 17 }]);
    assert.deepEqual(info.inputs, [{ name: 'image', type: 'float32', shape: ['N', 3, 'H', 'W'] }]);
    assert.deepEqual(info.outputs.map((o) => o.name), ['probs']);
    assert.equal(info.nodeCount, 9);
    assert.deepEqual(info.ops[0], { op: 'Conv', count: 2 });
    assert.equal(info.ops.reduce((s, o) => s + o.count, 0), 9);
    assert.deepEqual(info.tensors.map((t) => t.name), ['image', 'scaled', 'conv1', 'relu1', 'pool1', 'conv2', 'gap', 'flat', 'logits', 'probs']);
  });

  it('infers every shape for a given input size and marks conv feature maps', () => {
    const info = describeModel(model(), { inputSize: [8, 6] });
    assert.deepEqual(row(info, 'image').shape, ['N', 3, 8, 6]);
    assert.deepEqual(row(info, 'pool1').shape, ['N', 4, 4, 3]);
    assert.deepEqual(row(info, 'gap').shape, ['N', 6, 1, 1]);
    assert.deepEqual(row(info, 'logits').shape, ['N', 5]);
    const maps = info.tensors.filter((t) => t.convFeatureMap).map((t) => t.name);
    assert.deepEqual(maps, ['conv1', 'relu1', 'pool1', 'conv2'], 'not the pre-conv Mul, not the 1×1 GAP output, not 2-D tensors');
    assert.equal(row(info, 'conv1').op, 'Conv');
    assert.equal(row(info, 'image').op, 'input');
  });

  it('marks feature maps of unknown spatial size, but not known 1×1 ones', () => {
    const info = describeModel(model());
    assert.equal(row(info, 'relu1').convFeatureMap, true);
    assert.equal(row(info, 'gap').convFeatureMap, false);
  });

  it('sets the spatial dims of NHWC inputs too, and refuses sizes that contradict fixed dims', () => {
    const nhwc = model(['N', 'H', 'W', 3]);
    const shapes = describeModel({ ...nhwc, graph: { ...nhwc.graph, nodes: [] } }, { inputSize: [10, 12] });
    assert.deepEqual(shapes.inputs[0]!.shape, ['N', 10, 12, 3]);
    assert.throws(() => describeModel(model(['N', 3, 8, 8]), { inputSize: [4, 4] }), (e: unknown) => e instanceof CnnlensError && e.code === 'INPUT_SHAPE' && /fixed shape \[N, 3, 8, 8\]/.test(e.message));
    const flat = makeModel({ nodes: [], inputs: [{ name: 'v', type: { elemType: DType.FLOAT, shape: [1, 10] } }], outputs: [] });
    assert.throws(() => describeModel(flat, { inputSize: [4, 4] }), (e: unknown) => e instanceof CnnlensError && e.code === 'USAGE' && /4-D image inputs.*v \[1, 10\]/.test(e.message));
  });

  it('keeps going with the model\'s own annotations when shapes disagree', () => {
    const bad = makeModel({
      nodes: [n('Add', ['a', 'b'], 'c')],
      inputs: [{ name: 'a', type: { elemType: DType.FLOAT, shape: [2, 3] } }, { name: 'b', type: { elemType: DType.FLOAT, shape: [2, 4] } }],
      outputs: [{ name: 'c', type: { elemType: DType.FLOAT, shape: [2, 3] } }],
    });
    const info = describeModel(bad);
    assert.match(info.shapeError ?? '', /^\[SHAPE\]/);
    assert.deepEqual(row(info, 'c').shape, [2, 3]);
    assert.match(formatInfo(info), /note: shape inference failed/);
  });
});

describe('formatting', () => {
  it('prints aligned tables', () => {
    const text = formatInfo(describeModel(model(), { inputSize: [8, 8], file: 'm.onnx' }));
    assert.match(text, /^model {5}m\.onnx\nproducer {2}cnnlens\nopset {5}ai\.onnx 17 \(IR version 8\)\nnodes {5}9\n/);
    const lines = text.split('\n');
    const header = lines.findIndex((l) => /^ {2}name +op +type +shape$/.test(l));
    assert.ok(header > 0, text);
    const col = lines[header]!.indexOf('shape');
    const conv1 = lines.find((l) => l.startsWith('  conv1 '))!;
    assert.equal(conv1.indexOf('['), col);
    assert.match(conv1, /\[N, 4, 8, 8\]  conv feature map$/);
    assert.ok(lines.every((l) => l === l.trimEnd()), 'no trailing blanks');
    assert.match(text, /tensors \(10, 4 conv feature maps\)/);
  });

  it('prints JSON with shapes on one line', () => {
    const info = describeModel(model(), { inputSize: [8, 8] });
    const text = infoJson(info);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(info)));
    assert.match(text, /"shape": \["N", 3, 8, 8\]/);
  });

  it('parses --input-size', () => {
    assert.deepEqual(parseInputSize('224x200'), [224, 200]);
    assert.deepEqual(parseInputSize('64'), [64, 64]);
    assert.deepEqual(parseInputSize('32X16'), [32, 16]);
    for (const bad of ['', 'x', '0x4', '4x', '-3x3', '2.5x3', 'axb']) {
      assert.throws(() => parseInputSize(bad), (e: unknown) => e instanceof CnnlensError && e.code === 'USAGE', bad);
    }
  });
});

describe('infoCommand', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnnlens-info-'));
    writeFileSync(join(dir, 'm.onnx'), saveModel(model()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const capture = () => {
    const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
    return io;
  };

  it('prints the table or JSON', async () => {
    const io = capture();
    assert.equal(await infoCommand([join(dir, 'm.onnx'), '--input-size', '16x16'], io), 0);
    assert.match(io.stdout, /pool1 +MaxPool +float32 +\[N, 4, 8, 8\] +conv feature map/);
    const js = capture();
    assert.equal(await infoCommand(['--json', join(dir, 'm.onnx')], js), 0);
    assert.equal(JSON.parse(js.stdout).tensors.length, 10);
  });

  it('describes the default model as an image classifier: input spec, classes, feature maps by Keras name, default layer', async () => {
    const js = capture();
    assert.equal(await infoCommand(['--json'], js), 0);
    const info = JSON.parse(js.stdout);
    assert.equal(info.defaultLayer, 'out_relu');
    const c = info.classifier;
    assert.deepEqual([c.inputSpec.layout, c.inputSpec.height, c.inputSpec.width, c.inputSpec.channels], ['NHWC', 224, 224, 3]);
    assert.deepEqual(c.inputSpec.range, [0, 1]);
    assert.equal(c.output.kind, 'softmax');
    assert.equal(c.labels.length, 5);
    const last = c.featureMaps.find((m: { name: string }) => m.name === 'out_relu');
    assert.deepEqual(last.shape, ['N', 1280, 7, 7]);
    const table = capture();
    assert.equal(await infoCommand([], table), 0);
    assert.match(table.stdout, /default layer for CAM methods: out_relu/);
  });

  it('throws typed errors for bad usage and bad files', async () => {
    const code = (c: string) => (e: unknown) => e instanceof CnnlensError && e.code === c;
    await assert.rejects(infoCommand(['m.onnx', '--input-size', 'big'], capture()), code('USAGE'));
    await assert.rejects(infoCommand(['a.onnx', 'b.onnx'], capture()), code('USAGE'));
    await assert.rejects(infoCommand([join(dir, 'm.onnx'), '--frobnicate'], capture()), code('USAGE'));
    await assert.rejects(infoCommand([join(dir, 'missing.onnx')], capture()), code('IO'));
    writeFileSync(join(dir, 'junk.onnx'), 'this is not protobuf');
    await assert.rejects(infoCommand([join(dir, 'junk.onnx')], capture()), code('ONNX_PARSE'));
  });
});
