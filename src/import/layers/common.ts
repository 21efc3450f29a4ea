/**
 * What every layer converter gets (`LayerCall`) and the helpers they share: typed reads of the layer
 * config that fail with MODEL_FORMAT naming the layer, weight checks, and NCHW ↔ Keras layout moves.
 */
import { fail } from '../../errors.js';
import { attrs } from '../../onnx/graph.js';
import type { WeightArray } from '../types.js';
import { GraphBuilder, isImage, type Value } from '../builder.js';

export interface KerasLayer {
  readonly className: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface LayerCall {
  readonly b: GraphBuilder;
  readonly layer: KerasLayer;
  readonly inputs: readonly Value[];
  /** the tensor name the layer's output must get (already claimed) */
  readonly out: string;
  /** the layer's weights, in Keras's `layer.weights` order */
  weights(): readonly WeightArray[];
  readonly kerasVersion: string | undefined;
}

/** Converts one call of a Keras layer; emits nodes and returns the output value (named `call.out`). */
export type LayerConverter = (call: LayerCall) => Value;

export function describe(call: LayerCall): string {
  return `${call.layer.className} layer '${call.layer.name}'`;
}

export function unsupported(call: LayerCall, what: string): never {
  fail('MODEL_UNSUPPORTED', `${describe(call)}: ${what}.`);
}

export function malformed(call: LayerCall, what: string): never {
  fail('MODEL_FORMAT', `${describe(call)}: ${what}.`);
}

/** A fresh name for an intermediate tensor of this layer. */
export function tmp(call: LayerCall, what: string): { base: string } {
  return { base: `${call.out}/${what}` };
}

export function oneInput(call: LayerCall): Value {
  if (call.inputs.length !== 1) malformed(call, `expected 1 input, got ${call.inputs.length}`);
  return call.inputs[0]!;
}

export function num(call: LayerCall, key: string, dflt?: number): number {
  const v = call.layer.config[key];
  if (v === undefined || v === null) {
    if (dflt === undefined) malformed(call, `config '${key}' is missing`);
    return dflt;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) malformed(call, `config '${key}' should be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function optNum(call: LayerCall, key: string): number | undefined {
  const v = call.layer.config[key];
  return v === undefined || v === null ? undefined : num(call, key);
}

export function str(call: LayerCall, key: string, dflt: string): string {
  const v = call.layer.config[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string') malformed(call, `config '${key}' should be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(call: LayerCall, key: string, dflt: boolean): boolean {
  const v = call.layer.config[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') malformed(call, `config '${key}' should be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function isIntList(v: unknown, n?: number): v is number[] {
  return Array.isArray(v) && (n === undefined || v.length === n) && v.every((x) => typeof x === 'number' && Number.isInteger(x));
}

/** An int or a pair of ints (kernel sizes, strides, dilation rates). */
export function pair(call: LayerCall, key: string, dflt?: readonly [number, number]): [number, number] {
  const v = call.layer.config[key];
  if ((v === undefined || v === null) && dflt) return [dflt[0], dflt[1]];
  if (typeof v === 'number' && Number.isInteger(v)) return [v, v];
  if (isIntList(v, 2)) return [v[0]!, v[1]!];
  malformed(call, `config '${key}' should be an int or a pair of ints, got ${JSON.stringify(v)}`);
}

/** Keras 'channels_last' only (the default); 'channels_first' configs are refused. */
export function channelsLast(call: LayerCall): void {
  const f = str(call, 'data_format', 'channels_last');
  if (f !== 'channels_last') unsupported(call, `data_format '${f}' (cnnlens imports channels_last models)`);
}

/** A 4-D (image) input with a known channel count. */
export function imageInput(call: LayerCall): { x: Value; channels: number } {
  const x = oneInput(call);
  if (!isImage(x)) malformed(call, `expected a 4-D input, got rank ${x.shape.length + 1}`);
  const c = x.shape[2];
  if (typeof c !== 'number') malformed(call, 'the channel count of the input is unknown');
  return { x, channels: c };
}

/** The last-axis size of a value, which must be known. */
export function lastDim(call: LayerCall, v: Value): number {
  const c = v.shape[v.shape.length - 1];
  if (typeof c !== 'number') malformed(call, 'the size of the last axis of the input is unknown');
  return c;
}

export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The layer's weights, checked against the expected count and shapes. */
export function checkedWeights(call: LayerCall, expected: readonly WeightSpec[]): WeightArray[] {
  const ws = call.weights();
  if (ws.length !== expected.length) {
    malformed(call, `expected ${expected.length} weight arrays (${expected.map((e) => e.name).join(', ') || 'none'}), found ${ws.length}`);
  }
  return ws.map((w, i) => {
    const e = expected[i]!;
    const same = w.shape.length === e.shape.length && w.shape.every((d, k) => d === e.shape[k]);
    if (!same) malformed(call, `weight '${e.name}' has shape [${w.shape.join(', ')}], expected [${e.shape.join(', ')}]`);
    const n = w.shape.reduce((a, d) => a * d, 1);
    if (w.data.length !== n) malformed(call, `weight '${e.name}' holds ${w.data.length} values for shape [${w.shape.join(', ')}]`);
    return w;
  });
}

export const TO_NHWC = [0, 2, 3, 1] as const;
export const TO_NCHW = [0, 3, 1, 2] as const;

/** The value as a tensor in Keras layout (a Transpose for 4-D values). */
export function kerasLayout(call: LayerCall, v: Value): string {
  if (!isImage(v)) return v.name;
  return call.b.op('Transpose', [v.name], [attrs.ints('perm', TO_NHWC)], tmp(call, 'nhwc'));
}

/** A Keras-layout tensor of the given Keras shape, put into graph layout with the output name `out`. */
export function fromKerasLayout(call: LayerCall, name: string, shape: readonly (number | null)[], out: string): Value {
  if (shape.length === 3) call.b.op('Transpose', [name], [attrs.ints('perm', TO_NCHW)], out);
  else call.b.op('Identity', [name], [], out);
  return { name: out, shape };
}

/** A Keras axis (negative counts from the end, 0 is the batch) as an axis of the graph tensor. */
export function graphAxis(call: LayerCall, v: Value, axis: number): number {
  const rank = v.shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 1 || a >= rank) malformed(call, `axis ${axis} is out of range for a rank-${rank} input`);
  return rank === 4 ? TO_NHWC[a]! : a;
}

/** A per-channel constant shaped to broadcast against the value in graph layout. */
export function channelConstant(call: LayerCall, v: Value, what: string, data: ArrayLike<number>): string {
  const rank = v.shape.length + 1;
  const dims = rank === 4 ? [data.length, 1, 1] : [data.length];
  return call.b.floats(`${call.out}/${what}`, data.length === 1 ? [] : dims, data);
}
