/**
 * The head of a model above a layer: the subgraph that maps a layer's activations to a later tensor
 * (the logits). Layer methods (Grad-CAM and its kin) run the full model forward once, exposing the
 * layer, then differentiate only this head: the backward pass never re-runs the trunk below the layer.
 */
import { fail } from '../errors.js';
import { makeModel } from '../onnx/load.js';
import type { Dim, Model, Node, ValueInfo } from '../onnx/ir.js';
import type { ShapeInfo } from '../onnx/shapes.js';

export interface Head {
  /** inputs: the layer first, then any other non-constant tensor the head reads (e.g. a skip connection) */
  readonly model: Model;
  readonly inputs: readonly string[];
}

/**
 * The subgraph computing `to` from `from`. `shapes` are the full model's inferred shapes (the head's
 * inputs are declared with them). Nodes that compute constants (no dependence on a graph input) are
 * copied along when the head reads them.
 */
export function headGraph(model: Model, from: string, to: string, shapes: ReadonlyMap<string, ShapeInfo>): Head {
  const graph = model.graph;
  const inits = new Set(graph.initializers.map((t) => t.name));
  // tensors that depend on a graph input (everything else is a constant)
  const variable = new Set(graph.inputs.filter((v) => !inits.has(v.name)).map((v) => v.name));
  for (const n of graph.nodes) if (n.inputs.some((i) => i && variable.has(i))) for (const o of n.outputs) if (o) variable.add(o);
  if (!variable.has(from)) fail('TENSOR_NOT_FOUND', `'${from}' is not a tensor computed from the model's input.`);

  const downstream = new Set([from]);
  for (const n of graph.nodes) if (n.inputs.some((i) => i && downstream.has(i))) for (const o of n.outputs) if (o) downstream.add(o);
  if (!downstream.has(to)) fail('NOT_DIFFERENTIABLE', `'${to}' does not depend on '${from}'.`);
  const upstream = new Set([to]);
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const n = graph.nodes[k]!;
    if (n.outputs.some((o) => o && upstream.has(o))) for (const i of n.inputs) if (i) upstream.add(i);
  }

  const produced = new Set<string>();
  const headNodes = new Set<Node>();
  for (const n of graph.nodes) {
    const inHead = n.outputs.some((o) => o && o !== from && downstream.has(o) && upstream.has(o));
    const constantNeeded = !n.outputs.some((o) => o && variable.has(o)) && n.outputs.some((o) => o && upstream.has(o));
    if (inHead || constantNeeded) {
      headNodes.add(n);
      for (const o of n.outputs) if (o) produced.add(o);
    }
  }
  const extra: string[] = [];
  const usedInits = new Set<string>();
  for (const n of headNodes) {
    for (const i of n.inputs) {
      if (!i || produced.has(i) || i === from) continue;
      if (inits.has(i) && !variable.has(i)) usedInits.add(i);
      else if (!extra.includes(i)) extra.push(i);
    }
  }
  const info = (name: string): ValueInfo => {
    const s = shapes.get(name);
    if (!s) fail('SHAPE', `the shape of '${name}' could not be inferred, so the head above the layer cannot be built.`);
    return { name, type: { elemType: s.elemType, shape: s.shape.map((d, i): Dim => (i === 0 ? 'N' : d)) } };
  };
  const inputs = [from, ...extra];
  const opset = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 17;
  const head = makeModel({
    name: `${graph.name}_head`,
    nodes: graph.nodes.filter((n) => headNodes.has(n)),
    inputs: inputs.map(info),
    outputs: [info(to)],
    initializers: graph.initializers.filter((t) => usedInits.has(t.name)),
    opset,
    extraOpsets: model.opsetImports.filter((o) => o.domain !== '' && o.domain !== 'ai.onnx'),
  });
  return { model: head, inputs };
}
