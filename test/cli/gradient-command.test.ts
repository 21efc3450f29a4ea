/**
 * `cnnlens gradient` as a user runs it (the built bin/cnnlens.js in a child process): a real run whose
 * result matches the library, and bad inputs that end in a one-line typed error, never a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '../../src/data/npy.js';
import { writeNpy } from '../../src/data/npy.js';
import { saveModel } from '../../src/onnx/load.js';
import { TestGraph, attrs } from '../util/build.js';
import { relErr } from '../util/ort.js';
import { differentiate } from '../../src/autodiff/differentiate.js';
import { loadModelFile } from '../../src/onnx/load-file.js';
import { run, session } from '../util/ort.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/cnnlens.js');
const built = existsSync(join(root, 'dist/cli/main.js'));
const dir = mkdtempSync(join(tmpdir(), 'cnnlens-cli-'));
const model = join(root, 'examples/tiny-cnn.onnx');
const input = join(root, 'examples/chelsea-64.npy');

function cnnlens(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('gradient on the bundled model equals the library\'s gradient graph run directly', { skip: !built && 'needs npm run build' }, async () => {
  const out = join(dir, 'g.npy');
  const r = cnnlens('gradient', '--model', model, '--input', input, '--target', '3', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /d logits\[3\] \/ d input, standard rules/);
  const g = readNpy(new Uint8Array(readFileSync(out)));
  assert.deepEqual(g.shape, [1, 3, 64, 64]);
  // the same gradient through ONNX Runtime directly, with an explicit one-hot seed
  const d = differentiate(loadModelFile(model), { wrt: ['input'], seeds: ['logits'] });
  const x = readNpy(new Uint8Array(readFileSync(input)));
  const seed = new Array(10).fill(0);
  seed[3] = 1;
  const ref = await run(await session(d.model), { input: { dims: x.shape, data: x.data as Float32Array }, 'seed:logits': { dims: [1, 10], data: seed } }, 'float32');
  assert.ok(relErr(g.data as Float32Array, ref['grad:input']!.data) < 1e-6);
  assert.ok((g.data as Float32Array).some((v) => v !== 0));
});

test('bad inputs end in a typed one-line error with exit code 1', { skip: !built && 'needs npm run build' }, () => {
  const bytes = readFileSync(model);
  writeFileSync(join(dir, 'truncated.onnx'), bytes.subarray(0, bytes.length >> 1));
  writeFileSync(join(dir, 'text.onnx'), 'this is not a model\n');
  const g = new TestGraph('float32');
  const x = g.input('input', [1, 2, 4, 4]);
  const y = g.op('Flatten', [g.op('GlobalAveragePool', [g.op('Sin', [g.op('Conv', [x, g.weight([3, 2, 1, 1])])])])]);
  writeFileSync(join(dir, 'sin.onnx'), saveModel(g.model(y)));
  writeFileSync(join(dir, 'small.npy'), writeNpy({ type: 'float32', dims: [1, 2, 4, 4], data: new Float32Array(32).fill(0.5) }));
  writeFileSync(join(dir, 'wrong.npy'), writeNpy({ type: 'float32', dims: [1, 3, 32, 32], data: new Float32Array(3 * 32 * 32) }));
  const cases: [string[], string, RegExp][] = [
    [['--model', join(dir, 'truncated.onnx'), '--input', input], 'ONNX_PARSE', /truncated/],
    [['--model', join(dir, 'text.onnx'), '--input', input], 'ONNX_PARSE', /not a valid ONNX model|not an ONNX model/],
    [['--model', join(dir, 'sin.onnx'), '--input', join(dir, 'small.npy'), '--target', '0'], 'NO_GRADIENT_RULE', /op 'Sin' \(node '.*'\)/],
    [['--model', model, '--input', join(dir, 'wrong.npy')], 'INPUT_SHAPE', /\[1, 3, 32, 32\].*\[N, 3, 64, 64\]/],
    [['--model', model, '--input', input, '--wrt', 'block9/relu'], 'TENSOR_NOT_FOUND', /'block9\/relu'.*cnnlens info/],
  ];
  for (const [args, code, pattern] of cases) {
    const full = args.includes('--target') ? args : [...args, '--target', '0'];
    const r = cnnlens('gradient', ...full, '--out', join(dir, 'out.npy'));
    assert.equal(r.code, 1, `${code}: ${r.err}`);
    assert.match(r.err, new RegExp(`^error \\[${code}\\]: `));
    assert.match(r.err, pattern);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});
