/** Inputs the fuzzers found that once crashed a reader with an untyped error; each must now fail typed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CnnlensError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/onnx/load.js';
import { loadImageModel } from '../../src/model/load-file.js';

const example = () => loadModel(new Uint8Array(readFileSync(new URL('../../examples/tiny-cnn.onnx', import.meta.url))));

test('an ONNX model whose cnnlens.labels metadata is not JSON, or not a list of strings, is refused with ONNX_PARSE', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlens-regress-'));
  try {
    for (const value of ['}_GCp', '{"a": 1}', '[1, 2]']) {
      const path = join(dir, 'm.onnx');
      writeFileSync(path, saveModel({ ...example(), metadata: [{ key: 'cnnlens.labels', value }] }));
      await assert.rejects(loadImageModel(path), (e) => e instanceof CnnlensError && e.code === 'ONNX_PARSE' && /cnnlens\.labels/.test(e.message));
    }
    const path = join(dir, 'ok.onnx');
    writeFileSync(path, saveModel({ ...example(), metadata: [{ key: 'cnnlens.labels', value: JSON.stringify(Array.from({ length: 10 }, (_, i) => `c${i}`)) }] }));
    assert.equal((await loadImageModel(path)).model.labels?.[3], 'c3');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
