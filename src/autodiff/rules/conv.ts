/**
 * Backward rules for Conv and ConvTranspose (input gradient only; weights are constants).
 *
 * Conv's input gradient is the transposed convolution of the output gradient with the same weights.
 * Two equivalent forms are emitted: ConvTranspose directly, or (faster in ONNX Runtime for depthwise
 * convolutions) a Conv with spatially flipped, group-transposed weights over the zero-inserted gradient.
 */
import { attrInt, attrInts, attrString } from '../../onnx/ir.js';
import { attrs } from '../../onnx/graph.js';
import type { RuleContext, RuleTable } from '../context.js';
import { readWindow, transposeGeometry, type Window } from './window.js';

function kernelOf(ctx: RuleContext): number[] {
  return [...(attrInts(ctx.node, 'kernel_shape') ?? ctx.spatial(ctx.input(1)))];
}

function transposeForm(ctx: RuleContext, w: Window, group: number): string {
  const x = ctx.input(0);
  const { pads, outputPadding } = transposeGeometry(w, ctx.spatial(ctx.output()), ctx.spatial(x));
  return ctx.op('ConvTranspose', [ctx.dY, ctx.input(1)], [
    attrs.ints('strides', w.strides),
    attrs.ints('dilations', w.dilations),
    attrs.ints('pads', pads),
    attrs.ints('output_padding', outputPadding),
    attrs.int('group', group),
    attrs.ints('kernel_shape', w.kernel),
  ]);
}

/** Weights for the conv form: per group, swap in/out channels, and flip every spatial axis. */
function flippedWeights(ctx: RuleContext, group: number): string {
  const wName = ctx.input(1);
  const ws = ctx.shape(wName).map((_, i) => ctx.dim(wName, i));
  const [m, cg, ...k] = ws as [number, number, ...number[]];
  const n = k.length;
  let w = wName;
  if (m / group !== 1 || cg !== 1) {
    // [M, C/g, k] -> [g, M/g, C/g, k] -> [g, C/g, M/g, k] -> [C, M/g, k]
    w = ctx.op('Reshape', [w, ctx.ints([group, m / group, cg, ...k])]);
    w = ctx.transpose(w, [0, 2, 1, ...k.map((_, i) => i + 3)]);
    w = ctx.op('Reshape', [w, ctx.ints([group * cg, m / group, ...k])]);
  }
  const axes = k.map((_, i) => i + 2);
  const big = -(2 ** 62);
  return ctx.op('Slice', [w, ctx.ints(new Array<number>(n).fill(-1)), ctx.ints(new Array<number>(n).fill(big)), ctx.ints(axes), ctx.ints(new Array<number>(n).fill(-1))]);
}

function convForm(ctx: RuleContext, w: Window, group: number): string | undefined {
  const x = ctx.input(0);
  const inSp = ctx.spatial(x);
  const outSp = ctx.spatial(ctx.output());
  const n = inSp.length;
  const outChannels = ctx.dim(ctx.output(), 1);
  let g = ctx.dY;
  const zLen: number[] = [];
  for (let i = 0; i < n; i++) zLen.push(w.strides[i]! * (outSp[i]! - 1) + 1);
  if (w.strides.some((s) => s > 1)) {
    // zero insertion: a 1x1 ConvTranspose with a ones kernel, one group per channel
    const ones = ctx.tensor([outChannels, 1, ...new Array<number>(n).fill(1)], new Array<number>(outChannels).fill(1), x);
    g = ctx.op('ConvTranspose', [g, ones], [attrs.ints('strides', w.strides), attrs.int('group', outChannels)]);
  }
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < n; i++) {
    const span = (w.kernel[i]! - 1) * w.dilations[i]! + 1;
    const pl = span - 1 - w.begin[i]!;
    const pr = inSp[i]! - 1 + span - zLen[i]! - pl;
    if (pl < 0 || pr < 0) return undefined;
    before.push(pl);
    after.push(pr);
  }
  return ctx.op('Conv', [g, flippedWeights(ctx, group)], [
    attrs.ints('dilations', w.dilations),
    attrs.ints('pads', [...before, ...after]),
    attrs.int('group', group),
    attrs.ints('kernel_shape', w.kernel),
  ]);
}

/**
 * A 1x1, stride-1, unpadded, ungrouped convolution is a matrix product per image: dX = W^T dY over
 * the flattened spatial axis. MatMul avoids ConvTranspose's column buffer.
 */
function pointwiseForm(ctx: RuleContext, w: Window, group: number): string | undefined {
  const pointwise = group === 1 && w.kernel.every((k) => k === 1) && w.strides.every((s) => s === 1) && [...w.begin, ...w.end].every((p) => p === 0);
  if (!pointwise) return undefined;
  const wName = ctx.input(1);
  const m = ctx.dim(wName, 0);
  const c = ctx.dim(wName, 1);
  const wt = ctx.transpose(ctx.op('Reshape', [wName, ctx.ints([m, c])]), [1, 0]);
  const flat = ctx.op('Reshape', [ctx.dY, ctx.ints([0, m, -1])]);
  // back to [N, C, spatial...]: 0 keeps the batch, the rest is static
  const x = ctx.input(0);
  const back = ctx.ints([0, c, ...ctx.spatial(x)]);
  return ctx.op('Reshape', [ctx.op('MatMul', [wt, flat]), back]);
}

export const convRules: RuleTable = {
  Conv: (ctx) => {
    ctx.refuse(1, 'the Conv weight');
    ctx.refuse(2, 'the Conv bias');
    if (!ctx.needs(0)) return [];
    const x = ctx.input(0);
    const group = attrInt(ctx.node, 'group', 1);
    const w = readWindow(ctx.node, kernelOf(ctx), ctx.spatial(x));
    const channels = ctx.dim(x, 1);
    const depthwise = group > 1 && group === channels;
    const spatialK = w.kernel.some((k) => k > 1);
    const stride1 = w.strides.every((q) => q === 1);
    // measured on MobileNetV2, ResNet18/50 and VGG11: the conv form wins for depthwise and for
    // stride-1 spatial kernels (ONNX Runtime runs it with its blocked NCHWc kernels); zero insertion
    // makes it lose for other strided convolutions
    const useConv = ctx.forms.conv === 'conv' || (ctx.forms.conv === 'auto' && (depthwise || (spatialK && stride1)));
    const viaConv = useConv ? convForm(ctx, w, group) : undefined;
    const viaMatMul = !viaConv && ctx.forms.conv === 'auto' ? pointwiseForm(ctx, w, group) : undefined;
    return [viaConv ?? viaMatMul ?? transposeForm(ctx, w, group)];
  },

  ConvTranspose: (ctx) => {
    ctx.refuse(1, 'the ConvTranspose weight');
    ctx.refuse(2, 'the ConvTranspose bias');
    const x = ctx.input(0);
    const y = ctx.output();
    const inSp = ctx.spatial(x);
    const outSp = ctx.spatial(y);
    const group = attrInt(ctx.node, 'group', 1);
    const kernel = kernelOf(ctx);
    const n = kernel.length;
    const strides = [...(attrInts(ctx.node, 'strides') ?? new Array<number>(n).fill(1))];
    const dilations = [...(attrInts(ctx.node, 'dilations') ?? new Array<number>(n).fill(1))];
    const outPad = attrInts(ctx.node, 'output_padding') ?? new Array<number>(n).fill(0);
    // total padding from the sizes (covers explicit pads, auto_pad and output_shape alike)
    let pads = attrInts(ctx.node, 'pads');
    if (!pads || attrInts(ctx.node, 'output_shape')) {
      const begin: number[] = [];
      const end: number[] = [];
      for (let i = 0; i < n; i++) {
        const total = strides[i]! * (inSp[i]! - 1) + outPad[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - outSp[i]!;
        // ONNX Runtime puts the odd pad at the start, except for SAME_UPPER
        const sameUpper = attrString(ctx.node, 'auto_pad', 'NOTSET') === 'SAME_UPPER';
        const b = sameUpper ? Math.floor(total / 2) : Math.ceil(total / 2);
        begin.push(b);
        end.push(total - b);
      }
      pads = [...begin, ...end];
    }
    // the adjoint of a transposed convolution is the convolution with the same weights; rows added by
    // output_padding are simply never read
    return [ctx.op('Conv', [ctx.dY, ctx.input(1)], [
      attrs.ints('strides', strides),
      attrs.ints('dilations', dilations),
      attrs.ints('pads', pads),
      attrs.int('group', group),
      attrs.ints('kernel_shape', kernel),
    ])];
  },
};
