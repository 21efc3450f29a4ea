/**
 * BatchNormalization in inference mode: an ONNX BatchNormalization on the channel axis of NCHW and
 * [N, C] tensors (the engine folds it into the conv before it); a Mul + Add on any other axis.
 */
import { attrs } from '../../onnx/graph.js';
import { bool, checkedWeights, graphAxis, malformed, num, oneInput, tmp, type LayerCall, type LayerConverter } from './common.js';

/** The one normalized axis of a config that may hold an int or a one-element list. */
export function singleAxis(call: LayerCall, dflt: number): number {
  const a = call.layer.config['axis'];
  if (a === undefined || a === null) return dflt;
  if (typeof a === 'number' && Number.isInteger(a)) return a;
  if (Array.isArray(a) && a.length === 1 && typeof a[0] === 'number') return a[0];
  malformed(call, `config 'axis' should be one axis, got ${JSON.stringify(a)}`);
}

const batchNormalization: LayerConverter = (call) => {
  const v = oneInput(call);
  const axis = graphAxis(call, v, singleAxis(call, -1));
  const rank = v.shape.length + 1;
  const keras = rank === 4 ? [0, 3, 1, 2][axis]! : axis;
  const c = v.shape[keras - 1];
  if (typeof c !== 'number') malformed(call, 'the size of the normalized axis is unknown');
  const scale = bool(call, 'scale', true);
  const center = bool(call, 'center', true);
  const eps = num(call, 'epsilon', 1e-3);
  const ws = checkedWeights(call, [
    ...(scale ? [{ name: 'gamma', shape: [c] }] : []),
    ...(center ? [{ name: 'beta', shape: [c] }] : []),
    { name: 'moving_mean', shape: [c] },
    { name: 'moving_variance', shape: [c] },
  ]);
  const gamma = scale ? ws[0]!.data : new Float32Array(c).fill(1);
  const beta = center ? ws[scale ? 1 : 0]!.data : new Float32Array(c);
  const mean = ws[ws.length - 2]!.data;
  const variance = ws[ws.length - 1]!.data;
  const b = call.b;
  if (axis === 1) {
    const inputs = [v.name, b.floats(`${call.out}/gamma`, [c], gamma), b.floats(`${call.out}/beta`, [c], beta), b.floats(`${call.out}/moving_mean`, [c], mean), b.floats(`${call.out}/moving_variance`, [c], variance)];
    b.op('BatchNormalization', inputs, [attrs.float('epsilon', eps)], call.out);
    return { name: call.out, shape: v.shape };
  }
  const a = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    a[i] = gamma[i]! / Math.sqrt(variance[i]! + eps);
    shift[i] = beta[i]! - mean[i]! * a[i]!;
  }
  const dims = Array.from({ length: rank }, (_, i) => (i === axis ? c : 1)).slice(1);
  const scaled = b.op('Mul', [v.name, b.floats(`${call.out}/scale`, dims, a)], [], tmp(call, 'scaled'));
  b.op('Add', [scaled, b.floats(`${call.out}/shift`, dims, shift)], [], call.out);
  return { name: call.out, shape: v.shape };
};

export const normalizationLayers: Readonly<Record<string, LayerConverter>> = {
  BatchNormalization: batchNormalization,
};
