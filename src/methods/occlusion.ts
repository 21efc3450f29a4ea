/**
 * `occlusion`: occlusion sensitivity, Zeiler & Fergus 2014, "Visualizing and Understanding Convolutional
 * Networks", Sec. 4.2: "the probability of the correct class as a function of the position of the grey
 * square". A square of `window` x `window` input pixels slides over the input with step `stride`; each
 * occluded copy runs forward (batched under the memory budget), and every pixel gets the average over
 * the windows covering it of
 *   map:                     p_c(x with the window hidden)          (the paper's map; low = important)
 *   extra.maps['logit-drop']: y_c(x) - y_c(x with the window hidden) (pre-softmax score; high = important)
 * For a difference target (class a minus class b) the map is p_a - p_b and the drop is that of
 * y_a - y_b. Window positions along each axis are 0, stride, 2 stride, ... while the window fits; when
 * the last one stops short of the border, one more window is placed flush with the border, so every
 * pixel is covered (stride <= window is required; a window larger than a side of the input is cut to
 * that side, so the defaults also work on small inputs such as MNIST's 28 x 28). Hidden pixels get `fill`: grey (pixel 128 mapped
 * through the InputSpec, as in the paper), black (pixel 0 mapped), mean (the example's per-channel mean
 * input value) or blur (a Gaussian blur of the example, sigma = window / 4, edges repeated).
 * Use it for a model-agnostic, gradient-free check of which regions the decision depends on.
 */
import { fail } from '../errors.js';
import { FILLS, elementIndex, fillImage, type Fill } from './perturb-fill.js';
import { runCopies, targetLogit, targetProbability } from './perturb-run.js';
import type { Method } from './types.js';

/** Window starts along an axis of `size` pixels: 0, stride, ... while the window fits, then one flush with the end. */
export function windowStarts(size: number, window: number, stride: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s + window <= size; s += stride) starts.push(s);
  if (starts[starts.length - 1]! + window < size) starts.push(size - window);
  return starts;
}

export const occlusionMethod: Method = {
  id: 'occlusion',
  title: 'Occlusion',
  paper: 'Zeiler & Fergus 2014, "Visualizing and Understanding Convolutional Networks", Sec. 4.2: p_c(x with a grey square at each position)',
  answers: 'How likely is the class when the region around each pixel is hidden?',
  passes: '1 forward per window position (169 at 224x224 with window 32, stride 16)',
  needsLayer: false,
  usesGradients: false,
  output: 'spatial',
  signed: false,
  display: 'min-max-inverted',
  units: 'p_c with the pixel occluded',
  options: [
    { name: 'window', type: 'integer', default: 32, min: 1, help: 'side of the occluding square, in model-input pixels (default 32)' },
    { name: 'stride', type: 'integer', default: 16, min: 1, help: 'step between occluding squares, at most --window (default 16)' },
    { name: 'fill', type: 'enum', default: 'grey', choices: FILLS, help: 'what hides the square: grey (pixel 128), black (pixel 0), mean (the image\'s channel means), blur (Gaussian, sigma = window/4) (default grey)' },
  ],
  exposes: () => [],
  async explain(ctx) {
    const spec = ctx.model.input;
    const window = ctx.options['window'] as number;
    const stride = ctx.options['stride'] as number;
    const fill = ctx.options['fill'] as Fill;
    const { height: h, width: w } = spec;
    if (stride > window) fail('USAGE', `--stride ${stride} is larger than --window ${window}, which would leave pixels unoccluded; choose a stride of at most ${window}.`);
    // a window larger than a side of the input is cut to that side (one position along that axis)
    const wh = Math.min(window, h);
    const ww = Math.min(window, w);
    const ys = windowStarts(h, wh, stride);
    const xs = windowStarts(w, ww, stride);
    const positions = ys.length * xs.length;
    const n = ctx.targets.length;
    const elems = spec.channels * h * w;
    const input = ctx.input.data as Float32Array;
    const example = (b: number) => input.subarray(b * elems, (b + 1) * elems);
    const fills = Array.from({ length: n }, (_, b) => fillImage(example(b), spec, fill, window / 4));
    const units = ctx.forward.logits.data.length / n;
    const clean = ctx.forward.logits.data as Float32Array;
    const cleanRow = (b: number) => clean.subarray(b * units, (b + 1) * units);
    const baseLogit = ctx.targets.map((t, b) => targetLogit(ctx.model, cleanRow(b), t));

    // copy i = example b, window k (row-major over positions)
    const probs = new Float64Array(n * positions);
    const drops = new Float64Array(n * positions);
    await runCopies(ctx.model, ctx, n * positions, (i, dst) => {
      const b = Math.floor(i / positions);
      const k = i % positions;
      const y0 = ys[Math.floor(k / xs.length)]!;
      const x0 = xs[k % xs.length]!;
      const src = fills[b]!;
      dst.set(example(b));
      for (let c = 0; c < spec.channels; c++) {
        for (let y = y0; y < y0 + wh; y++) {
          for (let x = x0; x < x0 + ww; x++) {
            const e = elementIndex(spec, c, y, x);
            dst[e] = src[e]!;
          }
        }
      }
    }, (i, logits) => {
      const t = ctx.targets[Math.floor(i / positions)]!;
      probs[i] = targetProbability(ctx.model, logits, t);
      drops[i] = baseLogit[Math.floor(i / positions)]! - targetLogit(ctx.model, logits, t);
    });

    // average over the windows covering each pixel
    const count = new Float64Array(h * w);
    const sumP = new Float64Array(n * h * w);
    const sumD = new Float64Array(n * h * w);
    ys.forEach((y0, r) => xs.forEach((x0, q) => {
      const k = r * xs.length + q;
      for (let y = y0; y < y0 + wh; y++) {
        for (let x = x0; x < x0 + ww; x++) {
          const p = y * w + x;
          count[p] = count[p]! + 1;
          for (let b = 0; b < n; b++) {
            sumP[b * h * w + p] = sumP[b * h * w + p]! + probs[b * positions + k]!;
            sumD[b * h * w + p] = sumD[b * h * w + p]! + drops[b * positions + k]!;
          }
        }
      }
    }));
    const map = new Float32Array(n * h * w);
    const drop = new Float32Array(n * h * w);
    for (let i = 0; i < map.length; i++) {
      map[i] = sumP[i]! / count[i % (h * w)]!;
      drop[i] = sumD[i]! / count[i % (h * w)]!;
    }
    return {
      map: { type: 'float32', dims: [n, h, w], data: map },
      extra: {
        maps: { 'logit-drop': { type: 'float32', dims: [n, h, w], data: drop } },
        values: {
          probability: ctx.targets.map((t, b) => targetProbability(ctx.model, cleanRow(b), t)),
          windows: ctx.targets.map(() => positions),
        },
      },
    };
  },
};
