/**
 * Window geometry shared by Conv and pooling backward rules: explicit pads from auto_pad, and the
 * ConvTranspose padding that maps a windowed output back onto exactly the input's extent.
 */
import { fail } from '../../errors.js';
import { attrInts, attrString, type Node } from '../../onnx/ir.js';

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** pads before, per spatial axis */
  begin: number[];
  /** pads after, per spatial axis */
  end: number[];
}

/** Reads a Conv/Pool node's window, resolving auto_pad against the input's spatial size. */
export function readWindow(node: Node, kernel: number[], inSpatial: number[]): Window {
  const n = kernel.length;
  const strides = [...(attrInts(node, 'strides') ?? new Array<number>(n).fill(1))];
  const dilations = [...(attrInts(node, 'dilations') ?? new Array<number>(n).fill(1))];
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  let begin = new Array<number>(n).fill(0);
  let end = new Array<number>(n).fill(0);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (let i = 0; i < n; i++) {
      const outSize = Math.ceil(inSpatial[i]! / strides[i]!);
      const total = Math.max(0, (outSize - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - inSpatial[i]!);
      const small = Math.floor(total / 2);
      begin[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      end[i] = total - begin[i]!;
    }
  } else if (autoPad === 'NOTSET') {
    const pads = attrInts(node, 'pads');
    if (pads) {
      begin = pads.slice(0, n);
      end = pads.slice(n, 2 * n);
    }
  } else if (autoPad !== 'VALID') {
    fail('ONNX_PARSE', `node '${node.name}' has unknown auto_pad '${autoPad}'.`);
  }
  return { kernel, strides, dilations, begin, end };
}

/**
 * ConvTranspose padding that turns an output of spatial size `out` back into exactly `inSpatial`
 * (the adjoint of the forward window): pads at the start as in the forward pass, and at the end
 * whatever makes the sizes meet, with output_padding for rows the forward windows never reached.
 */
export function transposeGeometry(w: Window, out: number[], inSpatial: number[]): { pads: number[]; outputPadding: number[] } {
  const n = w.kernel.length;
  const endPads: number[] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < n; i++) {
    const span = (w.kernel[i]! - 1) * w.dilations[i]! + 1;
    const full = w.strides[i]! * (out[i]! - 1) + span - w.begin[i]!;
    const extra = full - inSpatial[i]!;
    if (extra >= 0) {
      endPads.push(extra);
      outputPadding.push(0);
    } else {
      endPads.push(0);
      outputPadding.push(-extra);
    }
  }
  return { pads: [...w.begin, ...endPads], outputPadding };
}
