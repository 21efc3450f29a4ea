import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { DType, attrs, floatTensor, makeModel, saveModel } from '../onnx/index.js';
import { hostTensor, type RuntimeSession } from './backend.js';
import { availableParallelism } from 'node:os';
import { cleanOrtMessage, nodeBackend, ortSessionOptions } from './node-backend.js';

/** x [N,1,4,4] → Conv(2 filters, 3×3, pad 1) → y → Relu → z */
function convModel(): Uint8Array {
  const w = Array.from({ length: 18 }, (_, i) => (i - 9) / 10);
  return saveModel(
    makeModel({
      nodes: [
        { name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: [attrs.ints('pads', [1, 1, 1, 1])] },
        { name: 'relu', opType: 'Relu', domain: '', inputs: ['y'], outputs: ['z'], attributes: [] },
      ],
      inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: ['N', 1, 4, 4] } }],
      outputs: [
        { name: 'z', type: { elemType: DType.FLOAT, shape: ['N', 2, 4, 4] } },
        { name: 'y', type: { elemType: DType.FLOAT, shape: ['N', 2, 4, 4] } },
      ],
      initializers: [floatTensor('w', [2, 1, 3, 3], w)],
    }),
  );
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<CnnlensError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CnnlensError, `expected a CnnlensError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected a ${code} error`);
}

describe('nodeBackend', () => {
  let s: RuntimeSession;
  before(async () => {
    s = await nodeBackend.createSession(convModel(), { threads: 1 });
  });
  after(async () => {
    await s.release();
  });

  it('reports names and metadata', () => {
    assert.deepEqual(s.inputNames, ['x']);
    assert.deepEqual(s.outputNames, ['z', 'y']);
    assert.deepEqual(s.inputMetadata, [{ name: 'x', type: 'float32', shape: ['N', 1, 4, 4] }]);
  });

  it('runs, fetches a subset, and matches a hand computation', async () => {
    const x = new Float32Array(16);
    x[5] = 1; // a single one at (1, 1)
    const r = await s.run({ x: hostTensor('float32', [1, 1, 4, 4], x) }, ['y']);
    assert.deepEqual(Object.keys(r), ['y']);
    const y = r.y!;
    assert.equal(y.type, 'float32');
    assert.deepEqual(y.dims, [1, 2, 4, 4]);
    // y[o, i, j] = sum_{a,b} w[o,0,a,b] x[i+a-1, j+b-1]; with x = e(1,1): y[o,i,j] = w[o,0,2-i,2-j] for i,j in 0..2
    const w = (o: number, a: number, b: number) => Math.fround((o * 9 + a * 3 + b - 9) / 10);
    for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      assert.equal(y.data[o * 16 + i * 4 + j], w(o, 2 - i, 2 - j));
    }
  });

  it('accepts subarray views without copying them first', async () => {
    const big = new Float32Array(48).map((_, i) => i / 7);
    const view = big.subarray(16, 32);
    const a = await s.run({ x: hostTensor('float32', [1, 1, 4, 4], view) }, ['z']);
    const b = await s.run({ x: hostTensor('float32', [1, 1, 4, 4], view.slice()) }, ['z']);
    assert.deepEqual(a.z!.data, b.z!.data);
  });

  it('maps wrong dims, rank and type to INPUT_SHAPE with expected vs given', async () => {
    const e = await rejectsWith(s.run({ x: hostTensor('float32', [1, 1, 3, 3], new Float32Array(9)) }), 'INPUT_SHAPE');
    assert.match(e.message, /expected float32 \[N, 1, 4, 4\], given float32 \[1, 1, 3, 3\]/);
    await rejectsWith(s.run({ x: hostTensor('float32', [16], new Float32Array(16)) }), 'INPUT_SHAPE', /given float32 \[16\]/);
    await rejectsWith(s.run({ x: hostTensor('float64', [1, 1, 4, 4], new Float64Array(16)) }), 'INPUT_SHAPE', /expected float32.*given float64/);
    await rejectsWith(s.run({ x: hostTensor('float32', [1, 1, 4, 4], new Float32Array(15)) }), 'INPUT_SHAPE', /16 values\) but 15/);
    await rejectsWith(s.run({ x: hostTensor('float32', [1, 1, 4, 4], new Float64Array(16)) }), 'INPUT_SHAPE', /declared float32/);
    await rejectsWith(s.run({}), 'INPUT_SHAPE', /needs input 'x' \(float32 \[N, 1, 4, 4\]\)/);
  });

  it('maps unknown feed and fetch names to TENSOR_NOT_FOUND', async () => {
    const x = hostTensor('float32', [1, 1, 4, 4], new Float32Array(16));
    await rejectsWith(s.run({ x, q: x }), 'TENSOR_NOT_FOUND', /'q' is not an input.*inputs are: x/);
    await rejectsWith(s.run({ x }, ['nope']), 'TENSOR_NOT_FOUND', /'nope' is not an output.*outputs are: z, y/);
  });

  it('maps session creation failures to RUNTIME with advice', async () => {
    await rejectsWith(nodeBackend.createSession(new Uint8Array([1, 2, 3])), 'RUNTIME', /^ONNX Runtime cannot run this graph: .*not a readable ONNX model/);
    const unknownOp = makeModel({
      nodes: [{ name: 'f', opType: 'FooOp', domain: '', inputs: ['x'], outputs: ['y'], attributes: [] }],
      inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: [1] } }],
      outputs: [{ name: 'y', type: { elemType: DType.FLOAT, shape: [1] } }],
    });
    await rejectsWith(nodeBackend.createSession(saveModel(unknownOp)), 'RUNTIME', /FooOp.*does not implement/);
    await rejectsWith(nodeBackend.createSession(convModel(), { threads: 0 }), 'USAGE');
  });

  it('release is idempotent and a released session fails clearly', async () => {
    const t = await nodeBackend.createSession(convModel());
    await t.release();
    await t.release();
    await Promise.all([t.release(), t.release()]);
    await rejectsWith(t.run({ x: hostTensor('float32', [1, 1, 4, 4], new Float32Array(16)) }), 'RUNTIME', /released/);
  });

  it('creates sessions on all cores, without spinning threads, fully optimized', () => {
    const o = ortSessionOptions(undefined);
    assert.equal(o.intraOpNumThreads, availableParallelism());
    assert.equal(ortSessionOptions({ threads: 3 }).intraOpNumThreads, 3);
    assert.deepEqual(o.extra, { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } });
    assert.equal(o.graphOptimizationLevel, 'all');
    assert.deepEqual(o.executionProviders, ['cpu']);
  });

  it('cleans ORT source locations from messages', () => {
    const raw = "/onnxruntime_src/onnxruntime/core/graph/model_load_utils.h:46 void onnxruntime::model_load_utils::ValidateOpsetForDomain(const std::unordered_map<std::__cxx11::basic_string<char>, int>&, const onnxruntime::logging::Logger&, bool, const std::string&, int) ONNX Runtime only *guarantees* support for models stamped with official released onnx opset versions.\n";
    assert.equal(cleanOrtMessage(raw), 'ONNX Runtime only *guarantees* support for models stamped with official released onnx opset versions.');
    assert.equal(cleanOrtMessage('plain message'), 'plain message');
  });
});
