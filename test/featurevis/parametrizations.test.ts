import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fft, Fft2 } from '../../src/util/fft.js';
import { imageBatch } from '../../src/featurevis/image-batch.js';
import { adam, ascent } from '../../src/featurevis/optimizer.js';
import { COLOR_MATRIX, colorInverse } from '../../src/featurevis/parametrizations/color.js';
import { FourierParam, spectrumScale } from '../../src/featurevis/parametrizations/fourier.js';
import { ImageParam } from '../../src/featurevis/parametrizations/image.js';
import { blur, l1, l2, normalizeGradient, tv, type Regularizer } from '../../src/featurevis/regularizers.js';
import { Random } from '../../src/util/random.js';

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

describe('FFT', () => {
  it('matches the naive DFT, and inverse(forward(x)) = x', () => {
    const rng = new Random(3);
    for (const n of [1, 2, 8, 32]) {
      const re = Float64Array.from(rng.normals(n)), im = Float64Array.from(rng.normals(n));
      const r2 = Float64Array.from(re), i2 = Float64Array.from(im);
      new Fft(n).transform(r2, i2, false);
      for (let k = 0; k < n; k++) {
        let sr = 0, si = 0;
        for (let t = 0; t < n; t++) {
          const a = (-2 * Math.PI * k * t) / n;
          sr += re[t]! * Math.cos(a) - im[t]! * Math.sin(a);
          si += re[t]! * Math.sin(a) + im[t]! * Math.cos(a);
        }
        assert.ok(Math.abs(sr - r2[k]!) < 1e-9 && Math.abs(si - i2[k]!) < 1e-9, `n=${n} k=${k}`);
      }
    }
    const f = new Fft2(8, 16);
    const re = Float64Array.from(rng.normals(128)), im = Float64Array.from(rng.normals(128));
    const r = Float64Array.from(re), i = Float64Array.from(im);
    f.transform(r, i, false);
    f.transform(r, i, true);
    for (let k = 0; k < 128; k++) assert.ok(Math.abs(r[k]! - re[k]!) < 1e-12 && Math.abs(i[k]! - im[k]!) < 1e-12);
  });
});

describe('parametrizations', () => {
  it('Fourier: the image is the real part of the inverse DFT of the scaled spectrum (naive sum)', () => {
    const p = new FourierParam(1, 1, 3, 5, { rng: new Random(1), sd: 1 });
    const img = p.forward();
    const { gh, gw } = p;
    const s = spectrumScale(gh, gw, 1);
    for (const [y, x] of [[0, 0], [2, 4], [1, 3]] as const) {
      let v = 0;
      for (let ky = 0; ky < gh; ky++) {
        for (let kx = 0; kx < gw; kx++) {
          const k = ky * gw + kx;
          const a = 2 * Math.PI * ((ky * y) / gh + (kx * x) / gw);
          v += s[k]! * (p.params[k]! * Math.cos(a) - p.params[gh * gw + k]! * Math.sin(a));
        }
      }
      assert.ok(Math.abs(v / (gh * gw) - img.data[y * 5 + x]!) < 1e-5, `(${y}, ${x})`);
    }
  });

  it('Fourier: backward is the exact adjoint, for odd and even plane counts', () => {
    for (const [n, c] of [[1, 3], [2, 1], [2, 3]] as const) {
      const rng = new Random(n * 10 + c);
      const p = new FourierParam(n, c, 7, 12, { rng, sd: 1 });
      const x = Float32Array.from(p.forward().data);
      const g = imageBatch(n, c, 7, 12, Float32Array.from(rng.normals(n * c * 84)));
      const lhs = dot(x, g.data);
      const rhs = dot(p.params, p.backward(g));
      assert.ok(Math.abs(lhs - rhs) < 1e-4 * (1 + Math.abs(lhs)), `${n}x${c}: ${lhs} vs ${rhs}`);
    }
  });

  it('colour: M times its inverse is the identity; columns have norm at most 1', () => {
    const inv = colorInverse();
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(dot(COLOR_MATRIX[i]!, inv.map((r) => r[j]!)) - (i === j ? 1 : 0)) < 1e-12);
    assert.ok(Math.max(...[0, 1, 2].map((j) => Math.hypot(...COLOR_MATRIX.map((r) => r[j]!)))) <= 1 + 1e-12);
  });

  it('image parametrizations: the gradient matches central finite differences', () => {
    // clamp passes the gradient straight through, so it is the true gradient only inside the range:
    // it is checked from a start inside (0, 1)
    for (const [kind, squash] of [['fourier', 'sigmoid'], ['pixel', 'sigmoid'], ['pixel', 'clamp']] as const) {
      {
        const rng = new Random(5);
        const init = squash === 'clamp' ? imageBatch(1, 3, 4, 6, Float32Array.from(rng.uniforms(72, 0.3, 0.7))) : undefined;
        const p = new ImageParam({ n: 1, c: 3, h: 4, w: 6, kind, squash, sd: 0.3, rng, ...(init ? { init } : {}) });
        const g = imageBatch(1, 3, 4, 6, Float32Array.from(rng.normals(72)));
        p.render();
        const grad = p.backward(g);
        for (const i of [0, 5, 17, 40, p.params.length - 1]) {
          const old = p.params[i]!;
          const h = 1e-2;
          p.params[i] = old + h;
          const up = dot(p.render().data, g.data);
          p.params[i] = old - h;
          const down = dot(p.render().data, g.data);
          p.params[i] = old;
          const fd = (up - down) / (2 * h);
          assert.ok(Math.abs(fd - grad[i]!) < 2e-3 * (1 + Math.abs(fd)), `${kind}/${squash} param ${i}: ${grad[i]} vs ${fd}`);
        }
      }
    }
  });

  it('a pixel parametrization started from an image renders that image', () => {
    const rng = new Random(2);
    const init = imageBatch(1, 3, 2, 3, Float32Array.from(rng.uniforms(18, 0.05, 0.95)));
    for (const squash of ['sigmoid', 'clamp'] as const) {
      const img = new ImageParam({ n: 1, c: 3, h: 2, w: 3, kind: 'pixel', squash, init, rng }).render();
      for (let i = 0; i < 18; i++) assert.ok(Math.abs(img.data[i]! - init.data[i]!) < 1e-5);
    }
  });
});

describe('regularizers', () => {
  const fd = (r: Regularizer, seed: number) => {
    const rng = new Random(seed);
    const x = imageBatch(2, 3, 4, 5, Float32Array.from(rng.uniforms(120, 0, 1)));
    const grad = new Float32Array(120);
    const v = r.accumulate(x, grad);
    assert.equal(v.length, 2);
    for (const i of [0, 7, 33, 61, 119]) {
      const old = x.data[i]!;
      const h = 1e-3;
      x.data[i] = old + h;
      const up = r.accumulate(x, new Float32Array(120)).reduce((a, b) => a + b);
      x.data[i] = old - h;
      const down = r.accumulate(x, new Float32Array(120)).reduce((a, b) => a + b);
      x.data[i] = old;
      const want = (r.weight * (up - down)) / (2 * h);
      assert.ok(Math.abs(want - grad[i]!) < 1e-3 * (1 + Math.abs(want)), `${r.name} [${i}]: ${grad[i]} vs ${want}`);
    }
  };
  it('gradients match finite differences', () => {
    fd(tv(0.7), 1);
    fd(tv(1.3, 1.5), 2);
    fd(l1(0.5), 3);
    fd(l2(2), 4);
  });
  it('exact values on a small image', () => {
    const x = imageBatch(1, 1, 2, 2, Float32Array.from([0, 1, 1, 1]));
    // differences: (0,0)->right 1, (0,0)->down 1: s = 2 at one pixel only
    assert.deepEqual(tv(1).accumulate(x, new Float32Array(4)), [2 / 4]);
    assert.deepEqual(l1(1).accumulate(x, new Float32Array(4)), [0.5]);
    assert.deepEqual(l2(1).accumulate(x, new Float32Array(4)), [0.25]);
    const g = new Float32Array(4);
    blur(1).accumulate(x, g);
    // every 3x3 neighbourhood (clipped) of a 2x2 image is the whole image: mean 0.75
    assert.deepEqual([...g].map((v) => Math.round(v * 1e6) / 1e6), [-0.1875, 0.0625, 0.0625, 0.0625]);
  });
  it('gradient normalization gives each example unit RMS', () => {
    const g = Float32Array.from([3, 4, 0, 0, 1, 1]);
    normalizeGradient(g, 2);
    assert.ok(Math.abs(dot(g.subarray(0, 3), g.subarray(0, 3)) / 3 - 1) < 1e-6);
    assert.ok(Math.abs(dot(g.subarray(3), g.subarray(3)) / 3 - 1) < 1e-6);
  });
});

describe('optimizers', () => {
  it("Adam's first step moves every parameter by lr in the gradient's direction; ascent by lr g", () => {
    const p = Float32Array.from([0, 0, 0]);
    adam({ lr: 0.1 }).step(p, Float32Array.from([5, -0.001, 0]));
    assert.ok(Math.abs(p[0]! - 0.1) < 1e-6 && Math.abs(p[1]! + 0.1) < 1e-4 && p[2] === 0);
    const q = Float32Array.from([1, 1]);
    ascent({ lr: 0.5 }).step(q, Float32Array.from([2, -2]));
    assert.deepEqual([...q], [2, 0]);
  });
});
