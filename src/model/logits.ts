/**
 * Which tensor to explain: the pre-activation logits. When the model's output is produced by a
 * Softmax, LogSoftmax or Sigmoid, gradients of the probabilities saturate and mislead, so the
 * activation's input is explained instead (the "explain the logit" convention of DESIGN.md).
 */
import { GraphIndex } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';

const FINAL_ACTIVATIONS = new Set(['Softmax', 'LogSoftmax', 'Sigmoid']);

export interface LogitChoice {
  /** the tensor whose values are the logits */
  readonly tensor: string;
  /** the model output it was found behind */
  readonly output: string;
  /** the final activation that was looked through, if any */
  readonly stripped?: string;
}

export function logitTensor(model: Model, output = model.graph.outputs[0]!.name): LogitChoice {
  const index = new GraphIndex(model.graph);
  let tensor = output;
  // Identity nodes after the activation (exporters add them) do not change which tensor holds the logits
  for (let hops = 0; hops < 4; hops++) {
    const p = index.producer.get(tensor);
    if (!p || p.node.domain !== '') break;
    if (FINAL_ACTIVATIONS.has(p.node.opType)) return { tensor: p.node.inputs[0]!, output, stripped: p.node.opType };
    if (p.node.opType !== 'Identity') break;
    tensor = p.node.inputs[0]!;
  }
  return { tensor: output, output };
}
