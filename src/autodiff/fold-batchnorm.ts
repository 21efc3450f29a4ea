/**
 * Folds inference BatchNormalization into the Conv before it (W' = W * s, b' = (b - mean) * s + beta,
 * s = scale / sqrt(var + eps)), as ONNX Runtime does for the forward pass anyway. Doing it before
 * differentiation also removes the per-channel multiplication from the backward pass.
 *
 * A pair is folded only when the Conv's weights and the BN parameters are constants and the Conv output
 * feeds nothing but the BN and is not a tensor the caller asked for. Returns a new model.
 */
import { attrFloat, attrInt, DType, type Model, type Node, type Tensor } from '../onnx/ir.js';
import { GraphIndex } from '../onnx/graph.js';
import { realTensor, tensorValues } from '../onnx/tensor.js';

export function foldBatchNorm(model: Model, keep: ReadonlySet<string>): Model {
  const graph = model.graph;
  const index = new GraphIndex(graph);
  const constants = new Map<string, Tensor>(graph.initializers.map((t) => [t.name, t]));
  const replaced = new Map<Node, Node>();
  const removed = new Set<Node>();
  const newInits: Tensor[] = [];
  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization' || bn.domain !== '' || attrInt(bn, 'training_mode', 0) !== 0) continue;
    if (bn.outputs.filter((o) => o).length !== 1) continue;
    const x = bn.inputs[0]!;
    const conv = index.producer.get(x)?.node;
    if (!conv || conv.opType !== 'Conv' || conv.domain !== '' || replaced.has(conv)) continue;
    if (keep.has(x) || index.outputNames.has(x) || (index.consumers.get(x)?.length ?? 0) !== 1) continue;
    const w = constants.get(conv.inputs[1]!);
    const b = conv.inputs[2] ? constants.get(conv.inputs[2]) : undefined;
    const params = bn.inputs.slice(1, 5).map((n) => constants.get(n));
    if (!w || (conv.inputs[2] && !b) || params.some((p) => !p)) continue;
    if (w.dataType !== DType.FLOAT && w.dataType !== DType.DOUBLE) continue;
    const [scale, beta, mean, variance] = params.map((p) => tensorValues(p!)) as [number[], number[], number[], number[]];
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const m = w.dims[0]!;
    if (scale.length !== m) continue;
    // Same arithmetic, in the same order and precision, as ONNX Runtime's own Conv+BN fusion, so the
    // forward pass computes exactly what the unmodified model computes in ONNX Runtime.
    const r = w.dataType === DType.FLOAT ? Math.fround : (v: number) => v;
    const s = scale.map((g, i) => r(g / r(Math.sqrt(r(variance[i]! + r(eps))))));
    const wv = tensorValues(w);
    const per = wv.length / m;
    const folded = wv.map((v, i) => r(v * s[Math.floor(i / per)]!));
    const bias = b
      ? tensorValues(b).map((v, i) => r(r(r(v - mean[i]!) * s[i]!) + beta[i]!))
      : beta.map((v, i) => r(v - r(mean[i]! * s[i]!)));
    const wName = `${conv.inputs[1]}/bn_folded:${bn.name || bn.outputs[0]}`;
    const bName = `${wName}/bias`;
    newInits.push(realTensor(wName, w.dataType, w.dims, folded), realTensor(bName, w.dataType, [m], bias));
    replaced.set(conv, { ...conv, inputs: [conv.inputs[0]!, wName, bName], outputs: [bn.outputs[0]!] });
    removed.add(bn);
  }
  if (removed.size === 0) return model;
  const nodes = graph.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  // keep only initializers something still reads
  const used = new Set<string>();
  for (const n of nodes) for (const i of n.inputs) used.add(i);
  for (const v of graph.outputs) used.add(v.name);
  const initializers = [...graph.initializers, ...newInits].filter((t) => used.has(t.name) || graph.inputs.some((v) => v.name === t.name));
  return { ...model, graph: { ...graph, nodes, initializers } };
}
