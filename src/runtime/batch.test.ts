import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { DType, GraphEditor, attrs, floatTensor, makeModel, saveModel } from '../onnx/index.js';
import { hostTensor, type HostTensor, type RuntimeSession } from './backend.js';
import { ACTIVATION_FACTOR, chunkSize, runBatched } from './batch.js';
import { nodeBackend } from './node-backend.js';

/**
 * x [N,3,6,6] → Conv(4 filters, 3×3, pad 1, bias) → Relu → × m [N,4,6,6] × s [1] → out,
 * plus pooled = GlobalAveragePool(out) [N,4,1,1] and wcopy = Identity(w) (no batch dim).
 */
function model(): Uint8Array {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const base = makeModel({
    nodes: [],
    inputs: [
      { name: 'x', type: { elemType: DType.FLOAT, shape: ['N', 3, 6, 6] } },
      { name: 'm', type: { elemType: DType.FLOAT, shape: ['N', 4, 6, 6] } },
      { name: 's', type: { elemType: DType.FLOAT, shape: [1] } },
    ],
    outputs: [],
    initializers: [floatTensor('w', [4, 3, 3, 3], Array.from({ length: 108 }, rnd)), floatTensor('b', [4], [0.1, -0.2, 0.3, 0])],
  });
  const ed = new GraphEditor(base.graph);
  const conv = ed.op('Conv', ['x', 'w', 'b'], [attrs.ints('pads', [1, 1, 1, 1]), attrs.ints('kernel_shape', [3, 3])], 'conv');
  const relu = ed.op('Relu', [conv]);
  const masked = ed.op('Mul', [relu, 'm']);
  ed.add({ opType: 'Mul', inputs: [masked, 's'], outputs: ['out'] });
  ed.add({ opType: 'GlobalAveragePool', inputs: ['out'], outputs: ['pooled'] });
  ed.add({ opType: 'Identity', inputs: ['w'], outputs: ['wcopy'] });
  ed.outputs = [
    { name: 'out', type: { elemType: DType.FLOAT, shape: ['N', 4, 6, 6] } },
    { name: 'pooled', type: { elemType: DType.FLOAT, shape: ['N', 4, 1, 1] } },
    { name: 'wcopy', type: { elemType: DType.FLOAT, shape: [4, 3, 3, 3] } },
  ];
  return saveModel({ ...base, graph: ed.build() });
}

const N = 7;
function feeds(): Record<string, HostTensor> {
  const x = new Float32Array(N * 3 * 36).map((_, i) => Math.sin(i * 0.37) * 2);
  const m = new Float32Array(N * 4 * 36).map((_, i) => (i % 5) / 4);
  return {
    x: hostTensor('float32', [N, 3, 6, 6], x),
    m: hostTensor('float32', [N, 4, 6, 6], m),
    s: hostTensor('float32', [1], new Float32Array([1.5])),
  };
}

function bitsEqual(a: HostTensor, b: HostTensor, what: string): void {
  assert.deepEqual(a.dims, b.dims, what);
  assert.equal(a.type, b.type, what);
  const ua = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const ub = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  assert.ok(Buffer.from(ua).equals(Buffer.from(ub)), `${what}: chunked and unchunked results differ`);
}

const batched = ['x', 'm'];

describe('runBatched', () => {
  let session: RuntimeSession;
  let whole: Record<string, HostTensor>;
  before(async () => {
    session = await nodeBackend.createSession(model(), { threads: 2 });
    whole = await session.run(feeds(), ['out', 'pooled']);
  });
  after(async () => {
    await session.release();
  });

  it('gives bitwise the same outputs as one big run, for every chunk size', async () => {
    for (const maxBatch of [1, 2, 3, 4, 6, 7, 100]) {
      const r = await runBatched(session, feeds(), { batchedInputs: batched, fetch: ['out', 'pooled'], maxBatch });
      bitsEqual(r.out!, whole.out!, `out, maxBatch ${maxBatch}`);
      bitsEqual(r.pooled!, whole.pooled!, `pooled, maxBatch ${maxBatch}`);
    }
  });

  it('splits by the memory budget and reports progress', async () => {
    const f = feeds();
    const progress: [number, number][] = [];
    // 300 bytes per example, 1000-byte budget: chunks of 3
    const opts = { batchedInputs: batched, fetch: ['out'], bytesPerExample: 300, memoryBudgetBytes: 1000, onProgress: (d: number, t: number) => progress.push([d, t]) };
    assert.equal(chunkSize(f, opts), 3);
    const r = await runBatched(session, f, opts);
    assert.deepEqual(progress, [[3, 7], [6, 7], [7, 7]]);
    bitsEqual(r.out!, whole.out!, 'out');
  });

  it('estimates bytes per example from the batched inputs when not given', () => {
    const f = feeds();
    const perExample = (3 * 36 + 4 * 36) * 4 * ACTIVATION_FACTOR;
    assert.equal(chunkSize(f, { batchedInputs: batched, memoryBudgetBytes: perExample * 2 }), 2);
    assert.equal(chunkSize(f, { batchedInputs: batched }), N);
    assert.equal(chunkSize(f, { batchedInputs: batched, memoryBudgetBytes: 1 }), 1, 'never below one example');
  });

  it('fetches all outputs by default; unbatched outputs come from the first chunk', async () => {
    await assert.rejects(
      runBatched(session, feeds(), { batchedInputs: batched, maxBatch: 2 }),
      (e: unknown) => e instanceof CnnlensError && e.code === 'SHAPE' && /'wcopy'.*unbatchedOutputs/.test(e.message),
    );
    // the same error whether or not the batch is split
    await assert.rejects(runBatched(session, feeds(), { batchedInputs: batched }), (e: unknown) => e instanceof CnnlensError && e.code === 'SHAPE');
    const r = await runBatched(session, feeds(), { batchedInputs: batched, maxBatch: 2, unbatchedOutputs: ['wcopy'] });
    assert.deepEqual(Object.keys(r).sort(), ['out', 'pooled', 'wcopy']);
    assert.deepEqual(r.wcopy!.dims, [4, 3, 3, 3]);
    bitsEqual(r.out!, whole.out!, 'out');
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      runBatched(session, feeds(), {
        batchedInputs: batched,
        fetch: ['out'],
        maxBatch: 2,
        signal: ac.signal,
        onProgress: (done) => {
          seen.push(done);
          if (done >= 4) ac.abort();
        },
      }),
      (e: unknown) => e instanceof Error && e.name === 'AbortError',
    );
    assert.deepEqual(seen, [2, 4]);
    const pre = new AbortController();
    pre.abort(new Error('stopped by caller'));
    await assert.rejects(runBatched(session, feeds(), { batchedInputs: batched, fetch: ['out'], signal: pre.signal }), /stopped by caller/);
  });

  it('rejects inconsistent batches and bad options with typed errors', async () => {
    const f = feeds();
    const code = (c: string) => (e: unknown) => e instanceof CnnlensError && e.code === c;
    await assert.rejects(runBatched(session, { ...f, m: hostTensor('float32', [6, 4, 6, 6], f.m!.data.subarray(0, 6 * 144)) }, { batchedInputs: batched }), code('INPUT_SHAPE'));
    await assert.rejects(runBatched(session, f, { batchedInputs: ['x', 'nope'] }), code('TENSOR_NOT_FOUND'));
    await assert.rejects(runBatched(session, f, { batchedInputs: ['s', 'x'] }), code('INPUT_SHAPE'));
    await assert.rejects(runBatched(session, f, { batchedInputs: batched, maxBatch: 0 }), code('USAGE'));
    await assert.rejects(runBatched(session, f, { batchedInputs: batched, fetch: ['out'], unbatchedOutputs: ['wcopy'] }), code('TENSOR_NOT_FOUND'));
  });
});
