/**
 * The ONNX intermediate representation cnnlens works on: plain, immutable-by-convention objects.
 * Nothing in cnnlens mutates a Model or Graph it was given; edits build new objects that share
 * unchanged parts (weights are never copied).
 */

/** ONNX TensorProto.DataType values used by cnnlens. */
export const DType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

/** Bytes per element for fixed-size element types (0 for unknown / variable size). */
export function dtypeSize(dt: number): number {
  switch (dt) {
    case DType.FLOAT:
    case DType.INT32:
    case DType.UINT32:
      return 4;
    case DType.DOUBLE:
    case DType.INT64:
    case DType.UINT64:
      return 8;
    case DType.FLOAT16:
    case DType.BFLOAT16:
    case DType.INT16:
    case DType.UINT16:
      return 2;
    case DType.UINT8:
    case DType.INT8:
    case DType.BOOL:
      return 1;
    default:
      return 0;
  }
}

export function dtypeName(dt: number): string {
  const e = Object.entries(DType).find(([, v]) => v === dt);
  return e ? e[0].toLowerCase() : `dtype(${dt})`;
}

/** A tensor value: dims plus little-endian raw bytes (strings kept separately). */
export interface Tensor {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly raw: Uint8Array;
  readonly strings?: readonly Uint8Array[];
}

/** A dimension: a known size, a symbolic name (e.g. the batch 'N'), or unknown (null). */
export type Dim = number | string | null;

export interface TensorType {
  readonly elemType: number;
  /** undefined when the rank is unknown */
  readonly shape?: readonly Dim[];
}

export interface ValueInfo {
  readonly name: string;
  readonly type?: TensorType;
  readonly docString?: string;
}

export type Attribute =
  | { readonly name: string; readonly type: 'float'; readonly value: number }
  | { readonly name: string; readonly type: 'int'; readonly value: number }
  | { readonly name: string; readonly type: 'string'; readonly value: string }
  | { readonly name: string; readonly type: 'tensor'; readonly value: Tensor }
  | { readonly name: string; readonly type: 'graph'; readonly value: Graph }
  | { readonly name: string; readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly name: string; readonly type: 'tensors'; readonly value: readonly Tensor[] }
  | { readonly name: string; readonly type: 'graphs'; readonly value: readonly Graph[] }
  /** attribute kinds cnnlens does not interpret, kept as encoded bytes so they survive a round trip */
  | { readonly name: string; readonly type: 'opaque'; readonly value: Uint8Array };

export interface Node {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  /** '' marks an omitted optional input or output */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly Attribute[];
  readonly docString?: string;
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly initializers: readonly Tensor[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly valueInfo: readonly ValueInfo[];
  readonly docString?: string;
}

export interface OpsetId {
  readonly domain: string;
  readonly version: number;
}

export interface Model {
  readonly irVersion: number;
  readonly opsetImports: readonly OpsetId[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly domain: string;
  readonly modelVersion: number;
  readonly docString: string;
  readonly graph: Graph;
  readonly metadata: readonly { key: string; value: string }[];
  /** encoded ModelProto fields cnnlens does not interpret (functions, training info), kept verbatim */
  readonly unknownFields?: Uint8Array;
}

/** The opset version of the default ('' or 'ai.onnx') domain. */
export function defaultOpset(model: Model): number {
  const o = model.opsetImports.find((x) => x.domain === '' || x.domain === 'ai.onnx');
  return o ? o.version : 0;
}

export function attr(node: Node, name: string): Attribute | undefined {
  return node.attributes.find((a) => a.name === name);
}

export function attrInt(node: Node, name: string, dflt: number): number {
  const a = attr(node, name);
  return a && a.type === 'int' ? a.value : dflt;
}

export function attrFloat(node: Node, name: string, dflt: number): number {
  const a = attr(node, name);
  if (a && a.type === 'float') return a.value;
  if (a && a.type === 'int') return a.value;
  return dflt;
}

export function attrInts(node: Node, name: string): readonly number[] | undefined {
  const a = attr(node, name);
  return a && a.type === 'ints' ? a.value : undefined;
}

export function attrString(node: Node, name: string, dflt: string): string {
  const a = attr(node, name);
  return a && a.type === 'string' ? a.value : dflt;
}

export function attrTensor(node: Node, name: string): Tensor | undefined {
  const a = attr(node, name);
  return a && a.type === 'tensor' ? a.value : undefined;
}
