import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DType, makeModel, saveModel } from '../onnx/index.js';
import { main } from './main.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkgVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

async function run(...argv: string[]) {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('cnnlens main', () => {
  let dir: string;
  let model: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnnlens-main-'));
    model = join(dir, 'm.onnx');
    writeFileSync(model, saveModel(makeModel({
      nodes: [{ name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attributes: [] }],
      inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: [1, 3] } }],
      outputs: [{ name: 'y', type: { elemType: DType.FLOAT, shape: [1, 3] } }],
    })));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help and version', async () => {
    const h = await run('--help');
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Usage: cnnlens <command>/);
    assert.match(h.stdout, /\n {2}info {6}/);
    assert.match(h.stdout, /\n {2}gradient {2}/);
    assert.deepEqual(await run('--version'), { code: 0, stdout: `${pkgVersion}\n`, stderr: '' });
    assert.equal((await run('-v')).stdout, `${pkgVersion}\n`);
    for (const argv of [['info', '--help'], ['help', 'info'], ['info', '-h']]) {
      const r = await run(...argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: cnnlens info \[MODEL\]/);
    }
    const g = await run('gradient', '--help');
    assert.equal(g.code, 0);
    assert.match(g.stdout, /^Usage: cnnlens gradient --model/);
  });

  it('exits 2 on bad usage, with a one-line error', async () => {
    const none = await run();
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: cnnlens/);
    const unknown = await run('explian');
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /^error \[USAGE\]: unknown command 'explian'; commands are: explain, info, gradient, .*\. Run 'cnnlens --help'\.\n$/);
    assert.equal((await run('--frob')).code, 2);
    assert.equal((await run('toString')).code, 2, 'object prototype names are not commands');
    const missing = await run('gradient', '--model', model);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error \[USAGE\]: cnnlens gradient needs --input/);
  });

  it('exits 1 on typed errors, printing code and message without a stack', async () => {
    const r = await run('info', join(dir, 'missing.onnx'));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error [IO]: model file '${join(dir, 'missing.onnx')}' does not exist.\n`);
    assert.equal(r.stdout, '');
  });

  it('runs info', async () => {
    const r = await run('info', model);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\n {2}y +Relu +float32 +\[1, 3\]\n/);
  });

  const bin = join(root, 'bin', 'cnnlens.js');
  const built = existsSync(join(root, 'dist', 'cli', 'main.js'));
  it('works as an installed command (bin/cnnlens.js on dist/)', { skip: built ? false : "needs the build output: run 'npm run build'" }, () => {
    const ok = spawnSync(process.execPath, [bin, 'info', model], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /producer {2}cnnlens/);
    const bad = spawnSync(process.execPath, [bin, 'info', join(dir, 'missing.onnx')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^error \[IO\]: model file .* does not exist\.\n$/);
    const usage = spawnSync(process.execPath, [bin, 'info', '--nope'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^error \[USAGE\]: Unknown option '--nope'/);
    const v = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    assert.equal(v.stdout, `${pkgVersion}\n`);
  });
});
