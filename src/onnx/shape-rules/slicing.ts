/** Ops that cut, join, pad or index: Concat, Split, Slice, Pad, Gather*, Scatter*. */
import { attr, attrInt, attrInts, type Dim } from '../ir.js';
import type { SymElem } from '../symbolic.js';
import { dimAdd, dimSum, fmtDim, fmtShape, isNum, listArg, mergeDim, normAxis, same, type ShapeInfo, type ShapeRule } from './context.js';

/** Slice bounds at or beyond this count as "to the end" for a dim of unknown size. */
const OPEN_END = 2 ** 31 - 1;

const concat: ShapeRule = (c) => {
  const xs: ShapeInfo[] = [];
  for (let i = 0; i < c.node.inputs.length; i++) {
    const x = c.input(i);
    if (!x) return undefined;
    xs.push(x);
  }
  if (!xs.length) return undefined;
  const r = xs[0]!.shape.length;
  if (!attr(c.node, 'axis')) c.fail(`axis is required`);
  const axis = normAxis(c, attrInt(c.node, 'axis', 0), r);
  const out: Dim[] = [...xs[0]!.shape];
  for (const x of xs.slice(1)) {
    if (x.shape.length !== r) c.fail(`inputs have different ranks`);
    x.shape.forEach((d, i) => {
      if (i === axis) return;
      const m = mergeDim(out[i]!, d);
      if (m === undefined) return c.fail(`dimension ${i} differs between inputs (${fmtDim(out[i]!)} vs ${fmtDim(d)}); only axis ${axis} may differ`);
      out[i] = m;
    });
  }
  out[axis] = dimSum(xs.map((x) => x.shape[axis]!));
  return [{ elemType: xs[0]!.elemType, shape: out }];
};

const split: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const axis = normAxis(c, attrInt(c.node, 'axis', 0), x.shape.length);
  const d = x.shape[axis]!;
  const n = c.node.outputs.length;
  const sizes = listArg(c, 1, 'split');
  let parts: Dim[];
  if (sizes === null) {
    parts = new Array<Dim>(n).fill(null);
  } else if (sizes) {
    if (sizes.length !== n) c.fail(`split ${fmtShape(sizes)} has ${sizes.length} parts for ${n} outputs`);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (isNum(d) && total !== d) c.fail(`split ${fmtShape(sizes)} sums to ${total}, not to the size ${d} of axis ${axis}`);
    parts = sizes;
  } else if (attr(c.node, 'num_outputs')) {
    // opset 18: chunks of ceil(d / n), the last one smaller
    const k = attrInt(c.node, 'num_outputs', n);
    if (k !== n) c.fail(`num_outputs ${k} differs from the ${n} outputs`);
    if (!isNum(d)) parts = new Array<Dim>(n).fill(n === 1 ? d : null);
    else {
      const chunk = Math.ceil(d / n);
      if (chunk * (n - 1) >= d) c.fail(`axis ${axis} of size ${d} cannot be split into ${n} chunks of ${chunk} (the last would be empty)`);
      parts = Array.from({ length: n }, (_, i) => Math.min(chunk, d - chunk * i));
    }
  } else {
    if (isNum(d) && d % n !== 0) c.fail(`axis ${axis} of size ${d} cannot be split equally into ${n} outputs`);
    parts = new Array<Dim>(n).fill(isNum(d) ? d / n : n === 1 ? d : null);
  }
  return parts.map((p) => {
    const s = [...x.shape];
    s[axis] = p;
    return { elemType: x.elemType, shape: s };
  });
};

/** Length of a slice of a dim of size d; start/end may be the dim's own symbol (meaning its end). */
function sliceLength(d: Dim, start: SymElem, end: SymElem, step: number): Dim {
  const toEnd = (v: SymElem) => (typeof v === 'string' && v === d) || (isNum(v) && v >= OPEN_END);
  if (!isNum(d)) {
    if (step === 1 && start === 0 && toEnd(end)) return d;
    if (step === -1 && (start === -1 || toEnd(start)) && isNum(end) && end <= -OPEN_END) return d;
    return null;
  }
  let s = start;
  let e = end;
  if (!isNum(s) || !isNum(e)) return null;
  if (s < 0) s += d;
  if (e < 0) e += d;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = Math.min(Math.max(s, 0), d - 1);
  e = Math.min(Math.max(e, -1), d - 1);
  return Math.max(0, Math.ceil((s - e) / -step));
}

const slice: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const r = x.shape.length;
  let starts: readonly SymElem[] | undefined, ends: readonly SymElem[] | undefined;
  let axes: readonly number[] | undefined, steps: readonly number[] | undefined;
  if (c.node.inputs.length <= 1) {
    // opset 1: attributes
    starts = attrInts(c.node, 'starts');
    ends = attrInts(c.node, 'ends');
    axes = attrInts(c.node, 'axes');
    if (!starts || !ends) c.fail(`starts and ends are required`);
  } else {
    starts = c.value(1)?.values;
    ends = c.value(2)?.values;
    if (c.has(3)) {
      axes = c.numbers(3);
      if (!axes) return [{ elemType: x.elemType, shape: x.shape.map(() => null) }];
    }
    if (c.has(4)) steps = c.numbers(4) ?? [];
  }
  const n = starts?.length ?? ends?.length ?? axes?.length;
  const ax = (axes ?? Array.from({ length: n ?? r }, (_, i) => i)).map((a) => normAxis(c, a, r, 'slice axis'));
  const out = [...x.shape];
  if (!starts || !ends || (steps && steps.length !== ax.length)) {
    for (const a of ax) out[a] = null;
    return [{ elemType: x.elemType, shape: out }];
  }
  if (starts.length !== ax.length || ends.length !== ax.length) c.fail(`starts ${fmtShape(starts)}, ends ${fmtShape(ends)} and axes ${fmtShape(ax)} differ in length`);
  ax.forEach((a, i) => {
    const step = steps ? steps[i]! : 1;
    if (step === 0) c.fail(`slice step is 0`);
    out[a] = sliceLength(x.shape[a]!, starts[i]!, ends[i]!, step);
  });
  return [{ elemType: x.elemType, shape: out }];
};

const pad: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const r = x.shape.length;
  const pads = c.has(1) ? c.numbers(1) : attrInts(c.node, 'pads') ?? attrInts(c.node, 'paddings');
  if (!pads) return [{ elemType: x.elemType, shape: x.shape.map(() => null) }];
  let axes: number[] = x.shape.map((_, i) => i);
  if (c.has(3)) {
    const a = c.numbers(3);
    if (!a) return [{ elemType: x.elemType, shape: x.shape.map(() => null) }];
    axes = a.map((k) => normAxis(c, k, r));
  }
  const n = axes.length;
  if (pads.length !== 2 * n) c.fail(`pads ${fmtShape(pads)} should have ${2 * n} entries`);
  const out = [...x.shape];
  axes.forEach((a, i) => {
    const d = dimAdd(x.shape[a]!, pads[i]! + pads[i + n]!);
    if (isNum(d) && d < 0) c.fail(`pads ${fmtShape(pads)} leave a negative size on axis ${a}`);
    out[a] = d;
  });
  return [{ elemType: x.elemType, shape: out }];
};

const gather: ShapeRule = (c) => {
  const x = c.input(0);
  const idx = c.input(1);
  if (!x || !idx) return undefined;
  const axis = normAxis(c, attrInt(c.node, 'axis', 0), x.shape.length);
  return [{ elemType: x.elemType, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
};

const gatherElements: ShapeRule = (c) => {
  const x = c.input(0);
  const idx = c.input(1);
  if (!x || !idx) return undefined;
  if (x.shape.length !== idx.shape.length) c.fail(`data and indices must have the same rank`);
  normAxis(c, attrInt(c.node, 'axis', 0), x.shape.length);
  return [{ elemType: x.elemType, shape: [...idx.shape] }];
};

const gatherND: ShapeRule = (c) => {
  const x = c.input(0);
  const idx = c.input(1);
  if (!x || !idx) return undefined;
  const b = attrInt(c.node, 'batch_dims', 0);
  const q = idx.shape.length;
  const last = idx.shape[q - 1];
  if (q < 1 || last === undefined || !isNum(last)) return undefined;
  if (b + last > x.shape.length) c.fail(`indices address ${last} dimensions after ${b} batch dimensions of a rank-${x.shape.length} input`);
  return [{ elemType: x.elemType, shape: [...idx.shape.slice(0, q - 1), ...x.shape.slice(b + last)] }];
};

const scatter: ShapeRule = (c) => {
  const x = c.input(0);
  return x && [same(x)];
};

export const slicingRules: Record<string, ShapeRule> = {
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Gather: gather,
  GatherElements: gatherElements,
  GatherND: gatherND,
  ScatterElements: scatter,
  ScatterND: scatter,
  Scatter: scatter,
};
