/**
 * Fuzzing the ONNX loader: byte mutations of a real model (loader alone, and the whole `loadImageModel`
 * path: metadata, input spec, logits, layer catalog) and structure-aware models written field by field
 * with fast-check (edge dims, element types, payload sizes, attribute kinds, dangling names, cycles).
 * Every input must end in a typed error or a model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CnnlensError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/onnx/load.js';
import { ProtoWriter } from '../../src/onnx/protobuf.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { describe, fuzz, mutateBytes, scaled } from '../util/fuzz.js';

const example = new Uint8Array(readFileSync(new URL('../../examples/tiny-cnn.onnx', import.meta.url)));
const te = new TextEncoder();
/** tokens the mutator splices in: field tags of ModelProto/GraphProto/TensorProto, op names, metadata keys */
const DICTIONARY = [
  Uint8Array.of(0x08, 0x07), Uint8Array.of(0x3a), Uint8Array.of(0x42, 0x04, 0x0a, 0x00, 0x10, 0x0b), Uint8Array.of(0x4a, 0x00),
  Uint8Array.of(0x70, 0x01), Uint8Array.of(0x0a, 0x80, 0x80, 0x80, 0x80, 0x08), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f),
  te.encode('Conv'), te.encode('Relu'), te.encode('Softmax'), te.encode('cnnlens.labels'), te.encode('cnnlens.input'), te.encode('["a"'),
];

test('ONNX loader: byte mutations of a model end in a typed error or a model', { timeout: 120_000 }, async () => {
  const r = await fuzz('onnx-bytes', (_, rnd) => mutateBytes(example, rnd, DICTIONARY), (b) => loadModel(b), { seed: 11, count: scaled(10_000), codes: ['ONNX_PARSE', 'ONNX_UNSUPPORTED'] });
  console.log(describe('onnx loader', r));
  assert.ok(r.typedErrors > 0 && r.accepted > 0);
});

test('ONNX image models: mutated files through loadImageModel end in a typed error or a model', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-onnx-fuzz-'));
  const path = join(dir, 'model.onnx');
  try {
    const r = await fuzz('onnx-image-model', (_, rnd) => mutateBytes(example, rnd, DICTIONARY, 3), async (b) => {
      writeFileSync(path, b);
      await loadImageModel(path);
    }, { seed: 12, count: scaled(2_000) });
    console.log(describe('onnx loadImageModel', r));
    assert.ok(r.accepted > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------- structure-aware, with fast-check

/** mostly plausible values, sometimes an edge case: a model must get past the first check to test the next */
const rare = <T,>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ arbitrary: usual, weight: 9 }, { arbitrary: odd, weight: 1 });
const dimArb = rare(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, -1, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 1e6));
const tensorArb = fc.record({
  name: rare(fc.constantFrom('w', 'b'), fc.constantFrom('x', 'input', '')),
  dims: fc.array(dimArb, { maxLength: 4 }),
  dataType: rare(fc.constantFrom(1, 6, 7, 10, 11, 16), fc.integer({ min: 0, max: 40 })),
  raw: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
  floats: fc.array(fc.float(), { maxLength: 8 }),
  int64s: fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 8 }),
  external: rare(fc.constant(false), fc.constant(true)),
  /** payload sized to fit dims and type (else the raw/floats/int64s given) */
  consistent: rare(fc.constant(true), fc.constant(false)),
});
const attrArb = fc.record({
  name: fc.constantFrom('kernel_shape', 'strides', 'pads', 'axis', 'value', 'then_branch', 'alpha'),
  type: fc.integer({ min: 0, max: 14 }),
  f: fc.option(fc.float(), { nil: undefined }),
  i: fc.option(fc.integer({ min: -3, max: 2 ** 31 }), { nil: undefined }),
  ints: fc.array(fc.integer({ min: -3, max: 9 }), { maxLength: 4 }),
  tensor: fc.option(tensorArb, { nil: undefined }),
});
const names = fc.constantFrom('input', 'x', 'y', 'w', 'b', 'logits', '', 'z');
const nodeArb = fc.record({
  opType: rare(fc.constantFrom('Conv', 'Relu', 'Gemm', 'Add', 'Softmax', 'Flatten', 'MaxPool', 'GlobalAveragePool', 'Reshape', 'Identity'), fc.constantFrom('If', 'Loop', 'Unknown', '')),
  domain: rare(fc.constant(''), fc.constantFrom('ai.onnx', 'com.microsoft')),
  inputs: fc.array(names, { maxLength: 3 }),
  outputs: fc.array(names, { minLength: 1, maxLength: 2 }),
  attributes: fc.array(attrArb, { maxLength: 3 }),
});
const valueInfoArb = fc.record({
  name: names,
  elemType: rare(fc.constant(1), fc.integer({ min: 0, max: 17 })),
  shape: fc.option(fc.array(fc.oneof(dimArb, fc.constantFrom('N', 'batch', '')), { maxLength: 5 }), { nil: undefined }),
});
const modelArb = fc.record({
  irVersion: fc.integer({ min: 0, max: 12 }),
  opsets: fc.array(fc.record({ domain: fc.constantFrom('', 'ai.onnx', 'com.microsoft'), version: fc.integer({ min: 0, max: 25 }) }), { maxLength: 3 }),
  nodes: fc.array(nodeArb, { minLength: 1, maxLength: 6 }),
  initializers: fc.array(tensorArb, { maxLength: 3 }),
  inputs: fc.array(valueInfoArb, { maxLength: 2 }),
  outputs: fc.array(valueInfoArb, { maxLength: 2 }),
  metadata: fc.array(fc.record({ key: fc.constantFrom('cnnlens.labels', 'cnnlens.input', 'other'), value: fc.string({ maxLength: 12 }) }), { maxLength: 2 }),
});

type TensorCase = typeof tensorArb extends fc.Arbitrary<infer T> ? T : never;
type ModelCase = typeof modelArb extends fc.Arbitrary<infer T> ? T : never;

function writeTensor(t: TensorCase): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.varintField(1, d);
  w.varintField(2, t.dataType);
  const count = t.dims.reduce((a, d) => a * d, 1);
  const size = ({ 1: 4, 6: 4, 7: 8, 10: 2, 11: 8, 16: 2 } as Record<number, number>)[t.dataType];
  if (t.consistent && size !== undefined && count >= 0 && count <= 4096) {
    w.stringField(8, t.name);
    w.bytesField(9, new Uint8Array(count * size).fill(t.floats.length));
    return w;
  }
  for (const f of t.floats) w.floatField(4, f);
  for (const v of t.int64s) w.varintField(7, v);
  w.stringField(8, t.name);
  if (t.raw) w.bytesField(9, t.raw);
  if (t.external) w.varintField(14, 1);
  return w;
}

function writeModel(m: ModelCase): Uint8Array {
  const g = new ProtoWriter();
  for (const n of m.nodes) {
    const nw = new ProtoWriter();
    for (const i of n.inputs) nw.stringAlways(1, i);
    for (const o of n.outputs) nw.stringAlways(2, o);
    nw.stringField(4, n.opType);
    for (const a of n.attributes) {
      const aw = new ProtoWriter();
      aw.stringField(1, a.name);
      if (a.f !== undefined) aw.floatField(2, a.f);
      if (a.i !== undefined) aw.varintField(3, a.i);
      if (a.tensor) aw.message(5, writeTensor(a.tensor));
      for (const v of a.ints) aw.varintField(8, v);
      aw.varintField(20, a.type);
      nw.message(5, aw);
    }
    nw.stringField(7, n.domain);
    g.message(1, nw);
  }
  g.stringField(2, 'fuzz');
  for (const t of m.initializers) g.message(5, writeTensor(t));
  const vi = (field: number, v: ModelCase['inputs'][number]) => {
    const tt = new ProtoWriter();
    tt.varintField(1, v.elemType);
    if (v.shape) {
      const sw = new ProtoWriter();
      for (const d of v.shape) {
        const dw = new ProtoWriter();
        if (typeof d === 'number') dw.varintField(1, d);
        else dw.stringField(2, d);
        sw.message(1, dw);
      }
      tt.message(2, sw);
    }
    const type = new ProtoWriter();
    type.message(1, tt);
    const w = new ProtoWriter();
    w.stringAlways(1, v.name);
    w.message(2, type);
    g.message(field, w);
  };
  for (const v of m.inputs) vi(11, v);
  for (const v of m.outputs) vi(12, v);
  const w = new ProtoWriter();
  w.varintField(1, m.irVersion);
  w.message(7, g);
  for (const o of m.opsets) {
    const ow = new ProtoWriter();
    ow.stringField(1, o.domain);
    ow.varintField(2, o.version);
    w.message(8, ow);
  }
  for (const kv of m.metadata) {
    const kw = new ProtoWriter();
    kw.stringField(1, kv.key);
    kw.stringField(2, kv.value);
    w.message(14, kw);
  }
  return w.finish();
}

test('ONNX loader: structure-aware models (fast-check) load or fail with a typed error; loaded ones re-encode and go through loadImageModel', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-onnx-fuzz-'));
  const path = join(dir, 'model.onnx');
  const loadedBytes: Uint8Array[] = [];
  let loaded = 0;
  let refused = 0;
  const reasons = new Map<string, number>();
  const t0 = performance.now();
  fc.assert(
    fc.property(modelArb, (m) => {
      let model;
      try {
        model = loadModel(writeModel(m));
      } catch (e) {
        if (!(e instanceof CnnlensError)) throw e;
        refused++;
        reasons.set(e.message.slice(0, 60), (reasons.get(e.message.slice(0, 60)) ?? 0) + 1);
        return;
      }
      loaded++;
      loadedBytes.push(saveModel(model)); // a loaded model can always be written back
    }),
    { seed: 13, numRuns: scaled(10_000) },
  );
  let images = 0;
  try {
    for (const bytes of loadedBytes) {
      writeFileSync(path, bytes);
      try {
        await loadImageModel(path);
        images++;
      } catch (e) {
        if (!(e instanceof CnnlensError)) throw new Error(`loadImageModel crashed on a re-encoded model (${String(e)}); saved as ${join(tmpdir(), 'cnnlens-onnx-crash.onnx')}`, { cause: writeFileSync(join(tmpdir(), 'cnnlens-onnx-crash.onnx'), bytes) });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`onnx structure-aware: ${loaded + refused} models in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${loaded} loaded (${images} usable as image models), ${refused} typed errors`);
  if (process.env.FUZZ_DEBUG) console.log([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15));
  assert.ok(loaded > 0 && refused > 0);
});
