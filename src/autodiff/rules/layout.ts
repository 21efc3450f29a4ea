/**
 * Backward rules for ops that move values without changing them: reshapes, transposes, concatenation,
 * splitting, slicing and padding.
 */
import { fail } from '../../errors.js';
import { attrInt, attrInts, attrString } from '../../onnx/ir.js';
import { attrs } from '../../onnx/graph.js';
import type { RuleContext, RuleTable } from '../context.js';

const passThrough = (ctx: RuleContext) => [ctx.dY];
const reshapeBack = (ctx: RuleContext) => [ctx.reshapeLike(ctx.dY, ctx.input(0))];

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Sizes along `axis` of the given tensors, as a graph tensor when any is symbolic. */
function sizesAlong(ctx: RuleContext, names: readonly string[], axis: number): number[] | undefined {
  const sizes = names.map((n) => ctx.shape(n)[axis]);
  return sizes.every((s): s is number => typeof s === 'number') ? sizes : undefined;
}

/** Per-axis (begin, end) crop of g: keeps [begin, begin + length) along each listed axis. */
function crop(ctx: RuleContext, g: string, axes: number[], begins: number[], lengths: number[]): string {
  if (axes.length === 0) return g;
  return ctx.op('Slice', [g, ctx.ints(begins), ctx.ints(begins.map((b, i) => b + lengths[i]!)), ctx.ints(axes)]);
}

/** Zero-pads g by (before, after) along each axis of a tensor of rank r. */
function zeroPad(ctx: RuleContext, g: string, r: number, before: number[], after: number[]): string {
  if (before.every((v) => v === 0) && after.every((v) => v === 0)) return g;
  return ctx.op('Pad', [g, ctx.ints([...before, ...after])], [attrs.string('mode', 'constant')]);
}

export const layoutRules: RuleTable = {
  Identity: passThrough,
  Dropout: passThrough,
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,

  Cast: (ctx) => {
    const from = ctx.elemType(ctx.input(0));
    return [ctx.op('Cast', [ctx.dY], [attrs.int('to', from)])];
  },

  Expand: (ctx) => [ctx.unbroadcast(ctx.dY, ctx.shape(ctx.output()), ctx.input(0))],

  Transpose: (ctx) => {
    const r = ctx.rank(ctx.input(0));
    const perm = attrInts(ctx.node, 'perm') ?? [...Array(r).keys()].reverse();
    const inv = new Array<number>(r);
    perm.forEach((p, i) => (inv[p] = i));
    return [ctx.transpose(ctx.dY, inv)];
  },

  Concat: (ctx) => {
    const r = ctx.rank(ctx.output());
    const axis = normAxis(attrInt(ctx.node, 'axis', 0), r);
    const inputs = ctx.node.inputs;
    const sizes = sizesAlong(ctx, inputs, axis);
    let splitSizes: string;
    if (sizes) splitSizes = ctx.ints(sizes);
    else {
      const parts = inputs.map((n) => ctx.op('Slice', [ctx.shapeOf(n), ctx.ints([axis]), ctx.ints([axis + 1])]));
      splitSizes = ctx.op('Concat', parts, [attrs.int('axis', 0)]);
    }
    const pieces = ctx.ops('Split', [ctx.dY, splitSizes], inputs.length, [attrs.int('axis', axis)]);
    return inputs.map((_, i) => (ctx.needs(i) ? pieces[i] : undefined));
  },

  Split: (ctx) => {
    const x = ctx.input(0);
    const axis = normAxis(attrInt(ctx.node, 'axis', 0), ctx.rank(x));
    const parts = ctx.node.outputs.map((o, i) => ctx.grad(i) ?? ctx.zerosLike(o));
    return [ctx.op('Concat', parts, [attrs.int('axis', axis)])];
  },

  Slice: (ctx) => {
    const x = ctx.input(0);
    const xs = ctx.shape(x);
    const r = xs.length;
    const starts = ctx.constValue(ctx.input(1));
    const ends = ctx.constValue(ctx.input(2));
    const axesIn = ctx.input(3) ? ctx.constValue(ctx.input(3)) : [...Array(starts?.length ?? 0).keys()];
    const steps = ctx.input(4) ? ctx.constValue(ctx.input(4)) : starts?.map(() => 1);
    if (!starts || !ends || !axesIn || !steps) {
      fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: Slice with computed starts/ends/axes/steps is not differentiated; only constant slices are.`);
    }
    // Build, per axis, the list of input positions that the output takes (ONNX clamping rules).
    let g = ctx.dY;
    const before = new Array<number>(r).fill(0);
    const after = new Array<number>(r).fill(0);
    const gatherAxes: { axis: number; picks: number[]; dim: number }[] = [];
    axesIn.forEach((a, k) => {
      const axis = normAxis(a, r);
      const dim = ctx.dim(x, axis);
      const step = steps[k]!;
      let s = starts[k]!;
      let e = ends[k]!;
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      if (step > 0) {
        s = Math.min(Math.max(s, 0), dim);
        e = Math.min(Math.max(e, 0), dim);
      } else {
        s = Math.min(Math.max(s, 0), dim - 1);
        e = Math.min(Math.max(e, -1), dim - 1);
      }
      const picks: number[] = [];
      for (let i = s; step > 0 ? i < e : i > e; i += step) picks.push(i);
      if (step === 1) {
        before[axis] = s;
        after[axis] = dim - s - picks.length;
      } else gatherAxes.push({ axis, picks, dim });
    });
    // Strided or reversed axes: scatter back through a gather from the gradient padded with one zero slot.
    for (const { axis, picks, dim } of gatherAxes) {
      const pb = new Array<number>(r).fill(0);
      const pa = new Array<number>(r).fill(0);
      pa[axis] = 1;
      const padded = zeroPad(ctx, g, r, pb, pa);
      const inverse = new Array<number>(dim).fill(picks.length);
      picks.forEach((p, j) => (inverse[p] = j));
      g = ctx.op('Gather', [padded, ctx.ints(inverse)], [attrs.int('axis', axis)]);
    }
    return [zeroPad(ctx, g, r, before, after)];
  },

  Pad: (ctx) => {
    const mode = attrString(ctx.node, 'mode', 'constant');
    if (mode !== 'constant') {
      fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: Pad mode '${mode}' has no backward rule (only 'constant' padding is differentiated).`);
    }
    ctx.refuse(2, 'the Pad value');
    const x = ctx.input(0);
    const r = ctx.rank(x);
    const pads = ctx.constValue(ctx.input(1));
    if (!pads) fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: Pad with computed pads is not differentiated; only constant pads are.`);
    const axesIn = ctx.input(3) ? ctx.constValue(ctx.input(3)) : [...Array(r).keys()];
    if (!axesIn) fail('NO_GRADIENT_RULE', `Error in ${ctx.label}: Pad with computed axes is not differentiated.`);
    const n = axesIn.length;
    const begin = new Array<number>(r).fill(0);
    const end = new Array<number>(r).fill(0);
    axesIn.forEach((a, k) => {
      const axis = normAxis(a, r);
      begin[axis] = pads[k]!;
      end[axis] = pads[k + n]!;
    });
    // negative pads crop in the forward pass, so the backward pass pads there
    const g = zeroPad(ctx, ctx.dY, r, begin.map((b) => Math.max(0, -b)), end.map((e) => Math.max(0, -e)));
    const axes: number[] = [];
    const starts: number[] = [];
    const lengths: number[] = [];
    for (let axis = 0; axis < r; axis++) {
      if (begin[axis]! > 0 || end[axis]! > 0) {
        axes.push(axis);
        starts.push(Math.max(0, begin[axis]!));
        lengths.push(ctx.dim(x, axis));
      }
    }
    return [crop(ctx, g, axes, starts, lengths)];
  },
};
