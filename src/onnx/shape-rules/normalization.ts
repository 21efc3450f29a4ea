/** Normalizations and same-shape ops with an axis: BatchNorm, LayerNorm, InstanceNorm, Softmax family, Dropout. */
import { attrInt, DType } from '../ir.js';
import { fmtShape, mergeDim, normAxis, same, type ShapeRule } from './context.js';

const batchNorm: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  if (x.shape.length < 2) c.fail(`input must have a channel dimension`);
  const ch = x.shape[1]!;
  for (let i = 1; i <= 4; i++) {
    const p = c.input(i);
    if (p && (p.shape.length !== 1 || mergeDim(p.shape[0]!, ch) === undefined)) {
      c.fail(`parameter ${i} (${c.node.inputs[i]}) has shape ${fmtShape(p.shape)} but the input has ${ch} channels`);
    }
  }
  const stat = { elemType: c.input(3)?.elemType ?? x.elemType, shape: [ch] };
  // training-mode statistics outputs are per channel
  return [same(x), ...c.node.outputs.slice(1).map(() => ({ ...stat, shape: [ch] }))];
};

const layerNorm: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const r = x.shape.length;
  const axis = normAxis(c, attrInt(c.node, 'axis', -1), r);
  const stash = attrInt(c.node, 'stash_type', DType.FLOAT);
  const stat = { elemType: stash, shape: [...x.shape.slice(0, axis), ...x.shape.slice(axis).map(() => 1)] };
  return [same(x), stat, { ...stat, shape: [...stat.shape] }];
};

const withAxis = (dflt: (opset: number) => number): ShapeRule => (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  if (x.shape.length > 0) normAxis(c, attrInt(c.node, 'axis', dflt(c.opset)), x.shape.length);
  return [same(x)];
};

const softmaxAxis = (opset: number) => (opset >= 13 ? -1 : 1);

const dropout: ShapeRule = (c) => {
  const x = c.input(0);
  return x && [same(x), same(x, DType.BOOL)];
};

const sameShape: ShapeRule = (c) => {
  const x = c.input(0);
  return x && [same(x)];
};

export const normalizationRules: Record<string, ShapeRule> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  InstanceNormalization: sameShape,
  LRN: sameShape,
  MeanVarianceNormalization: sameShape,
  LpNormalization: withAxis(() => -1),
  Softmax: withAxis(softmaxAxis),
  LogSoftmax: withAxis(softmaxAxis),
  Hardmax: withAxis(softmaxAxis),
  Dropout: dropout,
};
