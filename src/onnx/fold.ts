/**
 * Folds shape computations (Shape → Gather → Unsqueeze → Concat → Reshape as PyTorch emits them,
 * Shape → Slice → Concat as tf2onnx does, Constant nodes) into initializers, then removes the
 * nodes that only fed them. The batch dimension stays symbolic: where a folded Reshape target
 * holds the batch symbol at the position the data input has it, the folded value says 0 ("copy
 * this dim"), so the graph still runs at any batch size.
 */
import { topologicalNodes } from './graph.js';
import { attrInt, attrInts, attrString, defaultOpset, DType, type Dim, type Graph, type Model, type Node, type Tensor } from './ir.js';
import { analyzeShapes, type ShapeInfo } from './shapes.js';
import { int64Tensor } from './tensor.js';
import { constantAttr, type SymElem, type SymTensor } from './symbolic.js';

/** Input slots holding shapes, axes, sizes and similar parameters rather than data. */
const PARAM_SLOTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1], Expand: [1], Tile: [1], ConstantOfShape: [0], Resize: [1, 2, 3], Upsample: [1],
  Slice: [1, 2, 3, 4], Pad: [1, 2, 3], Squeeze: [1], Unsqueeze: [1], Split: [1], TopK: [1],
  Range: [0, 1, 2], OneHot: [1], MaxUnpool: [2], Clip: [1, 2],
  ReduceMean: [1], ReduceSum: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1], ReduceL1: [1],
  ReduceL2: [1], ReduceLogSum: [1], ReduceLogSumExp: [1], ReduceSumSquare: [1],
};

/** Stands for "to the end" in Slice bounds; encoded as INT64_MAX. */
const SLICE_END = 2 ** 63;

const isDefaultDomain = (n: Node) => n.domain === '' || n.domain === 'ai.onnx';

/** A tensor of the given element type (int64 values saturate at the int64 range). */
export function numericTensor(name: string, dataType: number, dims: readonly number[], values: readonly number[]): Tensor | undefined {
  let data: ArrayBufferView;
  switch (dataType) {
    case DType.INT64: return int64Tensor(name, dims, values);
    case DType.INT32: data = Int32Array.from(values); break;
    case DType.FLOAT: data = Float32Array.from(values); break;
    case DType.DOUBLE: data = Float64Array.from(values); break;
    case DType.UINT8: case DType.BOOL: data = Uint8Array.from(values); break;
    case DType.INT8: data = Int8Array.from(values); break;
    default: return undefined;
  }
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dataType, dims: [...dims], raw };
}

/** The initializer a Constant node stands for, named after its output. */
function constantAsInitializer(node: Node): Tensor | undefined {
  const k = constantAttr(node);
  const out = node.outputs[0];
  if (!k || !out) return undefined;
  if (k.tensor) return { ...k.tensor, name: out };
  return k.numbers ? numericTensor(out, k.dataType, k.dims, k.numbers) : undefined;
}

/**
 * The value to bake into `node`'s parameter input `slot`, or undefined when it is not fully known.
 * Batch-symbol entries become what the consuming op reads as "keep the input's dim".
 */
function foldedParam(node: Node, slot: number, v: SymTensor, shapes: Map<string, ShapeInfo>, values: Map<string, SymTensor>): number[] | undefined {
  const vals: SymElem[] = [...v.values];
  const data = shapes.get(node.inputs[0] ?? '')?.shape;
  if (node.opType === 'Reshape' && slot === 1) {
    const allowZero = attrInt(node, 'allowzero', 0) === 1;
    if (!allowZero && data) vals.forEach((x, i) => { if (typeof x === 'string' && data[i] === x) vals[i] = 0; });
    // one remaining unknown entry is what -1 infers from the element count
    const unknown = vals.filter((x) => typeof x !== 'number');
    if (unknown.length === 1 && !vals.includes(-1) && !(allowZero && vals.includes(0))) vals[vals.findIndex((x) => typeof x !== 'number')] = -1;
  } else if (node.opType === 'Expand' && slot === 1 && data) {
    const off = vals.length - data.length;
    vals.forEach((x, i) => { if (typeof x === 'string' && i - off >= 0 && data[i - off] === x) vals[i] = 1; });
  } else if (node.opType === 'Slice' && (slot === 1 || slot === 2) && data) {
    // a bound equal to the dim itself clamps exactly like an open bound, for either step sign
    const axesName = node.inputs[3];
    const axes = axesName ? values.get(axesName)?.values : vals.map((_, i) => i);
    vals.forEach((x, i) => {
      const a = axes?.[i];
      if (typeof x !== 'string' || typeof a !== 'number') return;
      const d = data[a < 0 ? a + data.length : a];
      if (d === x) vals[i] = SLICE_END;
    });
  }
  return vals.every((x) => typeof x === 'number') ? (vals as number[]) : undefined;
}

/**
 * Resize given output sizes holding the batch symbol: the same resize expressed with scales,
 * which ONNX Runtime derives from sizes as float32(out / in) anyway. Only when the scales
 * reproduce every size exactly.
 */
function resizeScales(node: Node, shapes: Map<string, ShapeInfo>, values: Map<string, SymTensor>): number[] | undefined {
  const sizes = values.get(node.inputs[3] ?? '')?.values;
  const x = shapes.get(node.inputs[0] ?? '')?.shape;
  if (!sizes || !x) return undefined;
  if (attrString(node, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') return undefined;
  if (attrString(node, 'coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize') return undefined;
  const axes = (attrInts(node, 'axes') ?? x.map((_, i) => i)).map((a) => (a < 0 ? a + x.length : a));
  if (axes.length !== sizes.length) return undefined;
  const scales: number[] = [];
  for (let i = 0; i < axes.length; i++) {
    const s = sizes[i]!;
    const d: Dim | undefined = x[axes[i]!];
    if (typeof s === 'string' && s === d) scales.push(1);
    else if (typeof s === 'number' && typeof d === 'number' && d > 0) {
      const sc = Math.fround(s / d);
      if (Math.floor(Math.fround(sc * d)) !== s) return undefined;
      scales.push(sc);
    } else return undefined;
  }
  return scales;
}

/** Names a graph references inside If/Loop/Scan bodies (outer-scope captures among them). */
function subgraphReads(node: Node, out: Set<string>): void {
  for (const a of node.attributes) {
    const gs: readonly Graph[] = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
    for (const g of gs) {
      for (const n of g.nodes) {
        for (const i of n.inputs) if (i) out.add(i);
        subgraphReads(n, out);
      }
      for (const o of g.outputs) out.add(o.name);
    }
  }
}

/** Nodes that contribute to `roots`, walking producers backwards. */
function liveNodes(nodes: readonly Node[], roots: Iterable<string>): Set<Node> {
  const needed = new Set(roots);
  const live = new Set<Node>();
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    if (!n.outputs.some((o) => o && needed.has(o))) continue;
    live.add(n);
    for (const i of n.inputs) if (i) needed.add(i);
    subgraphReads(n, needed);
  }
  return live;
}

function readsOf(nodes: Iterable<Node>): Set<string> {
  const s = new Set<string>();
  for (const n of nodes) {
    for (const i of n.inputs) if (i) s.add(i);
    subgraphReads(n, s);
  }
  return s;
}

/**
 * A new model where fully known shape computations feeding shape parameters (Reshape targets,
 * Expand/Tile/Slice/Pad/Resize/... parameters) are initializers, Constant nodes are initializers,
 * and the nodes that only computed them are gone. The input model is not modified.
 */
export function foldShapeComputations(model: Model, inputShapes?: Readonly<Record<string, readonly Dim[]>>): Model {
  const g = model.graph;
  const { shapes, values } = analyzeShapes(model, inputShapes);
  const nodes = topologicalNodes(g);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const inputNames = new Set(g.inputs.map((v) => v.name));
  const initializers: Tensor[] = [...g.initializers];
  const constant = new Set<string>(g.initializers.map((t) => t.name));

  const taken = new Set<string>([...inputNames, ...constant]);
  for (const n of nodes) for (const o of n.outputs) taken.add(o);
  for (const n of nodes) subgraphReads(n, taken);

  // Constant nodes become initializers of the same name
  const removed = new Set<Node>();
  for (const n of nodes) {
    if (!isDefaultDomain(n) || n.opType !== 'Constant' || graphOutputs.has(n.outputs[0] ?? '')) continue;
    const t = constantAsInitializer(n);
    if (!t) continue;
    initializers.push(t);
    constant.add(t.name);
    removed.add(n);
  }

  const folded = new Map<string, string>(); // value key -> initializer name
  const origin = new Map<string, string>(); // folded initializer -> the tensor it replaces
  const addFolded = (base: string, replaces: string | undefined, dataType: number, dims: readonly number[], vals: readonly number[]): string | undefined => {
    const key = `${base}\0${dataType}\0${dims.join(',')}\0${vals.join(',')}`;
    const hit = folded.get(key);
    if (hit) return hit;
    let name = `${base}_folded`;
    for (let k = 2; taken.has(name); k++) name = `${base}_folded_${k}`;
    const t = numericTensor(name, dataType, dims, vals);
    if (!t) return undefined;
    taken.add(name);
    initializers.push(t);
    folded.set(key, name);
    if (replaces !== undefined) origin.set(name, replaces);
    return name;
  };

  const opset = defaultOpset(model);
  const rewritten: Node[] = [];
  for (const n of nodes) {
    if (removed.has(n)) continue;
    const slots = isDefaultDomain(n) ? PARAM_SLOTS[n.opType] : undefined;
    if (!slots) {
      rewritten.push(n);
      continue;
    }
    const inputs = [...n.inputs];
    let changed = false;
    for (const slot of slots) {
      const name = inputs[slot];
      if (!name || constant.has(name) || inputNames.has(name)) continue;
      const v = values.get(name);
      const info = shapes.get(name);
      if (!v || !info) continue;
      const vals = foldedParam(n, slot, v, shapes, values);
      const init = vals && addFolded(name, name, info.elemType, v.dims, vals);
      if (init) {
        inputs[slot] = init;
        changed = true;
      }
    }
    const sizes = inputs[3];
    if (n.opType === 'Resize' && opset >= 11 && sizes && !constant.has(sizes) && !origin.has(sizes)) {
      const scales = resizeScales(n, shapes, values);
      const init = scales && addFolded(`${sizes}_scales`, undefined, DType.FLOAT, [scales.length], scales);
      if (init) {
        inputs.length = 3;
        inputs[2] = init;
        changed = true;
      }
    }
    rewritten.push(changed ? { ...n, inputs } : n);
  }

  // Remove what no longer feeds anything; nodes that fed no graph output to begin with stay.
  const origLive = liveNodes(nodes, graphOutputs);
  const roots = new Set(graphOutputs);
  for (const n of nodes) if (!origLive.has(n) && !removed.has(n)) for (const o of n.outputs) if (o) roots.add(o);
  const live = liveNodes(rewritten, roots);
  let kept = rewritten.filter((n) => live.has(n));

  // Initializers go only when they were read by nodes that are now gone.
  const before = readsOf(nodes);
  const after = readsOf(kept);
  const dropped = new Set(
    initializers.filter((t) => !after.has(t.name) && !graphOutputs.has(t.name) && (before.has(t.name) || origin.has(t.name))).map((t) => t.name),
  );
  let inits = initializers.filter((t) => !dropped.has(t.name));
  const inputs = g.inputs.filter((v) => !dropped.has(v.name));

  // A folded initializer takes the name of the tensor it replaced when that name is free again.
  const present = new Set<string>([...inputs.map((v) => v.name), ...inits.map((t) => t.name)]);
  for (const n of kept) for (const o of n.outputs) present.add(o);
  const variants = new Map<string, number>();
  for (const t of inits) {
    const o = origin.get(t.name);
    if (o !== undefined) variants.set(o, (variants.get(o) ?? 0) + 1);
  }
  const rename = new Map<string, string>();
  for (const t of inits) {
    const o = origin.get(t.name);
    if (o !== undefined && variants.get(o) === 1 && !present.has(o) && !graphOutputs.has(o) && !after.has(o)) rename.set(t.name, o);
  }
  if (rename.size) {
    inits = inits.map((t) => (rename.has(t.name) ? { ...t, name: rename.get(t.name)! } : t));
    kept = kept.map((n) => (n.inputs.some((i) => rename.has(i)) ? { ...n, inputs: n.inputs.map((i) => rename.get(i) ?? i) } : n));
  }

  const exists = new Set<string>([...inputs.map((v) => v.name), ...inits.map((t) => t.name)]);
  for (const n of kept) for (const o of n.outputs) exists.add(o);
  const graph: Graph = {
    ...g,
    nodes: kept,
    initializers: inits,
    inputs,
    valueInfo: g.valueInfo.filter((v) => exists.has(v.name)),
  };
  return { ...model, graph };
}
