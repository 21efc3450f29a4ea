/**
 * A read-only index over a Graph (who produces and who consumes each tensor) and an editor that
 * builds a new Graph from an old one without touching it.
 */
import { fail, listForMessage } from '../errors.js';
import type { Attribute, Graph, Model, Node, Tensor, ValueInfo } from './ir.js';

export interface Use {
  readonly node: Node;
  readonly nodeIndex: number;
  readonly slot: number;
}

export class GraphIndex {
  readonly producer = new Map<string, Use>();
  readonly consumers = new Map<string, Use[]>();
  readonly initializer = new Map<string, Tensor>();
  /** graph inputs that are not initializers: what the caller feeds */
  readonly feeds: ValueInfo[];
  readonly outputNames: Set<string>;

  constructor(readonly graph: Graph) {
    for (const t of graph.initializers) this.initializer.set(t.name, t);
    graph.nodes.forEach((node, nodeIndex) => {
      node.outputs.forEach((o, slot) => {
        if (o) this.producer.set(o, { node, nodeIndex, slot });
      });
      node.inputs.forEach((i, slot) => {
        if (!i) return;
        let list = this.consumers.get(i);
        if (!list) this.consumers.set(i, (list = []));
        list.push({ node, nodeIndex, slot });
      });
    });
    this.feeds = graph.inputs.filter((v) => !this.initializer.has(v.name));
    this.outputNames = new Set(graph.outputs.map((o) => o.name));
  }

  has(name: string): boolean {
    return this.producer.has(name) || this.initializer.has(name) || this.graph.inputs.some((v) => v.name === name);
  }

  /** Every tensor name produced or fed in the graph, in graph order. */
  tensorNames(): string[] {
    const names: string[] = this.feeds.map((v) => v.name);
    for (const n of this.graph.nodes) for (const o of n.outputs) if (o) names.push(o);
    return names;
  }

  /** Throws TENSOR_NOT_FOUND with the list of names the user could have meant. */
  require(name: string, role: string): void {
    if (this.has(name)) return;
    const names = this.tensorNames();
    const close = names.filter((n) => n.toLowerCase().includes(name.toLowerCase()));
    fail('TENSOR_NOT_FOUND', `${role} '${name}' is not a tensor of this model. ${close.length ? `Did you mean: ${listForMessage(close, 8)}? ` : ''}Run 'cnnlens info MODEL' to list every tensor name.`);
  }
}

/** Returns the graph's nodes in a topological order (most exporters already emit one). */
export function topologicalNodes(graph: Graph): Node[] {
  const available = new Set<string>([...graph.inputs.map((v) => v.name), ...graph.initializers.map((t) => t.name), '']);
  const pending = [...graph.nodes];
  const out: Node[] = [];
  // fast path: already sorted
  let sorted = true;
  for (const n of pending) {
    if (!n.inputs.every((i) => available.has(i))) { sorted = false; break; }
    for (const o of n.outputs) available.add(o);
  }
  if (sorted) return pending;
  available.clear();
  for (const v of graph.inputs) available.add(v.name);
  for (const t of graph.initializers) available.add(t.name);
  available.add('');
  let progress = true;
  while (pending.length && progress) {
    progress = false;
    for (let k = 0; k < pending.length; k++) {
      const n = pending[k]!;
      if (n.inputs.every((i) => available.has(i))) {
        out.push(n);
        for (const o of n.outputs) available.add(o);
        pending.splice(k--, 1);
        progress = true;
      }
    }
  }
  if (pending.length) {
    const n = pending[0]!;
    const missing = n.inputs.filter((i) => !available.has(i));
    fail('ONNX_PARSE', `not a valid ONNX graph: node '${n.name || n.opType}' (${n.opType}) reads ${listForMessage(missing)}, which nothing produces (or the graph has a cycle).`);
  }
  return out;
}

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  /** output names; by default one fresh name derived from `name` or the op type */
  outputs?: readonly string[];
  nOutputs?: number;
  attributes?: readonly Attribute[];
  name?: string;
  domain?: string;
}

/** Builds a new graph starting from an existing one. The source graph is never modified. */
export class GraphEditor {
  nodes: Node[];
  initializers: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly source: Graph, readonly prefix = 'cnnlens/') {
    this.nodes = [...source.nodes];
    this.initializers = [...source.initializers];
    this.inputs = [...source.inputs];
    this.outputs = [...source.outputs];
    this.valueInfo = [...source.valueInfo];
    for (const v of source.inputs) this.used.add(v.name);
    for (const t of source.initializers) this.used.add(t.name);
    for (const n of source.nodes) {
      for (const o of n.outputs) this.used.add(o);
      if (n.name) this.used.add(n.name);
    }
  }

  /** A tensor or node name not yet used in the graph. */
  fresh(base: string): string {
    let name = `${this.prefix}${base}`;
    while (this.used.has(name)) name = `${this.prefix}${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  add(spec: NodeSpec): string[] {
    const base = spec.name ?? spec.opType;
    const outputs = spec.outputs ? [...spec.outputs] : Array.from({ length: spec.nOutputs ?? 1 }, () => this.fresh(base));
    for (const o of outputs) this.used.add(o);
    const node: Node = {
      name: this.fresh(`${base}_node`),
      opType: spec.opType,
      domain: spec.domain ?? '',
      inputs: [...spec.inputs],
      outputs,
      attributes: spec.attributes ? [...spec.attributes] : [],
    };
    this.nodes.push(node);
    return outputs;
  }

  /** Adds one node and returns its single output. */
  op(opType: string, inputs: readonly string[], attributes?: readonly Attribute[], name?: string): string {
    return this.add({ opType, inputs, ...(attributes ? { attributes } : {}), ...(name ? { name } : {}) })[0]!;
  }

  constant(t: Tensor): string {
    const name = this.fresh(t.name || 'const');
    this.initializers.push({ ...t, name });
    return name;
  }

  replaceNode(index: number, node: Node): void {
    this.nodes[index] = node;
    for (const o of node.outputs) this.used.add(o);
  }

  build(): Graph {
    return {
      name: this.source.name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
      valueInfo: this.valueInfo,
      ...(this.source.docString ? { docString: this.source.docString } : {}),
    };
  }
}

export const attrs = {
  int: (name: string, value: number): Attribute => ({ name, type: 'int', value }),
  float: (name: string, value: number): Attribute => ({ name, type: 'float', value }),
  ints: (name: string, value: readonly number[]): Attribute => ({ name, type: 'ints', value }),
  floats: (name: string, value: readonly number[]): Attribute => ({ name, type: 'floats', value }),
  string: (name: string, value: string): Attribute => ({ name, type: 'string', value }),
  tensor: (name: string, value: Tensor): Attribute => ({ name, type: 'tensor', value }),
};

/** A new model with the given graph (and optionally a new default-domain opset). */
export function withGraph(model: Model, graph: Graph, opset?: number): Model {
  let opsetImports = model.opsetImports;
  if (opset !== undefined) {
    const others = model.opsetImports.filter((o) => o.domain !== '' && o.domain !== 'ai.onnx');
    opsetImports = [{ domain: '', version: opset }, ...others];
  }
  return { ...model, graph, opsetImports, irVersion: Math.max(model.irVersion, opset !== undefined && opset >= 15 ? 8 : model.irVersion) };
}
