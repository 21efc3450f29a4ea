/**
 * The Node HDF5 reader (`WorkerHdf5Reader`): files that hang or trap h5wasm end in a MODEL_FORMAT error
 * and the next read, in a fresh worker, works; `loadImageModel` reads `.h5` and `.keras` through it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CnnlensError } from '../../src/errors.js';
import { h5Source } from '../../src/import/h5.js';
import { WorkerHdf5Reader } from '../../src/import/h5-in-worker.js';
import { kerasFileSource } from '../../src/import/keras-file.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { expectedWeights, kerasH5Bytes, kerasZipBytes, sequentialAroundBase, tfjsCpu } from '../util/keras-fixtures.js';

await tfjsCpu();
const model = sequentialAroundBase();
const good = await kerasH5Bytes(model);
const goodZip = await kerasZipBytes(model);
// an attribute type nested 40 deep: h5wasm works on it for hours (see test/fixtures/hdf5/README.md)
const HANG = 'nested-array-type.h5';
const hang = new Uint8Array(readFileSync(new URL(`../fixtures/hdf5/${HANG}`, import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'cnnlens-h5-worker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function isFormatError(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof CnnlensError, `a CnnlensError, got ${String(e)}`);
    assert.equal(e.code, 'MODEL_FORMAT');
    assert.match(e.message, pattern);
    return true;
  };
}

async function assertReadsGood(reader: WorkerHdf5Reader): Promise<void> {
  const source = await h5Source(good, { reader });
  const dense = expectedWeights(model).find((e) => e.path[0] === 'predictions')!;
  assert.deepEqual(source.weights.layerWeights(['predictions'])[0]!.data, dense.weights[0]!.data);
}

test('h5 worker: a file that hangs h5wasm is stopped at the time limit, and the next read works in a fresh worker', { timeout: 120_000 }, async () => {
  const reader = new WorkerHdf5Reader({ timeoutMs: 2_000 });
  try {
    await assertReadsGood(reader);
    assert.equal(reader.started, 1);
    const t = performance.now();
    await assert.rejects(h5Source(hang, { reader, name: HANG }), isFormatError(/^the HDF5 reader did not finish 'nested-array-type\.h5' within 2\.0 s and was stopped; the file is damaged or not a Keras model file — re-save it with model\.save\(\.\.\.\) \(.*CNNLENS_HDF5_TIMEOUT_MS\)$/));
    assert.ok(performance.now() - t < 10_000);
    await assertReadsGood(reader);
    assert.equal(reader.started, 2);
    const source = await kerasFileSource(goodZip, { reader });
    assert.equal(source.weights.layerWeights(['predictions']).length, 2);
    assert.equal(reader.started, 2);
  } finally {
    await reader.close();
  }
});

test('h5 worker: a WebAssembly trap ends the worker with a typed error, and the next read works', { timeout: 120_000 }, async () => {
  // h5wasm leaks on every file it fails to open; after about 2,000 its instance traps. Without
  // recycling, that gives a trap on a damaged file here.
  const reader = new WorkerHdf5Reader({ recycleAfterFailures: Infinity });
  const truncated = good.slice(0, 3000);
  let trap: CnnlensError | undefined;
  try {
    for (let i = 0; i < 5000 && trap === undefined; i++) {
      try {
        await h5Source(truncated, { reader, name: 'truncated.h5' });
        assert.fail('a truncated file was read');
      } catch (e) {
        assert.ok(e instanceof CnnlensError && e.code === 'MODEL_FORMAT', String(e));
        if (e.message.startsWith('the HDF5 reader stopped')) trap = e;
      }
    }
    assert.ok(trap !== undefined, 'h5wasm trapped');
    assert.match(trap.message, /^the HDF5 reader stopped on 'truncated\.h5' \(WebAssembly trap: .+\); the file is damaged or not a Keras model file — re-save it with model\.save\(\.\.\.\)$/);
    await assertReadsGood(reader);
    assert.equal(reader.started, 2);
  } finally {
    await reader.close();
  }
});

test('h5 worker: by default a worker is replaced before the leak makes it trap on a good file', { timeout: 120_000 }, async () => {
  const reader = new WorkerHdf5Reader();
  const truncated = good.slice(0, 3000);
  try {
    for (let i = 0; i < 2500; i++) {
      await assert.rejects(h5Source(truncated, { reader }), isFormatError(/^the \.h5 file cannot be opened as HDF5/));
    }
    await assertReadsGood(reader);
    assert.equal(reader.started, 3);
  } finally {
    await reader.close();
  }
});

test('h5 worker: loadImageModel reads .h5 and .keras in the worker, with $CNNLENS_HDF5_TIMEOUT_MS as its limit', { timeout: 120_000 }, async () => {
  const h5Path = join(dir, 'model.h5');
  const kerasPath = join(dir, 'model.keras');
  const hangPath = join(dir, HANG);
  writeFileSync(h5Path, good);
  writeFileSync(kerasPath, goodZip);
  writeFileSync(hangPath, hang);
  const before = process.env.CNNLENS_HDF5_TIMEOUT_MS;
  process.env.CNNLENS_HDF5_TIMEOUT_MS = '1500';
  try {
    await assert.rejects(loadImageModel(hangPath), isFormatError(/did not finish 'nested-array-type\.h5' within 1\.5 s/));
    const h5 = await loadImageModel(h5Path);
    assert.ok(h5.notes.some((n) => n.includes('Keras .h5')));
    const keras = await loadImageModel(kerasPath);
    assert.ok(keras.notes.some((n) => n.includes('Keras 3 .keras')));
  } finally {
    if (before === undefined) delete process.env.CNNLENS_HDF5_TIMEOUT_MS;
    else process.env.CNNLENS_HDF5_TIMEOUT_MS = before;
  }
});
