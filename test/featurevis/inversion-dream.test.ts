import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { dream } from '../../src/featurevis/deepdream.js';
import { fromPictures } from '../../src/featurevis/image-batch.js';
import { invert } from '../../src/featurevis/inversion.js';
import { projectUnit } from '../../src/featurevis/projection.js';
import { fitToInput } from '../../src/image/preprocess.js';
import { readImageFile } from '../../src/image/read-file.js';
import type { ImageModel } from '../../src/model/image-model.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';

const PHOTOS = join(import.meta.dirname, '..', '..', 'examples', 'images');
let model: ImageModel;
let dir: string;
const threads = 2;

before(async () => {
  model = (await loadImageModel(undefined)).model;
  dir = mkdtempSync(join(tmpdir(), 'cnnlens-featurevis-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('feature inversion (default MobileNetV2)', () => {
  it('reconstructs every bundled photo from an early layer with PSNR > 20 dB', async () => {
    const files = readdirSync(PHOTOS).filter((f) => /\.(png|jpg)$/.test(f)).sort();
    assert.ok(files.length >= 3);
    const pictures = await Promise.all(files.map(async (f) => fitToInput(await readImageFile(join(PHOTOS, f)), model.input).image));
    const x = fromPictures(pictures, 3);
    const r = await invert(model, x, { backend: nodeBackend, threads, layer: 'Conv1_relu', steps: 300 });
    r.psnr.forEach((p, i) => assert.ok(p > 20, `${files[i]}: PSNR ${p.toFixed(2)} dB`));
    r.end.forEach((e, i) => assert.ok(e > r.start[i]!, `${files[i]}: the match objective did not rise`));
  });
});

describe('DeepDream and deconvnet projection (default MobileNetV2)', () => {
  it('dream raises the layer objective over the octaves and keeps the picture size and range', async () => {
    const pic = await readImageFile(join(PHOTOS, 'chelsea.png'));
    const x = fromPictures([pic], 3);
    const r = await dream(model, x, { backend: nodeBackend, threads, layers: ['block_6_expand_relu'], octaves: 2, steps: 4 });
    assert.deepEqual([r.image.h, r.image.w], [pic.height, pic.width]);
    assert.ok(r.end > r.start, `${r.start} -> ${r.end}`);
    for (const v of r.image.data) assert.ok(v >= 0 && v <= 1);
  });

  it("the projection of a unit's strongest activation is non-zero only inside its receptive field", async () => {
    const pic = fitToInput(await readImageFile(join(PHOTOS, 'coffee.png')), model.input).image;
    const r = await projectUnit(model, fromPictures([pic], 3), 'block_3_expand_relu', 5, { backend: nodeBackend, threads });
    assert.ok(r.activation > 0);
    // block_3_expand is at stride 4 with a receptive field well under 64 pixels: far pixels get nothing
    const cy = r.position.y * 4, cx = r.position.x * 4;
    let near = 0, far = 0;
    for (let k = 0; k < 3; k++) {
      for (let y = 0; y < 224; y++) {
        for (let x = 0; x < 224; x++) {
          const v = Math.abs(r.map.data[k * 224 * 224 + y * 224 + x]!);
          if (Math.abs(y - cy) > 40 || Math.abs(x - cx) > 40) far += v; else near += v;
        }
      }
    }
    assert.ok(near > 0);
    assert.equal(far, 0);
  });
});

describe('commands', () => {
  it('visualize writes the grid, the strip and a JSON with start and end values', async () => {
    const out = join(dir, 'v.png');
    const lines: string[] = [];
    const io = { out: (t: string) => void lines.push(t), err: () => undefined };
    const code = await main(['visualize', '--layer', 'block_13_expand_relu', '--channel', '3,20', '--steps', '3', '--strip', '2', '--threads', '2', '--out', out, '--json'], io);
    assert.equal(code, 0);
    assert.ok(existsSync(out) && existsSync(join(dir, 'v.strip.png')));
    const summary = JSON.parse(readFileSync(join(dir, 'v.json'), 'utf8')) as { start: number[]; end: number[]; batch: number };
    assert.equal(summary.batch, 2);
    assert.equal(summary.start.length, 2);
    assert.deepEqual(JSON.parse(lines.join('')).end, summary.end);
  });

  it('bad usage is refused with exit code 2 and unknown layers with a typed error', async () => {
    const errs: string[] = [];
    const io = { out: () => undefined, err: (t: string) => void errs.push(t) };
    assert.equal(await main(['visualize', '--channel', '3'], io), 2);
    assert.equal(await main(['visualize', '--layer', 'nope', '--channel', '3', '--steps', '1', '--out', join(dir, 'x.png')], io), 1);
    assert.match(errs.join(''), /UNKNOWN_LAYER.*Conv1_relu/s);
    assert.equal(await main(['dream', '--layer', 'block_6_expand_relu'], io), 2);
  });
});
