/**
 * `cnnlens diff` as a user runs it (main() in-process, its output captured): the MNIST CNN against a
 * copy whose last conv layer's weights are perturbed (written here with the project's ONNX IR) on
 * mnist:test, producing every promised file with sane numbers; the MNIST CNN against the Fashion-MNIST
 * CNN (ten classes each, different meanings): refused without --target, allowed with a class index
 * and a warning, refused for a name only one model knows; a missing second model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { main } from '../../src/cli/main.js';
import { readNpy } from '../../src/data/npy.js';
import { loadModelFile } from '../../src/onnx/load-file.js';
import { saveModel } from '../../src/onnx/load.js';
import { floatTensor, tensorValues } from '../../src/onnx/tensor.js';
import { Random } from '../../src/util/random.js';

const root = new URL('../../', import.meta.url).pathname;
const mnist = join(root, 'models/mnist-cnn.onnx');
const fashion = join(root, 'models/fashion-mnist-cnn.onnx');
const cat = join(root, 'examples/images/chelsea.png');
const dir = mkdtempSync(join(tmpdir(), 'cnnlens-diff-'));

async function cnnlens(...argv: string[]) {
  const io = { out: '', err: '' };
  const code = await main(argv, { out: (t) => void (io.out += t), err: (t) => void (io.err += t) });
  return { code, ...io };
}

/** The MNIST CNN with its last conv layer's weights multiplied by (1 + 0.5 n), n standard normal. */
function perturbedCopy(): string {
  const model = loadModelFile(mnist);
  const conv = model.graph.nodes.filter((n) => n.opType === 'Conv').at(-1)!;
  const weight = conv.inputs[1]!;
  const r = new Random(11);
  const initializers = model.graph.initializers.map((t) => (t.name === weight ? floatTensor(t.name, t.dims, tensorValues(t).map((v) => v * (1 + 0.5 * r.normal()))) : t));
  const path = join(dir, 'mnist-perturbed.onnx');
  writeFileSync(path, saveModel({ ...model, graph: { ...model.graph, initializers } }));
  copyFileSync(`${mnist}.cnnlens.json`, `${path}.cnnlens.json`);
  return path;
}

test('diff of the MNIST CNN and a perturbed copy on mnist:test: figures, difference maps, diff.json, diff.md, a summary', { timeout: 300_000 }, async () => {
  const b = perturbedCopy();
  const out = join(dir, 'perturbed');
  const r = await cnnlens('diff', '--model', mnist, '--model', b, '--data', 'mnist:test', '--limit', '6', '--method', 'gradcam,saliency', '--out', out, '--threads', '1');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /diff: \[6\/6\] mnist:test\[5\]/);
  assert.match(r.out, /top prediction changed on \d of 6/);
  assert.match(r.out, /gradcam: rank correlation -?\d\.\d{3} .*changed most: mnist:test\[\d\]/);
  const report = JSON.parse(readFileSync(join(out, 'diff.json'), 'utf8'));
  assert.equal(report.pictures.length, 6);
  assert.deepEqual(report.methods, ['gradcam', 'saliency']);
  assert.equal(report.aggregate.pictures, 6);
  for (const p of report.pictures) {
    assert.equal(p.a.target.index, p.a.predictions[0].index, 'the target is A\'s top class');
    assert.equal(p.b.target.index, p.a.target.index, 'B explains the same class');
    for (const m of ['gradcam', 'saliency']) {
      const c = p.methods[m];
      assert.ok(c.rankCorrelation >= -1 && c.rankCorrelation <= 1 && c.ssim <= 1 && c.topIoU >= 0 && c.topIoU <= 1 && c.l2 >= 0 && c.l2 <= 1, JSON.stringify(c));
      const d = readNpy(new Uint8Array(readFileSync(join(out, p.files[`${m}.diff.npy`].slice(out.length + 1)))));
      assert.deepEqual(d.shape, [1, 28, 28]);
      assert.ok((d.data as Float32Array).every((v) => v >= -1 && v <= 1));
    }
    const meta = await sharp(p.files.figure).metadata();
    assert.ok(meta.width! > 4 * 140 && meta.height! > 2 * 140, `figure ${meta.width}x${meta.height}`);
  }
  // the perturbation changed the maps, but not beyond recognition
  for (const m of report.aggregate.methods) {
    assert.ok(m.measures.l2.mean > 0, `${m.method}: no change measured`);
    assert.ok(m.measures.rankCorrelation.mean < 1 && m.measures.rankCorrelation.mean > 0.2, `${m.method}: rho ${m.measures.rankCorrelation.mean}`);
    assert.equal(m.mostChanged.length, 5);
    assert.ok(m.mostChanged[0].l2 >= m.mostChanged[4].l2);
  }
  const md = readFileSync(join(out, 'diff.md'), 'utf8');
  assert.match(md, /^# Explanation diff: A = mnist-cnn\.onnx, B = mnist-perturbed\.onnx \(6 pictures\)/);
  assert.match(md, /\| `gradcam` \| -?\d\.\d{3} \/ -?\d\.\d{3} \|/);
  assert.match(md, /\| mnist:test\[0\] \| \d \d+\.\d% \|/);
});

test('MNIST digits vs Fashion-MNIST clothes: refused without --target, a class index with a warning, a name only one knows refused', { timeout: 120_000 }, async () => {
  const refused = await cnnlens('diff', '--model', mnist, '--model', fashion, cat, '--out', join(dir, 'no'));
  assert.equal(refused.code, 1);
  assert.match(refused.err, /error \[INCOMPATIBLE_MODELS\]: the models' classes differ: .*'0', '1'.*'T-shirt\/top'.*Give --target/);
  assert.equal(existsSync(join(dir, 'no')), false, 'nothing is written');

  const out = join(dir, 'index');
  const ok = await cnnlens('diff', '--model', mnist, '--model', fashion, cat, '--target', '3', '--method', 'saliency', '--out', out, '--json');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.err, /warning: .*class index 3 is '3' in A and 'Dress' in B/);
  const report = JSON.parse(ok.out);
  assert.equal(report.pictures[0].a.target.label, '3');
  assert.equal(report.pictures[0].b.target.label, 'Dress');
  assert.ok(existsSync(join(out, 'chelsea.diff.png')) && existsSync(join(out, 'chelsea.saliency.diff.npy')));

  const name = await cnnlens('diff', '--model', mnist, '--model', fashion, cat, '--target', 'Dress', '--out', join(dir, 'name'));
  assert.equal(name.code, 1);
  assert.match(name.err, /error \[UNKNOWN_CLASS\]: model A \(mnist-cnn\.onnx\): class 'Dress' is not one of/);
});

test('usage errors: one model, three models, pictures and --data together, .npy inputs', async () => {
  const one = await cnnlens('diff', '--model', mnist, cat);
  assert.equal(one.code, 2);
  assert.match(one.err, /error \[USAGE\]: cnnlens diff compares two models: give --model A --model B \(only '.*mnist-cnn\.onnx' was given\)/);
  assert.equal((await cnnlens('diff', '--model', mnist, '--model', mnist, '--model', mnist, cat)).code, 2);
  assert.match((await cnnlens('diff', '--model', mnist, '--model', mnist, cat, '--data', 'mnist:test')).err, /pictures or --data, not both/);
  assert.match((await cnnlens('diff', '--model', mnist, '--model', mnist, 'x.npy')).err, /diff takes pictures/);
  assert.match((await cnnlens('diff', '--model', mnist, '--model', mnist, cat, '--layer', 'a', '--layer-a', 'b')).err, /--layer .* not both/);
  const help = await cnnlens('diff', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: cnnlens diff --model A --model B/);
  assert.match((await cnnlens('--help')).out, /\n {2}diff {2,}explain the same images with two versions of a model/);
});
