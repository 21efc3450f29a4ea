/**
 * `cnnlens explain` as a user runs it (the built bin/cnnlens.js in a child process): the files it
 * promises, raw maps equal to the library's, the default model end to end, and bad inputs that end in
 * a one-line typed error with a non-zero exit code and no files left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readNpy } from '../../src/data/npy.js';
import { preprocess } from '../../src/image/preprocess.js';
import { readImageFile } from '../../src/image/read-file.js';
import { explain } from '../../src/methods/explain.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';
import { crc32 } from '../../src/render/png.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/cnnlens.js');
const built = existsSync(join(root, 'dist/cli/main.js'));
const skip = !built && 'needs npm run build';
const dir = mkdtempSync(join(tmpdir(), 'cnnlens-explain-'));
const tiny = join(root, 'examples/tiny-cnn.onnx');
const cat = join(root, 'examples/images/chelsea.png');
const coffee = join(root, 'examples/images/coffee.png');
// the default model is imported once into this test's own cache folder
const env = { ...process.env, CNNLENS_CACHE_DIR: join(dir, 'cache') };

function cnnlens(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function npy(path: string) {
  return readNpy(new Uint8Array(readFileSync(path)));
}

test('explain writes an overlay, a raw map per method, a figure and a summary; maps equal the library\'s', { skip }, async () => {
  const out = join(dir, 'tiny');
  const r = cnnlens('explain', cat, '--model', tiny, '--method', 'gradcam,saliency,gradient', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /range \[0, 1\] \(assumed/);
  assert.match(r.err, /layer: \S+ \[\d+x\d+x\d+\] \(default/);
  for (const f of ['chelsea.gradcam.png', 'chelsea.gradcam.npy', 'chelsea.saliency.png', 'chelsea.saliency.npy', 'chelsea.gradient.npy', 'chelsea.figure.png', 'chelsea.json']) {
    assert.ok(existsSync(join(out, f)), `${f} missing`);
  }
  assert.deepEqual(npy(join(out, 'chelsea.gradcam.npy')).shape, [1, 64, 64]);
  assert.deepEqual(npy(join(out, 'chelsea.gradient.npy')).shape, [1, 3, 64, 64]);
  const meta = await sharp(join(out, 'chelsea.gradcam.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [64, 64]);
  const summary = JSON.parse(readFileSync(join(out, 'chelsea.json'), 'utf8'));
  assert.equal(summary.predictions.length, 5);
  assert.equal(summary.target.index, summary.predictions[0].index);
  assert.ok(summary.layer);

  // the same computation through the library
  const { model } = await loadImageModel(tiny);
  const input = preprocess([await readImageFile(cat)], model.input);
  const lib = await explain(model, input, { backend: nodeBackend, methods: ['gradcam', 'gradient'] });
  for (const [i, m] of ['gradcam', 'gradient'].entries()) {
    const got = npy(join(out, `chelsea.${m}.npy`)).data as Float32Array;
    const want = lib.results[i]!.map.data as Float32Array;
    assert.equal(got.length, want.length);
    for (let k = 0; k < got.length; k++) assert.equal(got[k], want[k], `${m}[${k}]`);
  }
});

test('--json prints the summary; two inputs make an HTML report', { skip }, () => {
  const out = join(dir, 'two');
  const r = cnnlens('explain', cat, coffee, '--model', tiny, '--out', out, '--json', '--target', '2', '--normalize', 'shared');
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.equal(s.inputs.length, 2);
  assert.ok(s.inputs.every((i: { target: { index: number } }) => i.target.index === 2));
  assert.ok(existsSync(join(out, 'report.html')));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /data:image\/png;base64,/);
  assert.doesNotMatch(html, /<script src=|<link /);
});

test('the default model explains the bundled cat photo (first use imports nsfwjs and caches it)', { skip }, () => {
  const out = join(dir, 'default');
  const r = cnnlens('explain', cat, '--out', out, '--json');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /the default model, nsfwjs 4\.4\.0 MobileNetV2/);
  const s = JSON.parse(r.out);
  assert.deepEqual(s.model.labels, ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
  assert.equal(s.inputs[0].predictions[0].label, 'Neutral', 'a photo of a cat is Neutral');
  assert.equal(s.layer.name, 'out_relu');
  assert.deepEqual(npy(join(out, 'chelsea.gradcam.npy')).shape, [1, 224, 224]);
  assert.ok(readdirSync(join(dir, 'cache')).some((f) => f.endsWith('.onnx')), 'the converted model is cached');
  // second run reads the cache
  const again = cnnlens('explain', cat, '--out', join(dir, 'default2'));
  assert.equal(again.code, 0, again.err);
  assert.match(again.err, /cached at/);
});

/** A PNG that claims to be 40000 x 40000 pixels: signature, IHDR, an IDAT with only a zlib header, IEND. */
function hugePngHeader(): Buffer {
  const chunk = (type: string, data: number[]) => {
    const body = Buffer.concat([Buffer.from(type), Buffer.from(data)]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(40000, 0);
  ihdr.writeUInt32BE(40000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', [...ihdr]), chunk('IDAT', [0x78, 0x9c]), chunk('IEND', [])]);
}

test('bad input: a clear typed error, a non-zero exit code, no files left behind', { skip }, () => {
  const corrupt = join(dir, 'corrupt.png');
  writeFileSync(corrupt, Buffer.concat([readFileSync(cat).subarray(0, 64), Buffer.alloc(200, 7)]));
  const text = join(dir, 'notes.png');
  writeFileSync(text, 'this is not an image\n');
  const huge = join(dir, 'huge.png');
  writeFileSync(huge, hugePngHeader());
  const cases: [string, string[], RegExp][] = [
    ['corrupt image', [corrupt, '--model', tiny], /error \[IMAGE\]: .*corrupt\.png/],
    ['text file named .png', [text, '--model', tiny], /error \[IMAGE\]: .*notes\.png/],
    ['40000x40000 PNG header', [huge, '--model', tiny], /error \[IMAGE\]: .*40000/],
    ['unknown method', [cat, '--model', tiny, '--method', 'gradcam,nope'], /error \[UNKNOWN_METHOD\]: unknown method 'nope'. Methods: gradient, saliency, .*gradcam/],
    ['unknown layer', [cat, '--model', tiny, '--layer', 'conv99'], /error \[UNKNOWN_LAYER\]: .*Conv feature maps are: /],
    ['unknown class name', [cat, '--target', 'Kitten'], /error \[UNKNOWN_CLASS\]: class 'Kitten' is not one of the model's classes: 'Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'/],
    ['class index out of range', [cat, '--model', tiny, '--target', '10'], /error \[UNKNOWN_CLASS\]: class index 10 is out of range/],
    ['missing input', [join(dir, 'nothing.png'), '--model', tiny], /error \[IO\]: input .* does not exist/],
  ];
  for (const [what, args, message] of cases) {
    const out = join(dir, `bad-${what.replace(/\W+/g, '-')}`);
    const r = cnnlens('explain', ...args, '--out', out);
    assert.notEqual(r.code, 0, `${what}: exit code`);
    assert.match(r.err, message, what);
    assert.doesNotMatch(r.err, /internal error|at .*\.js:\d+/, `${what}: no stack trace`);
    const left = existsSync(out) ? readdirSync(out) : [];
    assert.deepEqual(left, [], `${what}: files left behind`);
  }
});
