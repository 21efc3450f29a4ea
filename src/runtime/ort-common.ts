/**
 * What the onnxruntime-node and onnxruntime-web backends share: turning ORT's messages into clear ones,
 * describing tensors, and checking host tensors on their way in and out (platform neutral).
 */
import { fail } from '../errors.js';
import { dataMatchesType, elementCount, type ElemType, type HostTensor, type TensorMetadata } from './backend.js';

export const HOST_TYPES: ReadonlySet<string> = new Set<ElemType>(['float32', 'float64', 'int64', 'int32', 'bool', 'uint8']);

/** Removes the C++ source location and function signature ORT prefixes to some messages. */
export function cleanOrtMessage(message: string): string {
  let m = message.trim();
  const loc = /^\S+\.(?:h|hpp|cc|cpp|c):\d+\s+/.exec(m);
  if (loc) {
    m = m.slice(loc[0].length);
    // then "ret_type ns::fn(args...) [const]" before the actual message
    const sig = /^[^()]*\((?:[^()]|\([^()]*\))*\)\s*(?:const\s+)?/.exec(m);
    if (sig && sig[0].includes('::')) m = m.slice(sig[0].length);
  }
  return m.replace(/\s+$/, '');
}

export function errorMessage(e: unknown): string {
  return cleanOrtMessage(e instanceof Error ? e.message : String(e));
}

/** What to do about a session that could not be created, from ORT's message ('' when nothing useful). */
export function creationAdvice(msg: string): string {
  if (/protobuf parsing failed|Failed to load model/i.test(msg)) return ' The bytes are not a readable ONNX model.';
  if (/No Op registered|not implemented|Could not find an implementation/i.test(msg)) {
    return ' The graph uses an operator (or an operator version) this ONNX Runtime does not implement; re-export the model with a standard opset (11–21) and standard operators.';
  }
  if (/opset/i.test(msg)) return ' Re-export the model with an officially released opset (11–21 are well supported).';
  if (/Type Error|ShapeInferenceError|type mismatch/i.test(msg)) return ' The graph is not well typed; it may have been edited or exported incorrectly.';
  return '';
}

export function formatShape(shape: readonly (number | string | null)[] | undefined): string {
  if (!shape) return '[?]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

export function describeMeta(m: TensorMetadata | undefined): string {
  return m ? `${m.type} ${formatShape(m.shape)}` : 'unknown';
}

/** ORT's value metadata (the same shape in onnxruntime-node and -web) as cnnlens's. */
export function toMetadata(m: { readonly name: string; readonly isTensor: boolean; readonly type?: unknown; readonly shape?: readonly (number | string)[] }): TensorMetadata {
  return m.isTensor ? { name: m.name, type: String(m.type), shape: [...(m.shape ?? [])] } : { name: m.name, type: 'non-tensor' };
}

/** Refuses a feed ORT could not take or would misread (type, data class, dims, length). */
export function checkFeed(name: string, t: HostTensor): void {
  if (!HOST_TYPES.has(t.type)) fail('INPUT_SHAPE', `input '${name}' has element type '${String(t.type)}'; cnnlens feeds float32, float64, int64, int32, uint8 or bool.`);
  if (!dataMatchesType(t.type, t.data)) fail('INPUT_SHAPE', `input '${name}' is declared ${t.type} but holds a ${t.data.constructor.name}.`);
  if (!t.dims.every((d) => Number.isInteger(d) && d >= 0)) fail('INPUT_SHAPE', `input '${name}' has invalid dims ${formatShape(t.dims)}.`);
  const n = elementCount(t.dims);
  if (n !== t.data.length) fail('INPUT_SHAPE', `input '${name}' has dims ${formatShape(t.dims)} (${n} values) but ${t.data.length} values of data.`);
}

/** A graph output as a host tensor, refusing element types cnnlens does not read. */
export function hostOutput(name: string, v: { readonly type: string; readonly dims: readonly number[]; readonly data: unknown }): HostTensor {
  const type = v.type;
  if (!HOST_TYPES.has(type)) {
    fail('RUNTIME', `graph output '${name}' has element type ${type}, which cnnlens does not read; make the graph output float32, float64, int64, int32, uint8 or bool (e.g. with a Cast).`);
  }
  if (type === 'bool' && !(v.data instanceof Uint8Array)) fail('RUNTIME', `graph output '${name}' (bool) did not come back as bytes.`);
  return { type: type as ElemType, dims: [...v.dims], data: v.data as HostTensor['data'] };
}
