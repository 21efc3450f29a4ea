/** Reductions (axes as attribute or input, keepdims, noop_with_empty_axes), ArgMax/ArgMin and TopK. */
import { attrInt, DType, type Dim } from '../ir.js';
import { fmtDim, isNum, listArg, normAxis, same, type ShapeRule } from './context.js';

const reduce: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const r = x.shape.length;
  const keep = attrInt(c.node, 'keepdims', 1) === 1;
  // ReduceSum takes axes as an input from opset 13, the others from 18; whichever the node uses
  const axes = listArg(c, 1, 'axes');
  if (axes === null) return keep ? [{ elemType: x.elemType, shape: x.shape.map(() => null) }] : undefined;
  if ((!axes || axes.length === 0) && attrInt(c.node, 'noop_with_empty_axes', 0) === 1) return [same(x)];
  const set = new Set(axes && axes.length ? axes.map((a) => normAxis(c, a, r)) : x.shape.map((_, i) => i));
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!set.has(i)) shape.push(d);
    else if (keep) shape.push(1);
  });
  return [{ elemType: x.elemType, shape }];
};

const argReduce: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const axis = normAxis(c, attrInt(c.node, 'axis', 0), x.shape.length);
  const keep = attrInt(c.node, 'keepdims', 1) === 1;
  const shape = keep ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
  return [{ elemType: DType.INT64, shape }];
};

const topK: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const axis = normAxis(c, attrInt(c.node, 'axis', -1), x.shape.length);
  let k: Dim;
  if (c.has(1)) {
    const v = c.numbers(1);
    if (v && v.length !== 1) c.fail(`K must hold one value`);
    k = v ? v[0]! : null;
  } else {
    k = attrInt(c.node, 'k', -1);
    if (k < 0) c.fail(`k is required`);
  }
  const d = x.shape[axis]!;
  if (isNum(k) && isNum(d) && k > d) c.fail(`K ${k} exceeds the size ${fmtDim(d)} of axis ${axis}`);
  const shape = x.shape.map((dd, i) => (i === axis ? k : dd));
  return [{ elemType: x.elemType, shape }, { elemType: DType.INT64, shape: [...shape] }];
};

const REDUCE = [
  'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
  'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare',
];

export const reduceRules: Record<string, ShapeRule> = {
  ...Object.fromEntries(REDUCE.map((op) => [op, reduce])),
  ArgMax: argReduce,
  ArgMin: argReduce,
  TopK: topK,
};
