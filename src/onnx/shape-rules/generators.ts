/** Ops whose output shape comes from values or attributes: Shape, Size, Constant, ConstantOfShape, Range, Resize, Upsample, NonZero. */
import { attr, attrInt, attrInts, attrString, DType, type Dim } from '../ir.js';
import { constantAttr, type SymElem } from '../symbolic.js';
import { fmtShape, isNum, normAxis, same, type RuleContext, type ShapeRule } from './context.js';

const shapeOp: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const r = x.shape.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(attrInt(c.node, 'start', 0));
  const end = attr(c.node, 'end') ? clamp(attrInt(c.node, 'end', r)) : r;
  return [{ elemType: DType.INT64, shape: [Math.max(0, end - start)] }];
};

const size: ShapeRule = (c) => (c.input(0) ? [{ elemType: DType.INT64, shape: [] }] : undefined);

const constant: ShapeRule = (c) => {
  const k = constantAttr(c.node);
  if (!k) return undefined;
  return [{ elemType: k.dataType, shape: [...k.dims] }];
};

/** A shape given as a 1-D tensor value: its entries, or unknowns when only its length is known. */
function shapeFromValue(c: RuleContext, slot: number): Dim[] | undefined {
  const v = c.value(slot);
  if (v) return [...v.values];
  const s = c.input(slot);
  if (s && s.shape.length === 1 && isNum(s.shape[0]!)) return new Array<Dim>(s.shape[0]).fill(null);
  return undefined;
}

const constantOfShape: ShapeRule = (c) => {
  const shape = shapeFromValue(c, 0);
  if (!shape) return undefined;
  const v = attr(c.node, 'value');
  const elemType = v && v.type === 'tensor' ? v.value.dataType : DType.FLOAT;
  return [{ elemType, shape }];
};

const range: ShapeRule = (c) => {
  const t = c.input(0);
  if (!t) return undefined;
  const [start, limit, delta] = [0, 1, 2].map((i) => c.numbers(i)?.[0]);
  if (delta === 0) c.fail(`delta is 0`);
  const n = start !== undefined && limit !== undefined && delta !== undefined ? Math.max(Math.ceil((limit - start) / delta), 0) : null;
  return [{ elemType: t.elemType, shape: [n] }];
};

/** floor(d × scale), computed in float32 as ONNX Runtime does. */
function scaled(d: Dim, s: number): Dim {
  if (s === 1) return d;
  if (!isNum(d)) return null;
  return Math.floor(Math.fround(Math.fround(s) * Math.fround(d)));
}

const resize: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const r = x.shape.length;
  const axesAttr = attrInts(c.node, 'axes');
  const axes = axesAttr ? axesAttr.map((a) => normAxis(c, a, r)) : x.shape.map((_, i) => i);
  const scalesSlot = c.opset < 11 ? 1 : 2;
  const out = [...x.shape];
  const scalesGiven = c.has(scalesSlot) && c.input(scalesSlot)?.shape[0] !== 0;
  const sizesGiven = c.opset >= 11 && c.has(3) && c.input(3)?.shape[0] !== 0;
  if (sizesGiven) {
    const sizes: readonly SymElem[] | undefined = c.value(3)?.values;
    if (!sizes) return [{ elemType: x.elemType, shape: out.map((d, i) => (axes.includes(i) ? null : d)) }];
    if (sizes.length !== axes.length) c.fail(`sizes ${fmtShape(sizes)} do not match ${axes.length} axes`);
    const policy = attrString(c.node, 'keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch') {
      axes.forEach((a, i) => (out[a] = sizes[i]!));
    } else {
      const ratios = axes.map((a, i) => {
        const d = x.shape[a]!;
        const s = sizes[i]!;
        return isNum(d) && isNum(s) ? s / d : NaN;
      });
      const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      axes.forEach((a) => {
        const d = x.shape[a]!;
        out[a] = Number.isNaN(scale) || !isNum(d) ? null : Math.round(scale * d);
      });
    }
    return [{ elemType: x.elemType, shape: out }];
  }
  if (!scalesGiven) c.fail(`neither scales nor sizes is given`);
  const scales = c.numbers(scalesSlot);
  if (!scales) return [{ elemType: x.elemType, shape: out.map((d, i) => (axes.includes(i) ? null : d)) }];
  if (scales.length !== axes.length) c.fail(`scales ${fmtShape(scales)} do not match ${axes.length} axes`);
  axes.forEach((a, i) => (out[a] = scaled(x.shape[a]!, scales[i]!)));
  return [{ elemType: x.elemType, shape: out }];
};

const upsample: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const a = attr(c.node, 'scales');
  const scales = a && a.type === 'floats' ? [...a.value] : c.has(1) ? c.numbers(1) : undefined;
  if (!scales) return [{ elemType: x.elemType, shape: x.shape.map(() => null) }];
  if (scales.length !== x.shape.length) c.fail(`scales ${fmtShape(scales)} do not match rank ${x.shape.length}`);
  return [{ elemType: x.elemType, shape: x.shape.map((d, i) => scaled(d, scales[i]!)) }];
};

const nonZero: ShapeRule = (c) => {
  const x = c.input(0);
  return x && [{ elemType: DType.INT64, shape: [x.shape.length, null] }];
};

const eyeLike: ShapeRule = (c) => {
  const x = c.input(0);
  return x && [same(x, attrInt(c.node, 'dtype', x.elemType))];
};

const oneHot: ShapeRule = (c) => {
  const idx = c.input(0);
  const values = c.input(2);
  if (!idx || !values) return undefined;
  const depth = c.numbers(1)?.[0];
  const r = idx.shape.length + 1;
  const axis = normAxis(c, attrInt(c.node, 'axis', -1), r);
  const shape: Dim[] = [...idx.shape];
  shape.splice(axis, 0, depth === undefined ? null : Math.trunc(depth));
  return [{ elemType: values.elemType, shape }];
};

export const generatorRules: Record<string, ShapeRule> = {
  Shape: shapeOp,
  Size: size,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Range: range,
  Resize: resize,
  Upsample: upsample,
  NonZero: nonZero,
  EyeLike: eyeLike,
  OneHot: oneHot,
};
