/**
 * Receptive fields computed from the graph: for a tensor with spatial axes, which input pixels each of
 * its positions sees. Per spatial axis, a unit at position i of the tensor sees input pixels
 * [lo + i·jump, hi + i·jump] (before clipping to the image). Walking the graph from the input:
 *
 *   input:                     lo = hi = 0, jump = 1
 *   Conv / pooling (kernel k, stride s, dilation d, leading pad p; k' = d(k − 1) + 1):
 *                              lo' = lo − p·jump,  hi' = hi + (k' − 1 − p)·jump,  jump' = s·jump
 *   Pad (leading pad p):       lo' = lo − p·jump,  hi' = hi − p·jump
 *   elementwise, Concat, activations, normalization, Transpose: the union of the inputs' fields
 *
 * (Araujo, Norris & Sim 2019, "Computing Receptive Fields of Convolutional Neural Networks", Distill,
 * Eq. 1-2, written with both ends of the field so that asymmetric padding and branches that merge are
 * exact.) auto_pad SAME_UPPER/SAME_LOWER pads as ONNX defines, from the inferred input size. Ops that
 * mix all positions (global pooling, Gemm, Flatten, Reshape) or resample (Resize, ConvTranspose) end
 * spatial fields: tensors after them are not given one.
 */
import { fail } from '../errors.js';
import { attrInts, attrString, type Node } from '../onnx/ir.js';
import { topologicalNodes } from '../onnx/graph.js';
import type { ImageModel } from '../model/image-model.js';

export interface AxisField {
  readonly lo: number;
  readonly hi: number;
  readonly jump: number;
}

export interface ReceptiveField {
  /** along the height and the width */
  readonly h: AxisField;
  readonly w: AxisField;
}

/** Input pixel rows/columns a unit sees, clipped to the input: [y0, y1) × [x0, x1). */
export interface PixelBox {
  readonly y0: number;
  readonly y1: number;
  readonly x0: number;
  readonly x1: number;
}

const WINDOW_OPS = new Set(['Conv', 'MaxPool', 'AveragePool', 'LpPool']);
const PASS_OPS = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Softplus', 'Clip', 'Gelu', 'Erf',
  'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'Dropout', 'Identity', 'Cast',
  'Add', 'Sub', 'Mul', 'Div', 'Sum', 'Max', 'Min', 'Mean', 'Pow', 'Sqrt', 'Exp', 'Log', 'Abs', 'Neg', 'Reciprocal',
  'Concat', 'Transpose', 'Where', 'LRN', 'Mish',
]);

function union(a: AxisField | undefined, b: AxisField): AxisField {
  if (!a) return b;
  // branches that merge have the same stride (their positions line up); if not, keep the coarser one
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi), jump: Math.max(a.jump, b.jump) };
}

/** Receptive fields of every tensor of the model that has one, by tensor name. */
export function receptiveFields(model: ImageModel): Map<string, ReceptiveField> {
  const fields = new Map<string, ReceptiveField>();
  const axis0: AxisField = { lo: 0, hi: 0, jump: 1 };
  fields.set(model.inputName, { h: axis0, w: axis0 });
  const spatialSize = (name: string): [number, number] | undefined => {
    const s = model.shapes.get(name)?.shape;
    if (!s || s.length !== 4) return undefined;
    // feature maps inside the graph are NCHW; the input may be NHWC
    const nhwc = name === model.inputName && model.input.layout === 'NHWC';
    const [hh, ww] = nhwc ? [s[1], s[2]] : [s[2], s[3]];
    return typeof hh === 'number' && typeof ww === 'number' ? [hh, ww] : undefined;
  };
  for (const node of topologicalNodes(model.onnx.graph)) {
    const ins = node.inputs.filter((n) => n !== '' && fields.has(n));
    if (ins.length === 0) continue;
    if (WINDOW_OPS.has(node.opType)) {
      const f = fields.get(node.inputs[0]!)!;
      const out = windowField(node, f, spatialSize(node.inputs[0]!));
      if (out) fields.set(node.outputs[0]!, out);
    } else if (node.opType === 'Pad') {
      const f = fields.get(node.inputs[0]!)!;
      const pads = padsOfPad(node, model);
      if (pads) fields.set(node.outputs[0]!, { h: { ...f.h, lo: f.h.lo - pads[0] * f.h.jump, hi: f.h.hi - pads[0] * f.h.jump }, w: { ...f.w, lo: f.w.lo - pads[1] * f.w.jump, hi: f.w.hi - pads[1] * f.w.jump } });
    } else if (PASS_OPS.has(node.opType)) {
      let h: AxisField | undefined;
      let w: AxisField | undefined;
      for (const n of ins) {
        const f = fields.get(n)!;
        h = union(h, f.h);
        w = union(w, f.w);
      }
      for (const o of node.outputs) if (o) fields.set(o, { h: h!, w: w! });
    }
  }
  return fields;
}

/** Leading pads (top, left) of a Pad node with constant pads, else undefined. */
function padsOfPad(node: Node, model: ImageModel): [number, number] | undefined {
  let pads = attrInts(node, 'pads');
  if (!pads && node.inputs[1]) {
    const t = model.onnx.graph.initializers.find((i) => i.name === node.inputs[1]);
    if (t && t.dataType === 7) {
      const v = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
      pads = Array.from({ length: t.raw.byteLength / 8 }, (_, i) => Number(v.getBigInt64(i * 8, true)));
    }
  }
  if (!pads || pads.length !== 8) return undefined;
  return [pads[2]!, pads[3]!];
}

function windowField(node: Node, f: ReceptiveField, size: [number, number] | undefined): ReceptiveField | undefined {
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel || kernel.length !== 2) return undefined;
  const strides = attrInts(node, 'strides') ?? [1, 1];
  const dil = attrInts(node, 'dilations') ?? [1, 1];
  let pads = attrInts(node, 'pads') ?? [0, 0, 0, 0];
  const auto = attrString(node, 'auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    if (!size) return undefined;
    const begin = [0, 1].map((a) => {
      const k = dil[a]! * (kernel[a]! - 1) + 1;
      const total = Math.max(0, (Math.ceil(size[a]! / strides[a]!) - 1) * strides[a]! + k - size[a]!);
      return auto === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
    });
    pads = [begin[0]!, begin[1]!, 0, 0];
  } else if (auto === 'VALID') {
    pads = [0, 0, 0, 0];
  }
  const axis = (a: AxisField, i: number): AxisField => {
    const k = dil[i]! * (kernel[i]! - 1) + 1;
    return { lo: a.lo - pads[i]! * a.jump, hi: a.hi + (k - 1 - pads[i]!) * a.jump, jump: a.jump * strides[i]! };
  };
  return { h: axis(f.h, 0), w: axis(f.w, 1) };
}

/** The receptive field of `tensor`, or a typed error naming why it has none. */
export function receptiveField(model: ImageModel, tensor: string): ReceptiveField {
  const f = receptiveFields(model).get(tensor);
  if (!f) fail('UNKNOWN_LAYER', `'${tensor}' has no spatial receptive field that cnnlens can compute (an op between it and the input mixes all positions or resamples).`);
  return f;
}

/** Input pixels seen by the unit at (y, x), clipped to an input of height × width. */
export function unitBox(f: ReceptiveField, y: number, x: number, height: number, width: number): PixelBox {
  return {
    y0: Math.max(0, f.h.lo + y * f.h.jump),
    y1: Math.min(height, f.h.hi + y * f.h.jump + 1),
    x0: Math.max(0, f.w.lo + x * f.w.jump),
    x1: Math.min(width, f.w.hi + x * f.w.jump + 1),
  };
}
