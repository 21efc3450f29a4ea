/**
 * The runtime interface cnnlens runs graphs through. `node-backend.ts` implements it on
 * onnxruntime-node; a browser build implements the same interface on onnxruntime-web.
 */

export type ElemType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8';

export type HostData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** A tensor in host memory, row-major. */
export interface HostTensor {
  readonly type: ElemType;
  readonly dims: readonly number[];
  readonly data: HostData;
}

export interface SessionOptions {
  /** intra-op threads; default: the machine's cores */
  threads?: number;
}

/** What a session says about one of its inputs or outputs (dims: number, symbolic name, or null if unknown). */
export interface TensorMetadata {
  readonly name: string;
  /** element type name as the runtime reports it ('float32', 'int64', 'float16', ...) */
  readonly type: string;
  /** undefined when the rank is unknown */
  readonly shape?: readonly (number | string | null)[];
}

export interface RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Optional: types and shapes of the inputs and outputs, when the runtime exposes them. */
  readonly inputMetadata?: readonly TensorMetadata[];
  readonly outputMetadata?: readonly TensorMetadata[];
  /** Runs the graph; `fetch` limits which outputs are returned (default: all). */
  run(feeds: Readonly<Record<string, HostTensor>>, fetch?: readonly string[]): Promise<Record<string, HostTensor>>;
  release(): Promise<void>;
}

export interface RuntimeBackend {
  readonly name: string;
  createSession(modelBytes: Uint8Array, options?: SessionOptions): Promise<RuntimeSession>;
}

export function hostTensor(type: ElemType, dims: readonly number[], data: HostData): HostTensor {
  return { type, dims: [...dims], data };
}

/** Bytes per element of each host element type. */
export const ELEM_BYTES: Readonly<Record<ElemType, number>> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  bool: 1,
  uint8: 1,
};

/** The typed array class that holds each host element type (bool is one byte per value, 0 or 1). */
export function allocHostData(type: ElemType, length: number): HostData {
  switch (type) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int64': return new BigInt64Array(length);
    case 'int32': return new Int32Array(length);
    case 'bool':
    case 'uint8': return new Uint8Array(length);
  }
}

/** True when `data` is the typed array class that `type` uses. */
export function dataMatchesType(type: ElemType, data: HostData): boolean {
  switch (type) {
    case 'float32': return data instanceof Float32Array;
    case 'float64': return data instanceof Float64Array;
    case 'int64': return data instanceof BigInt64Array;
    case 'int32': return data instanceof Int32Array;
    case 'bool':
    case 'uint8': return data instanceof Uint8Array;
  }
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
