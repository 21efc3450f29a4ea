import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { hostTensor } from '../runtime/backend.js';
import { readNpyFile, writeNpyFileAtomic } from './npy-file.js';
import { writeNpy } from './npy.js';

const PYTHON = '/usr/bin/python3';
const numpyMissing = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
  return r.status === 0 ? false : `needs NumPy: ${PYTHON} -c 'import numpy' failed (install python3-numpy to run it)`;
})();

function python(code: string, dir: string): string {
  return execFileSync(PYTHON, ['-c', code], { cwd: dir, encoding: 'utf8' });
}

async function rejectsNpy(p: Promise<unknown>, pattern: RegExp, code = 'NPY'): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof CnnlensError && e.code === code && pattern.test(e.message));
}

describe('npy files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnnlens-npy-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes atomically, overwrites, and leaves no temporary files', async () => {
    const path = join(dir, 'a.npy');
    await writeNpyFileAtomic(path, hostTensor('float32', [2], new Float32Array([1, 2])));
    await writeNpyFileAtomic(path, { dtype: 'int32', shape: [3], data: new Int32Array([7, 8, 9]) });
    const back = await readNpyFile(path);
    assert.equal(back.dtype, 'int32');
    assert.deepEqual([...back.data], [7, 8, 9]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.')), []);
  });

  it('reports missing files and directories, and cleans up after a failed write', async () => {
    await rejectsNpy(readNpyFile(join(dir, 'missing.npy')), /does not exist/, 'IO');
    await rejectsNpy(readNpyFile(dir), /is a directory/, 'IO');
    await rejectsNpy(writeNpyFileAtomic(join(dir, 'no', 'such', 'dir.npy'), hostTensor('uint8', [1], new Uint8Array(1))), /directory .* does not exist/, 'IO');
    const sub = join(dir, 'taken');
    mkdirSync(sub);
    await rejectsNpy(writeNpyFileAtomic(sub, hostTensor('uint8', [1], new Uint8Array(1))), /cannot write/, 'IO');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('prefixes format errors with the path', async () => {
    const path = join(dir, 'bad.npy');
    writeFileSync(path, 'not numpy at all');
    await rejectsNpy(readNpyFile(path), /bad\.npy: not a \.npy file/);
  });

  it('reads files written by NumPy', { skip: numpyMissing }, async () => {
    const sub = mkdtempSync(join(dir, 'py-'));
    python(
      `
import numpy as np
from numpy.lib import format as f
a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
np.save('f4.npy', a)
np.save('f8.npy', a.astype(np.float64) * np.pi)
np.save('i8.npy', np.array([-2**63, 2**63 - 1, 0], dtype=np.int64))
np.save('i4.npy', np.array([[1, -2], [3, -4]], dtype=np.int32))
np.save('u1.npy', np.array([0, 255, 17], dtype=np.uint8))
np.save('b1.npy', np.array([True, False, True]))
np.save('scalar.npy', np.float32(2.5))
np.save('empty.npy', np.zeros((0, 3), np.float32))
np.save('be.npy', np.array([1.5, -2.25], dtype='>f4'))
np.save('be8.npy', np.array([123456789012], dtype='>i8'))
np.save('fortran.npy', np.asfortranarray(a[0]))
np.save('half.npy', np.zeros(2, np.float16))
np.save('sliced.npy', a[:, ::2, :])  # non-contiguous input: np.save writes it in C order
for v in [(2, 0), (3, 0)]:
    with open('v%d.npy' % v[0], 'wb') as fh:
        f.write_array(fh, a, version=v)
`,
      sub,
    );
    const p = (n: string) => join(sub, n);
    const f4 = await readNpyFile(p('f4.npy'));
    assert.equal(f4.dtype, 'float32');
    assert.deepEqual(f4.shape, [2, 3, 4]);
    assert.deepEqual([...f4.data], Array.from({ length: 24 }, (_, i) => Math.fround(Math.fround(i) / 7)));
    const f8 = await readNpyFile(p('f8.npy'));
    assert.equal(f8.dtype, 'float64');
    assert.equal(f8.data[23], Math.fround(23 / 7) * Math.PI);
    assert.deepEqual([...(await readNpyFile(p('i8.npy'))).data], [-(2n ** 63n), 2n ** 63n - 1n, 0n]);
    const i4 = await readNpyFile(p('i4.npy'));
    assert.deepEqual([i4.dtype, i4.shape, [...i4.data]], ['int32', [2, 2], [1, -2, 3, -4]]);
    assert.deepEqual([...(await readNpyFile(p('u1.npy'))).data], [0, 255, 17]);
    const b1 = await readNpyFile(p('b1.npy'));
    assert.deepEqual([b1.dtype, [...b1.data]], ['bool', [1, 0, 1]]);
    const sc = await readNpyFile(p('scalar.npy'));
    assert.deepEqual([sc.shape, [...sc.data]], [[], [2.5]]);
    const em = await readNpyFile(p('empty.npy'));
    assert.deepEqual([em.shape, em.data.length], [[0, 3], 0]);
    assert.deepEqual([...(await readNpyFile(p('be.npy'))).data], [1.5, -2.25]);
    assert.deepEqual([...(await readNpyFile(p('be8.npy'))).data], [123456789012n]);
    await rejectsNpy(readNpyFile(p('fortran.npy')), /Fortran.*np\.ascontiguousarray/);
    await rejectsNpy(readNpyFile(p('half.npy')), /'<f2' is not supported/);
    const sl = await readNpyFile(p('sliced.npy'));
    assert.deepEqual(sl.shape, [2, 2, 4]);
    assert.equal(sl.data[4], Math.fround(Math.fround(8) / 7));
    for (const v of ['v2.npy', 'v3.npy']) assert.deepEqual([...(await readNpyFile(p(v))).data], [...f4.data], v);
  });

  it('writes files NumPy reads, byte for byte as np.save would', { skip: numpyMissing }, async () => {
    const sub = mkdtempSync(join(dir, 'js-'));
    const arrays = {
      f4: hostTensor('float32', [2, 3], new Float32Array([1, 2, 3, 4, 5, -6.5])),
      f8: hostTensor('float64', [1], new Float64Array([Math.E])),
      i8: hostTensor('int64', [2], new BigInt64Array([-(2n ** 63n), 42n])),
      i4: hostTensor('int32', [], new Int32Array([-3])),
      u1: hostTensor('uint8', [2, 1, 1], new Uint8Array([200, 1])),
      b1: hostTensor('bool', [3], new Uint8Array([0, 1, 1])),
      empty: hostTensor('float32', [0], new Float32Array(0)),
    };
    for (const [name, t] of Object.entries(arrays)) await writeNpyFileAtomic(join(sub, `${name}.npy`), t);
    const out = python(
      `
import numpy as np, io, json
res = {}
for n in ${JSON.stringify(Object.keys(arrays))}:
    a = np.load(n + '.npy')
    b = io.BytesIO(); np.save(b, a)
    same = b.getvalue() == open(n + '.npy', 'rb').read()
    res[n] = [a.dtype.str, list(a.shape), [int(x) if a.dtype.kind in 'iub' else float(x) for x in a.ravel()], same]
print(json.dumps(res))
`,
      sub,
    );
    const res = JSON.parse(out) as Record<string, [string, number[], number[], boolean]>;
    assert.deepEqual(res.f4, ['<f4', [2, 3], [1, 2, 3, 4, 5, -6.5], true]);
    assert.deepEqual(res.f8, ['<f8', [1], [Math.E], true]);
    assert.deepEqual(res.i8!.slice(0, 2), ['<i8', [2]]);
    assert.equal(res.i8![3], true);
    assert.deepEqual(res.i4, ['<i4', [], [-3], true]);
    assert.deepEqual(res.u1, ['|u1', [2, 1, 1], [200, 1], true]);
    assert.deepEqual(res.b1, ['|b1', [3], [0, 1, 1], true]);
    assert.deepEqual(res.empty, ['<f4', [0], [], true]);
    // and the bytes we write equal the bytes np.save writes for the same array
    assert.deepEqual(writeNpy(arrays.f4), new Uint8Array(execFileSync(PYTHON, ['-c', "import numpy as np, sys, io; b = io.BytesIO(); np.save(b, np.array([[1, 2, 3], [4, 5, -6.5]], np.float32)); sys.stdout.buffer.write(b.getvalue())"])));
  });
});
