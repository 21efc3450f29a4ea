import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { CnnlensError } from '../errors.js';
import { decodeModel, encodeModel } from './codec.js';
import { GraphEditor, attrs } from './graph.js';
import { DType } from './ir.js';
import { loadModel, makeModel, saveModel } from './load.js';
import { floatTensor, int64Tensor, tensorValues } from './tensor.js';
import { Random } from '../util/random.js';

const example = () => new Uint8Array(readFileSync(new URL('../../examples/tiny-cnn.onnx', import.meta.url)));

async function logits(bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ input: new ort.Tensor('float32', x, [1, 3, 64, 64]) });
  await s.release();
  return out.logits!.data as Float32Array;
}

test('decode -> encode reproduces a model that computes the same outputs', async () => {
  const bytes = example();
  const model = loadModel(bytes);
  assert.equal(model.graph.inputs[0]!.name, 'input');
  assert.deepEqual(model.graph.inputs[0]!.type?.shape, ['N', 3, 64, 64]);
  const again = encodeModel(model);
  const x = Float32Array.from(new Random(3).uniforms(3 * 64 * 64, 0, 1));
  assert.deepEqual(await logits(again, x), await logits(bytes, x));
  // the re-encoded model decodes to the same structure
  const twice = decodeModel(again);
  assert.deepEqual(twice.graph.nodes.map((n) => n.opType), model.graph.nodes.map((n) => n.opType));
  assert.deepEqual(encodeModel(twice), again);
});

test('attributes, typed tensor fields and int64 extremes survive a round trip', () => {
  const big = 9223372036854775807;
  const m = makeModel({
    nodes: [{
      name: 'slice', opType: 'Slice', domain: '', inputs: ['x', 'starts', 'ends'], outputs: ['y'],
      attributes: [attrs.float('f', 0.25), attrs.ints('is', [-1, 0, 3]), attrs.floats('fs', [1.5, -2]), attrs.string('s', 'héllo'), attrs.tensor('t', floatTensor('t', [2], [1, 2]))],
    }],
    inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: ['N', 4] } }],
    outputs: [{ name: 'y', type: { elemType: DType.FLOAT } }],
    initializers: [int64Tensor('starts', [1], [-3]), int64Tensor('ends', [1], [big])],
  });
  const back = decodeModel(encodeModel(m));
  const node = back.graph.nodes[0]!;
  assert.deepEqual(node.attributes.map((a) => [a.name, a.type]), [['f', 'float'], ['is', 'ints'], ['fs', 'floats'], ['s', 'string'], ['t', 'tensor']]);
  assert.deepEqual((node.attributes[1] as unknown as { value: number[] }).value, [-1, 0, 3]);
  assert.equal((node.attributes[3] as unknown as { value: string }).value, 'héllo');
  assert.deepEqual(tensorValues(back.graph.initializers[0]!), [-3]);
  assert.equal(tensorValues(back.graph.initializers[1]!)[0], big);
});

test('editing never mutates the source graph', () => {
  const model = loadModel(example());
  const before = JSON.stringify(model.graph.nodes.map((n) => [n.name, n.outputs]));
  const ed = new GraphEditor(model.graph);
  ed.op('Relu', [model.graph.outputs[0]!.name]);
  ed.replaceNode(0, { ...model.graph.nodes[0]!, outputs: ['changed'] });
  const edited = ed.build();
  assert.equal(edited.nodes.length, model.graph.nodes.length + 1);
  assert.equal(JSON.stringify(model.graph.nodes.map((n) => [n.name, n.outputs])), before);
});

function expectParseError(bytes: Uint8Array): CnnlensError {
  try {
    loadModel(bytes);
  } catch (e) {
    assert.ok(e instanceof CnnlensError, `expected CnnlensError, got ${String(e)}`);
    assert.ok(['ONNX_PARSE', 'ONNX_UNSUPPORTED'].includes(e.code));
    return e;
  }
  assert.fail('expected a parse error');
}

test('truncated, empty and non-ONNX bytes give typed errors', () => {
  const bytes = example();
  for (const cut of [1, 10, 100, 1000, bytes.length >> 1, bytes.length - 1]) {
    const e = expectParseError(bytes.subarray(0, cut));
    assert.match(e.message, /ONNX/);
  }
  expectParseError(new Uint8Array(0));
  expectParseError(new TextEncoder().encode('{"format": "layers-model", "modelTopology": {}}'));
  expectParseError(new Uint8Array(readFileSync(new URL('../../examples/chelsea-64.npy', import.meta.url))));
});

test('random byte mutations end in a typed error or a model, never a crash or hang', () => {
  const bytes = example();
  const rnd = new Random(99);
  let errors = 0;
  for (let i = 0; i < 300; i++) {
    const m = bytes.slice();
    const flips = 1 + Math.floor(rnd.next() * 8);
    for (let f = 0; f < flips; f++) m[Math.floor(rnd.next() * m.length)] = Math.floor(rnd.next() * 256);
    try {
      loadModel(m);
    } catch (e) {
      assert.ok(e instanceof CnnlensError, `mutation ${i}: ${String(e)}`);
      errors++;
    }
  }
  assert.ok(errors > 0);
});

test('a tensor whose data does not match its dims is rejected', () => {
  const bad = makeModel({
    nodes: [{ name: 'add', opType: 'Add', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: [] }],
    inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: [2] } }],
    outputs: [{ name: 'y', type: { elemType: DType.FLOAT } }],
    initializers: [{ ...floatTensor('w', [2], [1, 2]), dims: [3] }],
  });
  const e = expectParseError(saveModel(bad));
  assert.match(e.message, /tensor 'w'/);
});
