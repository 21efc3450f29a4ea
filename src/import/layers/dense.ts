/**
 * Dense: Gemm on [N, in]; on higher-rank inputs Keras multiplies along the last axis, so 4-D inputs
 * go to NHWC for a MatMul and come back to NCHW.
 */
import { attrs } from '../../onnx/graph.js';
import { activationName, applyActivation, preActivation } from './activations.js';
import { TO_NCHW, bool, checkedWeights, kerasLayout, lastDim, num, oneInput, tmp, type LayerConverter } from './common.js';

const dense: LayerConverter = (call) => {
  const v = oneInput(call);
  const units = num(call, 'units');
  const inDim = lastDim(call, v);
  const useBias = bool(call, 'use_bias', true);
  const [kernel, bias] = checkedWeights(call, [{ name: 'kernel', shape: [inDim, units] }, ...(useBias ? [{ name: 'bias', shape: [units] }] : [])]);
  const b = call.b;
  const act = activationName(call);
  const shape = [...v.shape.slice(0, -1), units];
  const w = b.floats(`${call.out}/kernel`, [inDim, units], kernel!.data);
  const biasName = bias ? b.floats(`${call.out}/bias`, [units], bias.data) : undefined;
  const preOut = preActivation(call, act);
  let pre: string;
  if (v.shape.length === 1) {
    pre = b.op('Gemm', biasName ? [v.name, w, biasName] : [v.name, w], [], preOut);
  } else {
    const x = kerasLayout(call, v);
    const image = shape.length === 3;
    const mm = b.op('MatMul', [x, w], [], biasName || image ? tmp(call, 'matmul') : preOut);
    const lin = biasName ? b.op('Add', [mm, biasName], [], image ? tmp(call, 'linear') : preOut) : mm;
    pre = image ? b.op('Transpose', [lin], [attrs.ints('perm', TO_NCHW)], preOut) : lin;
  }
  return pre === call.out ? { name: pre, shape } : applyActivation(call, pre, { name: pre, shape }, act);
};

export const denseLayers: Readonly<Record<string, LayerConverter>> = {
  Dense: dense,
};
