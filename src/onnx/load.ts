/** Loading and saving models from bytes (platform-neutral). File access lives in `load-file.ts`. */
import { decodeModel, encodeModel } from './codec.js';
import { topologicalNodes } from './graph.js';
import type { Graph, Model, ValueInfo, Tensor, Node, OpsetId } from './ir.js';

/** Parses and checks an ONNX model; nodes come back in topological order. */
export function loadModel(bytes: Uint8Array): Model {
  const model = decodeModel(bytes);
  const nodes = topologicalNodes(model.graph);
  return nodes === model.graph.nodes ? model : { ...model, graph: { ...model.graph, nodes } };
}

export function saveModel(model: Model): Uint8Array {
  return encodeModel(model);
}

export interface ModelSpec {
  nodes: readonly Node[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers?: readonly Tensor[];
  valueInfo?: readonly ValueInfo[];
  opset?: number;
  extraOpsets?: readonly OpsetId[];
  name?: string;
}

/** Assembles a model from parts (used by importers and tests). */
export function makeModel(spec: ModelSpec): Model {
  const graph: Graph = {
    name: spec.name ?? 'graph',
    nodes: spec.nodes,
    initializers: spec.initializers ?? [],
    inputs: spec.inputs,
    outputs: spec.outputs,
    valueInfo: spec.valueInfo ?? [],
  };
  const opset = spec.opset ?? 17;
  return {
    irVersion: opset >= 15 ? 8 : 7,
    opsetImports: [{ domain: '', version: opset }, ...(spec.extraOpsets ?? [])],
    producerName: 'cnnlens',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    graph,
    metadata: [],
  };
}
