/**
 * Flatten, Reshape and Permute. Keras flattens and reshapes in its own (H, W, C) order and permutes
 * Keras axes, so 4-D inputs are moved to NHWC first and 4-D results back to NCHW.
 */
import { attrs } from '../../onnx/graph.js';
import { TO_NCHW, TO_NHWC, fromKerasLayout, isIntList, kerasLayout, malformed, oneInput, str, tmp, unsupported, type LayerConverter } from './common.js';

const flatten: LayerConverter = (call) => {
  const v = oneInput(call);
  if (str(call, 'data_format', 'channels_last') !== 'channels_last') unsupported(call, "data_format 'channels_first'");
  const x = kerasLayout(call, v);
  call.b.op('Flatten', [x], [attrs.int('axis', 1)], call.out);
  const size = v.shape.some((d) => d === null) ? null : v.shape.reduce<number>((a, d) => a * d!, 1);
  return { name: call.out, shape: [size] };
};

const reshape: LayerConverter = (call) => {
  const v = oneInput(call);
  const raw = call.layer.config['target_shape'];
  // tfjs writes an inferred size as null, Keras as -1
  const target = Array.isArray(raw) ? raw.map((d) => (d === null ? -1 : d)) : raw;
  if (!isIntList(target) || target.length === 0 || target.some((d) => d < -1 || d === 0) || target.filter((d) => d === -1).length > 1) {
    malformed(call, `target_shape should be a list of positive sizes with at most one -1, got ${JSON.stringify(raw)}`);
  }
  const known = v.shape.every((d) => d !== null);
  const inSize = v.shape.reduce<number>((a, d) => a * (d ?? 1), 1);
  const rest = target.reduce((a, d) => (d === -1 ? a : a * d), 1);
  if (known && (target.includes(-1) ? inSize % rest !== 0 : inSize !== rest)) {
    malformed(call, `cannot reshape [${v.shape.join(', ')}] to [${target.join(', ')}]`);
  }
  const shape = target.map((d) => (d === -1 ? (known ? inSize / rest : null) : d));
  const x = kerasLayout(call, v);
  // 0 copies the (symbolic) batch size
  const spec = call.b.ints(`${call.out}/shape`, [0, ...target]);
  const reshaped = call.b.op('Reshape', [x, spec], [], shape.length === 3 ? tmp(call, 'nhwc') : call.out);
  return shape.length === 3 ? fromKerasLayout(call, reshaped, shape, call.out) : { name: call.out, shape };
};

const permute: LayerConverter = (call) => {
  const v = oneInput(call);
  const dims = call.layer.config['dims'];
  const rank = v.shape.length;
  if (!isIntList(dims, rank) || [...dims].sort().some((d, i) => d !== i + 1)) malformed(call, `dims should be a permutation of 1..${rank}, got ${JSON.stringify(dims)}`);
  const keras = [0, ...dims];
  const shape = dims.map((d) => v.shape[d - 1]!);
  let perm = keras;
  if (rank === 3) {
    // output graph axis i holds Keras output axis TO_NCHW[i] = Keras input axis keras[TO_NCHW[i]],
    // which the NCHW input holds at graph axis TO_NHWC[...] (TO_NHWC is also Keras axis → NCHW axis)
    perm = TO_NCHW.map((k) => TO_NHWC[keras[k]!]!);
  }
  call.b.op('Transpose', [v.name], [attrs.ints('perm', perm)], call.out);
  return { name: call.out, shape };
};

export const reshapeLayers: Readonly<Record<string, LayerConverter>> = {
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
};

