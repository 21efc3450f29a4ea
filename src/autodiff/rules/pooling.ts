/** Backward rules for pooling: max (through the argmax indices), average, and their global forms. */
import { fail } from '../../errors.js';
import { attrInt, attrInts } from '../../onnx/ir.js';
import { attrs } from '../../onnx/graph.js';
import { realTensor } from '../../onnx/tensor.js';
import type { RuleContext, RuleTable } from '../context.js';
import { readWindow, transposeGeometry } from './window.js';

function prod(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

export const poolingRules: RuleTable = {
  MaxPool: (ctx) => {
    if (attrInt(ctx.node, 'storage_order', 0) !== 0) {
      fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: MaxPool with storage_order=1 is not differentiated.`);
    }
    const x = ctx.input(0);
    // Indices are positions in the flattened input tensor; overlapping windows may pick the same
    // position, so the gradient is scattered with addition.
    const indices = ctx.ensureOutput(1, 'maxpool_indices');
    const size = ctx.op('Reshape', [ctx.op('Size', [x]), ctx.ints([1])]);
    const zeros = ctx.op('ConstantOfShape', [size], [attrs.tensor('value', realTensor('value', ctx.elemType(x), [1], [0]))]);
    const flat = ctx.ints([-1]);
    const scattered = ctx.op('ScatterElements', [zeros, ctx.op('Reshape', [indices, flat]), ctx.op('Reshape', [ctx.dY, flat])], [
      attrs.int('axis', 0),
      attrs.string('reduction', 'add'),
    ]);
    return [ctx.reshapeLike(scattered, x)];
  },

  AveragePool: (ctx) => {
    const x = ctx.input(0);
    const inSp = ctx.spatial(x);
    const outSp = ctx.spatial(ctx.output());
    const kernel = [...(attrInts(ctx.node, 'kernel_shape') ?? [])];
    const w = readWindow(ctx.node, kernel, inSp);
    const channels = ctx.dim(x, 1);
    // One window over the whole unpadded input (Keras's AveragePooling2D before the head of a
    // MobileNetV2): the gradient is dY/(h*w) broadcast, far cheaper than a ConvTranspose.
    const global = outSp.every((o) => o === 1) && kernel.every((k, i) => k === inSp[i]) && w.dilations.every((d) => d === 1) && [...w.begin, ...w.end].every((p) => p === 0);
    if (global) return [ctx.scale(ctx.expandLike(ctx.dY, x), 1 / prod(inSp))];
    // The divisor of every window, exactly as the runtime applies it: AveragePool of ones gives
    // (valid count)/divisor and a ones-kernel Conv gives the valid count. Both are constants.
    const onesIn = ctx.tensor([1, 1, ...inSp], new Array<number>(prod(inSp)).fill(1), x);
    // sliced to the output size: with ceil_mode, ONNX shape inference may claim one window more than
    // the kernel computes
    const axes = outSp.map((_, i) => i + 2);
    const avgOnes = ctx.op('Slice', [ctx.op('AveragePool', [onesIn], ctx.node.attributes), ctx.ints(axes.map(() => 0)), ctx.ints(outSp), ctx.ints(axes)]);
    const endPads = inSp.map((h, i) => Math.max(0, (outSp[i]! - 1) * w.strides[i]! + (kernel[i]! - 1) * w.dilations[i]! + 1 - h - w.begin[i]!));
    const onesK = ctx.tensor([1, 1, ...kernel], new Array<number>(prod(kernel)).fill(1), x);
    const count = ctx.op('Conv', [onesIn, onesK], [
      attrs.ints('strides', w.strides),
      attrs.ints('dilations', w.dilations),
      attrs.ints('pads', [...w.begin, ...endPads]),
    ]);
    const invDivisor = ctx.where(ctx.greaterThan(count, 0), ctx.div(avgOnes, count), ctx.scalar(0, x));
    const { pads, outputPadding } = transposeGeometry(w, outSp, inSp);
    const kernelOnes = ctx.tensor([channels, 1, ...kernel], new Array<number>(channels * prod(kernel)).fill(1), x);
    return [ctx.op('ConvTranspose', [ctx.mul(ctx.dY, invDivisor), kernelOnes], [
      attrs.ints('strides', w.strides),
      attrs.ints('dilations', w.dilations),
      attrs.ints('pads', pads),
      attrs.ints('output_padding', outputPadding),
      attrs.int('group', channels),
      attrs.ints('kernel_shape', kernel),
    ])];
  },

  GlobalAveragePool: (ctx) => {
    const x = ctx.input(0);
    return [ctx.scale(ctx.expandLike(ctx.dY, x), 1 / prod(ctx.spatial(x)))];
  },

  GlobalMaxPool: (ctx) => {
    // ties share the gradient equally, so the map still sums to the output gradient
    const x = ctx.input(0);
    const axes = ctx.spatial(x).map((_, i) => i + 2);
    const mask = ctx.op('Cast', [ctx.op('Equal', [x, ctx.output()])], [attrs.int('to', ctx.elemType(x))]);
    const count = ctx.sum(mask, axes, true);
    return [ctx.mul(mask, ctx.div(ctx.dY, count))];
  },
};
