/**
 * Window geometry shared by convolutions and pooling: TensorFlow's 'valid' / 'same' padding as ONNX
 * attributes, and the output size. TF's 'same' puts the odd extra pixel at the end (ONNX SAME_UPPER);
 * explicit pads are used when the input size is known.
 */
import { attrs } from '../../onnx/graph.js';
import type { Attribute } from '../../onnx/ir.js';
import { malformed, str, type LayerCall } from './common.js';

export interface Window {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
}

export function paddingMode(call: LayerCall): 'valid' | 'same' {
  const p = str(call, 'padding', 'valid').toLowerCase();
  if (p !== 'valid' && p !== 'same') malformed(call, `padding '${p}' (expected 'valid' or 'same')`);
  return p;
}

function outSize(size: number | null, k: number, s: number, d: number, mode: 'valid' | 'same'): number | null {
  if (size === null) return null;
  return mode === 'same' ? Math.ceil(size / s) : Math.floor((size - ((k - 1) * d + 1)) / s) + 1;
}

/** ONNX window attributes and the output [H, W] for an input [H, W]. */
export function windowAttrs(call: LayerCall, hw: readonly (number | null)[], w: Window, mode: 'valid' | 'same'): { attributes: Attribute[]; out: [number | null, number | null] } {
  const attributes: Attribute[] = [attrs.ints('kernel_shape', w.kernel), attrs.ints('strides', w.strides)];
  const out: [number | null, number | null] = [0, 1].map((i) => outSize(hw[i]!, w.kernel[i]!, w.strides[i]!, w.dilations[i]!, mode)) as [number | null, number | null];
  if (out.some((o) => o !== null && o < 1)) malformed(call, `the ${w.kernel.join('x')} window does not fit the ${hw.join('x')} input`);
  if (mode === 'same') {
    if (hw[0] === null || hw[1] === null) {
      attributes.push(attrs.string('auto_pad', 'SAME_UPPER'));
    } else {
      const before: number[] = [];
      const after: number[] = [];
      for (let i = 0; i < 2; i++) {
        const total = Math.max((out[i]! - 1) * w.strides[i]! + (w.kernel[i]! - 1) * w.dilations[i]! + 1 - hw[i]!, 0);
        before.push(Math.floor(total / 2));
        after.push(total - Math.floor(total / 2));
      }
      attributes.push(attrs.ints('pads', [...before, ...after]));
    }
  }
  return { attributes, out };
}
