/** Pooling: MaxPool (with Indices), AveragePool, LpPool, the global pools and MaxUnpool. */
import { attrInts, DType, type Dim } from '../ir.js';
import { fmtShape, intsOr, isNum, type ShapeRule } from './context.js';
import { readWindow, windowOutput } from './conv.js';

const pool: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const kernel = attrInts(c.node, 'kernel_shape');
  if (!kernel) return c.fail(`kernel_shape is required`);
  if (x.shape.length !== kernel.length + 2) c.fail(`kernel_shape ${fmtShape(kernel)} does not fit an input of rank ${x.shape.length}`);
  const win = readWindow(c, kernel);
  const spatial = x.shape.slice(2).map((d, i) => windowOutput(c, d, i, win));
  const y = { elemType: x.elemType, shape: [x.shape[0]!, x.shape[1]!, ...spatial] };
  return [y, { elemType: DType.INT64, shape: [...y.shape] }];
};

const globalPool: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  if (x.shape.length < 2) c.fail(`input must have batch and channel dimensions`);
  return [{ elemType: x.elemType, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] }];
};

const maxUnpool: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  if (c.has(2)) {
    const v = c.value(2);
    if (v) return [{ elemType: x.elemType, shape: [...v.values] }];
    const s = c.input(2);
    return s && isNum(s.shape[0] ?? null) ? [{ elemType: x.elemType, shape: new Array<Dim>(s.shape[0] as number).fill(null) }] : undefined;
  }
  const kernel = attrInts(c.node, 'kernel_shape');
  if (!kernel) return c.fail(`kernel_shape is required`);
  const n = kernel.length;
  if (x.shape.length !== n + 2) c.fail(`kernel_shape ${fmtShape(kernel)} does not fit an input of rank ${x.shape.length}`);
  const strides = intsOr(c.node, 'strides', n, 1);
  const pads = intsOr(c.node, 'pads', 2 * n, 0);
  const spatial = x.shape.slice(2).map((d, i) => (isNum(d) ? (d - 1) * strides[i]! + kernel[i]! - pads[i]! - pads[i + n]! : null));
  return [{ elemType: x.elemType, shape: [x.shape[0]!, x.shape[1]!, ...spatial] }];
};

export const poolRules: Record<string, ShapeRule> = {
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  MaxUnpool: maxUnpool,
};
