import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { CnnlensError } from '../errors.js';
import { COLORMAP_NAMES, colorAt, colormap } from './colormaps.js';

const hex = (rgb: readonly number[]) => '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join('');

describe('colormaps', () => {
  it('match published anchor colours', () => {
    // viridis/inferno ends: matplotlib's _viridis_data / _inferno_data first and last rows
    assert.equal(hex(colorAt(colormap('viridis'), 0)), '#440154');
    assert.equal(hex(colorAt(colormap('viridis'), 1)), '#fde725');
    assert.equal(hex(colorAt(colormap('inferno'), 0)), '#000004');
    assert.equal(hex(colorAt(colormap('inferno'), 1)), '#fcffa4');
    // turbo's published table starts at (0.18995, 0.07176, 0.23217) and ends at (0.4796, 0.01583, 0.01055)
    assert.deepEqual(colorAt(colormap('turbo'), 0), [48, 18, 59]);
    assert.deepEqual(colorAt(colormap('turbo'), 1), [122, 4, 3]);
    // jet: dark blue, a green middle, dark red; at x = 128/255, R = (x - 0.35) / 0.31, B = (0.65 - x) / 0.31
    assert.deepEqual(colorAt(colormap('jet'), 0), [0, 0, 128]);
    assert.deepEqual(colorAt(colormap('jet'), 0.5), [125, 255, 122]);
    assert.deepEqual(colorAt(colormap('jet'), 1), [128, 0, 0]);
    // diverging maps: blue end, light neutral middle, red end
    assert.equal(hex(colorAt(colormap('rdbu'), 0)), '#053061');
    assert.equal(hex(colorAt(colormap('rdbu'), 1)), '#67001f');
    assert.deepEqual(colorAt(colormap('coolwarm'), 0), [59, 76, 192]);
    assert.deepEqual(colorAt(colormap('coolwarm'), 1), [180, 4, 38]);
    const mid = colorAt(colormap('rdbu'), 127 / 255);
    assert.ok(mid.every((v) => v >= 240), `rdbu centre ${mid} is near white`);
  });

  it('luminance of viridis and inferno increases monotonically', () => {
    for (const name of ['viridis', 'inferno'] as const) {
      const { lut } = colormap(name);
      let prev = -1;
      for (let i = 0; i < 256; i++) {
        const y = 0.2126 * lut[i * 3]! + 0.7152 * lut[i * 3 + 1]! + 0.0722 * lut[i * 3 + 2]!;
        assert.ok(y >= prev - 0.5, `${name}[${i}] luminance ${y} < ${prev}`);
        prev = y;
      }
    }
  });

  it('agree with matplotlib within one level where it is installed', (t) => {
    const names = { viridis: 'viridis', inferno: 'inferno', turbo: 'turbo', jet: 'jet', coolwarm: 'coolwarm', rdbu: 'RdBu_r' };
    const script = [
      'import json, numpy as np',
      'from matplotlib import colormaps as C',
      `names = ${JSON.stringify(names)}`,
      'print(json.dumps({k: (np.array(C[v](np.linspace(0, 1, 256)))[:, :3] * 255).round().astype(int).flatten().tolist() for k, v in names.items()}))',
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
    if (r.status !== 0) {
      t.skip('matplotlib not available at /usr/bin/python3 (Debian package python3-matplotlib): anchors above still checked');
      return;
    }
    const ref = JSON.parse(r.stdout) as Record<string, number[]>;
    for (const name of COLORMAP_NAMES) {
      const { lut } = colormap(name);
      ref[name]!.forEach((v, i) => assert.ok(Math.abs(v - lut[i]!) <= 1, `${name}[${Math.floor(i / 3)}] channel ${i % 3}: ${lut[i]} vs ${v}`));
    }
  });

  it('an unknown name is a USAGE error that lists the names', () => {
    assert.throws(() => colormap('hot'), (e: unknown) =>
      e instanceof CnnlensError && e.code === 'USAGE' && /'hot'/.test(e.message) && COLORMAP_NAMES.every((n) => e.message.includes(n)));
  });

  it('flags diverging maps and clamps out-of-range values', () => {
    assert.equal(colormap('coolwarm').diverging, true);
    assert.equal(colormap('viridis').diverging, false);
    assert.deepEqual(colorAt(colormap('viridis'), -3), colorAt(colormap('viridis'), 0));
    assert.deepEqual(colorAt(colormap('viridis'), 7), colorAt(colormap('viridis'), 1));
  });
});
