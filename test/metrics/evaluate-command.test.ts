/** `cnnlens evaluate` on a small image folder: the table, the JSON and the curves; metric ranges and closed forms. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { main } from '../../src/cli/main.js';
import { confidenceChange, explanationMasked } from '../../src/metrics/confidence.js';

test('Average Drop / Increase in Confidence: closed forms', () => {
  const c = confidenceChange([0.8, 0.5, 0.4], [0.4, 0.6, 0.4]);
  assert.ok(Math.abs(c.averageDrop - (100 * 0.5) / 3) < 1e-9);
  assert.ok(Math.abs(c.increase - 100 / 3) < 1e-9);
  // the map's positive part scaled to [0, 1] blends the input with the baseline
  const m = explanationMasked({ type: 'float32', dims: [1, 2, 1, 2], data: Float32Array.of(1, 2, 3, 4) }, [-1, 2]);
  assert.deepEqual([...m.data], [0, 2, 0, 4]);
});

test('cnnlens evaluate: table, JSON and curve PNGs for two methods; IG reports its delta', { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'cnnlens-eval-'));
  try {
    const data = join(root, 'data');
    mkdirSync(data);
    const photo = readFileSync(new URL('../../examples/images/chelsea.png', import.meta.url));
    for (let i = 0; i < 3; i++) writeFileSync(join(data, `p${i}.png`), await sharp(photo).extract({ left: 20 * i, top: 10 * i, width: 200, height: 200 }).resize(64, 64).png().toBuffer());
    const out = join(root, 'out');
    const err: string[] = [];
    const code = await main(['evaluate', '--model', new URL('../../examples/tiny-cnn.onnx', import.meta.url).pathname, '--data', data, '--out', out, '--method', 'gradcam,integrated-gradients', '--steps', '8', '--ig-steps', '16'], { out: () => undefined, err: (t) => void err.push(t) });
    assert.equal(code, 0, err.join(''));
    const report = JSON.parse(readFileSync(join(out, 'evaluate.json'), 'utf8'));
    assert.equal(report.pictures, 3);
    assert.equal(report.rows.length, 2);
    for (const r of report.rows) {
      assert.equal(r.pictures, 3);
      for (const k of ['deletionAuc', 'insertionAuc']) assert.ok(r[k] >= 0 && r[k] <= 1, `${r.method} ${k} ${r[k]}`);
      assert.ok(r.averageDrop >= 0 && r.averageDrop <= 100 && r.increase >= 0 && r.increase <= 100);
    }
    assert.ok(typeof report.rows[1].meanAbsDelta === 'number');
    // infidelity and max-sensitivity with their settings; the normalized value never exceeds the raw one
    assert.deepEqual([report.settings.infidelity.samples, report.settings.infidelity.sigma, report.settings.infidelity.shown], [32, 0.1, 'beta-normalized']);
    assert.deepEqual([report.settings.maxSensitivity.samples, report.settings.maxSensitivity.radius], [8, 0.02]);
    for (const r of report.rows) {
      assert.ok(r.infidelity >= 0 && r.infidelity <= r.infidelityRaw * (1 + 1e-12) && r.infidelity <= report.infidelityOfZeroMap * (1 + 1e-12), `${r.method} infidelity ${r.infidelity}`);
      assert.ok(r.maxSensitivity >= 0 && Number.isFinite(r.maxSensitivity));
    }
    assert.match(readFileSync(join(out, 'evaluate.md'), 'utf8'), /infidelity \(β-scaled\) ↓ \| max-sensitivity ↓/);
    assert.equal(report.curves.x.length, 9);
    assert.match(readFileSync(join(out, 'evaluate.md'), 'utf8'), /\| `gradcam` \| 0\.\d{3} \|/);
    for (const f of ['deletion.png', 'insertion.png']) assert.deepEqual([...readFileSync(join(out, f)).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
