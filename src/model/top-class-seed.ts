/**
 * Makes the seed of a backward pass inside the graph: the one-hot of each example's top class
 * (ArgMax, first index on ties, as `topK` orders them), or for a single-sigmoid head +1 when the
 * logit is positive (class 1) and -1 otherwise (class 0, explained as -logit). With it, a forward pass
 * and the backward pass for the predicted class run in one call, without first asking for the
 * prediction.
 */
import { GraphEditor, attrs, withGraph } from '../onnx/graph.js';
import { DType, type Model } from '../onnx/ir.js';
import { floatTensor, int64Tensor, realTensor } from '../onnx/tensor.js';
import type { OutputKind } from './image-model.js';

/** Replaces graph input `seedInput` by nodes computing it from `logits` (and outputs it); `classes` is the logits' width. */
export function seedFromTopClass(model: Model, seedInput: string, logits: string, kind: OutputKind, classes: number, elemType: number = DType.FLOAT): Model {
  const ed = new GraphEditor(model.graph);
  ed.inputs = ed.inputs.filter((v) => v.name !== seedInput);
  if (kind === 'sigmoid-binary') {
    const zero = ed.constant(realTensor('zero', elemType, [], [0]));
    const positive = ed.op('Greater', [logits, zero]);
    ed.add({ opType: 'Where', inputs: [positive, ed.constant(realTensor('plus_one', elemType, [], [1])), ed.constant(realTensor('minus_one', elemType, [], [-1]))], outputs: [seedInput] });
  } else {
    const index = ed.op('ArgMax', [logits], [attrs.int('axis', 1), attrs.int('keepdims', 0)]);
    const depth = ed.constant(int64Tensor('depth', [], [classes]));
    const values = ed.constant(elemType === DType.FLOAT ? floatTensor('off_on', [2], [0, 1]) : realTensor('off_on', elemType, [2], [0, 1]));
    ed.add({ opType: 'OneHot', inputs: [index, depth, values], outputs: [seedInput], attributes: [attrs.int('axis', -1)] });
  }
  // also an output, so callers can read which class each example was explained for
  ed.outputs.push({ name: seedInput, type: { elemType, shape: ['N', kind === 'sigmoid-binary' ? 1 : classes] } });
  return withGraph(model, ed.build());
}
