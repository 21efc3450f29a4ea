/** Conv and ConvTranspose. Also the sliding-window size arithmetic the pooling rules reuse. */
import { attrInt, attrInts, attrString, type Dim } from '../ir.js';
import { fmtShape, intsOr, isNum, mergeDim, type RuleContext, type ShapeRule } from './context.js';

export interface Window {
  kernel: readonly Dim[];
  strides: readonly number[];
  dilations: readonly number[];
  /** begin pads then end pads, as in ONNX */
  pads: readonly number[];
  autoPad: string;
  ceilMode?: boolean;
}

/** Output size of a sliding window over `size` along spatial axis i. */
export function windowOutput(c: RuleContext, size: Dim, i: number, w: Window): Dim {
  const k = w.kernel[i]!;
  const s = w.strides[i]!;
  const d = w.dilations[i]!;
  const n = w.kernel.length;
  if (s <= 0 || d <= 0) c.fail(`strides and dilations must be positive, got strides ${fmtShape(w.strides)}, dilations ${fmtShape(w.dilations)}`);
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    if (s === 1) return size;
    return isNum(size) ? Math.ceil(size / s) : null;
  }
  if (!isNum(k)) return null;
  const ek = (k - 1) * d + 1;
  const padTotal = w.autoPad === 'VALID' ? 0 : w.pads[i]! + w.pads[i + n]!;
  // stride 1 with "same" padding keeps even a symbolic size
  if (s === 1 && padTotal === ek - 1) return size;
  if (!isNum(size)) return null;
  const span = size + padTotal - ek;
  if (span < 0) c.fail(`spatial dimension ${i} of size ${size} (padded by ${padTotal}) is smaller than the ${w.dilations[i] === 1 ? '' : 'dilated '}kernel ${ek}`);
  let out = w.ceilMode ? Math.ceil(span / s) + 1 : Math.floor(span / s) + 1;
  // a last window starting inside the end padding is dropped
  if (w.ceilMode && (out - 1) * s >= size + w.pads[i]!) out--;
  return out;
}

export function readWindow(c: RuleContext, kernel: readonly Dim[]): Window {
  const n = kernel.length;
  const pads = intsOr(c.node, 'pads', 2 * n, 0);
  const strides = intsOr(c.node, 'strides', n, 1);
  const dilations = intsOr(c.node, 'dilations', n, 1);
  if (pads.length !== 2 * n || strides.length !== n || dilations.length !== n) {
    c.fail(`expected ${n} strides/dilations and ${2 * n} pads for ${n} spatial dimensions, got strides ${fmtShape(strides)}, dilations ${fmtShape(dilations)}, pads ${fmtShape(pads)}`);
  }
  return { kernel, strides, dilations, pads, autoPad: attrString(c.node, 'auto_pad', 'NOTSET'), ceilMode: attrInt(c.node, 'ceil_mode', 0) === 1 };
}

function kernelOf(c: RuleContext, weight: readonly Dim[]): readonly Dim[] {
  const k = attrInts(c.node, 'kernel_shape');
  if (!k) return weight.slice(2);
  if (k.length !== weight.length - 2 || k.some((d, i) => mergeDim(d, weight[i + 2]!) === undefined)) {
    c.fail(`kernel_shape ${fmtShape(k)} disagrees with the weight's spatial dimensions ${fmtShape(weight.slice(2))}`);
  }
  return k;
}

const conv: ShapeRule = (c) => {
  const x = c.input(0);
  const w = c.input(1);
  if (!x || !w) return undefined;
  const r = x.shape.length;
  if (r < 3) c.fail(`input must have a batch, a channel and at least one spatial dimension`);
  if (w.shape.length !== r) c.fail(`weight rank ${w.shape.length} differs from input rank ${r}`);
  const group = attrInt(c.node, 'group', 1);
  const [cin, cw, m] = [x.shape[1]!, w.shape[1]!, w.shape[0]!];
  if (isNum(cin) && isNum(cw) && cin !== cw * group) {
    c.fail(`input has ${cin} channels but the weight expects ${cw} per group × ${group} group(s) = ${cw * group}`);
  }
  if (isNum(m) && m % group !== 0) c.fail(`${m} output channels are not divisible by group ${group}`);
  const b = c.input(2);
  if (b && (b.shape.length !== 1 || mergeDim(b.shape[0]!, m) === undefined)) c.fail(`bias shape ${fmtShape(b.shape)} does not match ${m} output channels`);
  const kernel = kernelOf(c, w.shape);
  const win = readWindow(c, kernel);
  win.ceilMode = false;
  const spatial = x.shape.slice(2).map((d, i) => windowOutput(c, d, i, win));
  return [{ elemType: x.elemType, shape: [x.shape[0]!, m, ...spatial] }];
};

const convTranspose: ShapeRule = (c) => {
  const x = c.input(0);
  const w = c.input(1);
  if (!x || !w) return undefined;
  const r = x.shape.length;
  if (r < 3) c.fail(`input must have a batch, a channel and at least one spatial dimension`);
  if (w.shape.length !== r) c.fail(`weight rank ${w.shape.length} differs from input rank ${r}`);
  const n = r - 2;
  const group = attrInt(c.node, 'group', 1);
  const cin = x.shape[1]!;
  const cw = w.shape[0]!;
  if (isNum(cin) && isNum(cw) && cin !== cw) c.fail(`input has ${cin} channels but the weight expects ${cw}`);
  const m = isNum(w.shape[1]!) ? w.shape[1] * group : null;
  const kernel = kernelOf(c, w.shape);
  const win = readWindow(c, kernel);
  const outPad = intsOr(c.node, 'output_padding', n, 0);
  const outputShape = attrInts(c.node, 'output_shape');
  let spatial: Dim[];
  if (outputShape) {
    spatial = outputShape.slice(outputShape.length - n);
  } else {
    spatial = x.shape.slice(2).map((d, i) => {
      const s = win.strides[i]!;
      if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') return isNum(d) ? d * s : s === 1 ? d : null;
      const k = kernel[i]!;
      if (!isNum(k)) return null;
      const ek = (k - 1) * win.dilations[i]! + 1;
      const padTotal = win.autoPad === 'VALID' ? 0 : win.pads[i]! + win.pads[i + n]!;
      const extra = outPad[i]! + ek - padTotal;
      if (s === 1 && extra === 1) return d;
      if (!isNum(d)) return null;
      const out = s * (d - 1) + extra;
      if (out <= 0) c.fail(`output size ${out} along spatial dimension ${i} is not positive`);
      return out;
    });
  }
  return [{ elemType: x.elemType, shape: [x.shape[0]!, m, ...spatial] }];
};

export const convRules: Record<string, ShapeRule> = { Conv: conv, ConvTranspose: convTranspose };
