/** Test helpers for building small models with random weights. */
import { attrs } from '../../src/onnx/graph.js';
import { DType, type Attribute, type Node, type Tensor, type ValueInfo } from '../../src/onnx/ir.js';
import { makeModel } from '../../src/onnx/load.js';
import { int64Tensor, numel, realTensor } from '../../src/onnx/tensor.js';
import { Random } from '../../src/util/random.js';
import type { Feed } from './ort.js';

export { attrs };

export type DT = 'float32' | 'float64';
export const elemOf = (dt: DT) => (dt === 'float64' ? DType.DOUBLE : DType.FLOAT);

export interface NodeDef {
  op: string;
  inputs: string[];
  outputs?: string[];
  attrs?: Attribute[];
}

/** A graph builder for tests: declare inputs (randomly filled), constants, and nodes. */
export class TestGraph {
  readonly rnd: Random;
  readonly nodes: Node[] = [];
  readonly inits: Tensor[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly feeds: Record<string, Feed> = {};
  private n = 0;

  constructor(readonly dt: DT = 'float64', seed = 1, readonly opset = 17) {
    this.rnd = new Random(seed);
  }

  input(name: string, dims: number[], gen: (r: Random) => number = (r) => r.normal()): string {
    this.inputs.push({ name, type: { elemType: elemOf(this.dt), shape: dims } });
    this.feeds[name] = { dims, data: Array.from({ length: numel(dims) }, () => gen(this.rnd)) };
    return name;
  }

  weight(dims: number[], scale = 0.5, gen?: (r: Random) => number): string {
    const name = `w${this.n++}`;
    const data = Array.from({ length: numel(dims) }, () => (gen ? gen(this.rnd) : this.rnd.normal() * scale));
    this.inits.push(realTensor(name, elemOf(this.dt), dims, data));
    return name;
  }

  value(dims: number[], data: number[]): string {
    const name = `v${this.n++}`;
    this.inits.push(realTensor(name, elemOf(this.dt), dims, data));
    return name;
  }

  ints(values: number[]): string {
    const name = `i${this.n++}`;
    this.inits.push(int64Tensor(name, [values.length], values));
    return name;
  }

  node(op: string, inputs: string[], attributes: Attribute[] = [], nOutputs = 1): string[] {
    const outputs = Array.from({ length: nOutputs }, () => `t${this.n++}`);
    this.nodes.push({ name: `${op}_${this.n++}`, opType: op, domain: '', inputs, outputs, attributes });
    return outputs;
  }

  op(op: string, inputs: string[], attributes: Attribute[] = []): string {
    return this.node(op, inputs, attributes)[0]!;
  }

  model(output: string, extraOutputs: string[] = []) {
    return makeModel({
      opset: this.opset,
      nodes: this.nodes,
      inputs: this.inputs,
      initializers: this.inits,
      outputs: [output, ...extraOutputs].map((name) => ({ name, type: { elemType: elemOf(this.dt) } })),
    });
  }
}
