/**
 * Class model visualization (Simonyan, Vedaldi & Zisserman 2013, "Deep Inside Convolutional Networks",
 * Sec. 2): for every digit, an image I maximizing its logit S_c(I) - lambda ||I||^2, here with a
 * total-variation prior as well, on the MNIST CNN the project trains (models/mnist-cnn.onnx, 1x28x28,
 * input range [0, 1]). The model must classify each generated image as its target with probability > 0.9.
 *
 * All ten digits are optimized in one batch (example k maximizes logit k): Fourier parametrization with a
 * sigmoid (so every pixel stays inside [0, 1]), small random pad / jitter / scale / rotation with black
 * fill, TV (weight 10) and an L2 penalty towards black (weight 100; the MNIST background), Adam at 0.05,
 * 256 steps, seed 0.
 *
 * CNNLENS_WRITE_DOCS=1 also writes the ten images as one grid to docs/img/featurevis/class-mnist.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { toModelInput, toPicture, type ImageBatch } from '../../src/featurevis/image-batch.js';
import { classLogit, sum } from '../../src/featurevis/objectives.js';
import { tv, type Regularizer } from '../../src/featurevis/regularizers.js';
import { jitter, pad, randomRotate, randomScale } from '../../src/featurevis/transforms.js';
import { visualize } from '../../src/featurevis/visualize.js';
import type { RgbImage } from '../../src/image/types.js';
import { loadImageModel } from '../../src/model/load-file.js';
import { saveModel } from '../../src/onnx/load.js';
import { renderGrid } from '../../src/render/grid.js';
import { encodePng } from '../../src/render/png.js';
import { nodeBackend } from '../../src/runtime/node-backend.js';

const MODEL = new URL('../../models/mnist-cnn.onnx', import.meta.url).pathname;
const FIGURE = new URL('../../docs/img/featurevis/class-mnist.png', import.meta.url).pathname;
const present = existsSync(MODEL);
const threads = 2;

/** Simonyan et al.'s L2 prior: weight * mean of x^2 (x in [0, 1], so it pulls towards black). */
function l2Black(weight: number): Regularizer {
  return {
    name: 'l2(black)',
    weight,
    accumulate(x, grad) {
      const per = x.c * x.h * x.w;
      const values: number[] = [];
      for (let b = 0; b < x.n; b++) {
        let s = 0;
        for (let i = b * per; i < (b + 1) * per; i++) {
          const v = x.data[i]!;
          s += v * v;
          grad[i] += (weight / per) * 2 * v;
        }
        values.push(s / per);
      }
      return values;
    },
  };
}

function softmax(row: ArrayLike<number>): number[] {
  const v = Array.from(row);
  const m = Math.max(...v);
  const e = v.map((z) => Math.exp(z - m));
  const t = e.reduce((a, b) => a + b, 0);
  return e.map((z) => z / t);
}

/** Example b, enlarged k times (nearest neighbour), so the 28x28 digits are visible on a page. */
function enlarged(x: ImageBatch, b: number, k: number): RgbImage {
  const p = toPicture(x, b);
  const W = p.width * k, H = p.height * k;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let xx = 0; xx < W; xx++) {
      const s = (Math.floor(y / k) * p.width + Math.floor(xx / k)) * 3;
      data.set(p.data.subarray(s, s + 3), (y * W + xx) * 3);
    }
  }
  return { width: W, height: H, data };
}

describe('class model visualization (Simonyan et al. 2013) on the MNIST CNN', { skip: present ? false : `models/mnist-cnn.onnx is absent (made by scripts/train_mnist.py)` }, () => {
  it('an image maximizing each digit\'s logit is classified as that digit with probability > 0.9', async () => {
    const { model } = await loadImageModel(MODEL);
    assert.deepEqual([model.input.channels, model.input.height, model.input.width], [1, 28, 28]);
    const digits = Array.from({ length: 10 }, (_, k) => k);
    const r = await visualize(model, {
      backend: nodeBackend, threads,
      objective: sum(...digits.map((k) => classLogit(k).forExample(k))),
      batch: 10, steps: 256, lr: 0.05, seed: 0,
      transforms: [pad(2, { value: 0 }), jitter(2), randomScale([0.9, 0.95, 1, 1.05, 1.1], { fill: 0 }), randomRotate([-10, -5, 0, 5, 10], { fill: 0 }), jitter(1)],
      regularizers: [tv(10), l2Black(100)],
    });
    // the images are in the model's input range
    for (const v of r.images.data) assert.ok(v >= 0 && v <= 1);
    const session = await nodeBackend.createSession(saveModel(model.onnx), { threads });
    const out = await session.run({ [model.inputName]: toModelInput(r.images, model.input) }, [model.output.name]);
    await session.release();
    const logits = out[model.output.name]!.data as Float32Array;
    const probs = digits.map((k) => softmax(logits.subarray(k * 10, k * 10 + 10))[k]!);
    if (process.env.CNNLENS_WRITE_DOCS) {
      mkdirSync(new URL('.', `file://${FIGURE}`).pathname, { recursive: true });
      const cells = digits.map((k) => ({ image: enlarged(r.images, k, 4), caption: `${k}: p=${probs[k]!.toFixed(3)}` }));
      writeFileSync(FIGURE, encodePng(renderGrid([cells.slice(0, 5), cells.slice(5)])));
    }
    for (const k of digits) {
      assert.ok(r.end[k]! > r.start[k]!, `digit ${k}: logit ${r.start[k]} -> ${r.end[k]}`);
      assert.ok(probs[k]! > 0.9, `digit ${k}: p = ${probs[k]} (probabilities ${probs.map((p) => p.toFixed(3)).join(', ')})`);
    }
  });
});
