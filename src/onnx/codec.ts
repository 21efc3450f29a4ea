/**
 * ONNX ModelProto <-> cnnlens IR. Field numbers follow onnx/onnx.proto (IR version 10).
 * Tensor payloads are normalized to little-endian `raw` bytes on load; the writer always emits raw_data.
 */
import { fail } from '../errors.js';
import {
  ProtoReader,
  ProtoWriter,
  WIRE_LEN,
  WIRE_VARINT,
  WIRE_I64,
  readFloats,
  readVarints,
  textDecoder,
  textEncoder,
} from './protobuf.js';
import {
  DType,
  dtypeName,
  dtypeSize,
  type Attribute,
  type Dim,
  type Graph,
  type Model,
  type Node,
  type Tensor,
  type TensorType,
  type ValueInfo,
} from './ir.js';

const MAX_GRAPH_DEPTH = 16;
/** Refuse tensors claiming more elements than this (a corrupt dims field must not allocate gigabytes). */
const MAX_ELEMENTS = 2 ** 31;

function expectWire(r: ProtoReader, wire: number, expected: number, what: string): void {
  if (wire !== expected) fail('ONNX_PARSE', `not a valid ONNX model: field ${what} has wire type ${wire}, expected ${expected} (byte ${r.pos}).`);
}

// ---------------------------------------------------------------------------------------------- decode

function decodeTensor(r: ProtoReader): Tensor {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const int64s: number[] = [];
  const doubles: number[] = [];
  const strings: Uint8Array[] = [];
  let external = false;
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: readVarints(r, wire, dims); break;
      case 2: expectWire(r, wire, WIRE_VARINT, 'TensorProto.data_type'); dataType = r.varint(); break;
      case 4: readFloats(r, wire, floats); break;
      case 5: readVarints(r, wire, ints); break;
      case 6: expectWire(r, wire, WIRE_LEN, 'TensorProto.string_data'); strings.push(r.bytes()); break;
      case 7: readVarints(r, wire, int64s); break;
      case 8: expectWire(r, wire, WIRE_LEN, 'TensorProto.name'); name = r.string(); break;
      case 9: expectWire(r, wire, WIRE_LEN, 'TensorProto.raw_data'); raw = r.bytes(); break;
      case 10: readDoubles(r, wire, doubles); break;
      case 11: readVarints(r, wire, int64s); break;
      case 14: expectWire(r, wire, WIRE_VARINT, 'TensorProto.data_location'); external = r.varint() === 1; break;
      default: r.skip(wire);
    }
  }
  if (external) {
    fail('ONNX_UNSUPPORTED', `tensor '${name}' is stored as external data; cnnlens needs every weight inside the .onnx file. Re-save it with onnx.save(model, path, save_as_external_data=False).`);
  }
  let count = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) fail('ONNX_PARSE', `not a valid ONNX model: tensor '${name}' has invalid dimension ${d}.`);
    count *= d;
  }
  if (count > MAX_ELEMENTS) fail('ONNX_PARSE', `not a valid ONNX model: tensor '${name}' claims ${count} elements.`);
  if (dataType === DType.STRING) return { name, dataType, dims, raw: new Uint8Array(0), strings };
  const size = dtypeSize(dataType);
  if (size === 0) fail('ONNX_UNSUPPORTED', `tensor '${name}' has element type ${dtypeName(dataType)}, which cnnlens does not support.`);
  if (raw === undefined) raw = typedFieldsToRaw(name, dataType, count, floats, ints, int64s, doubles);
  else raw = raw.slice(); // own, aligned copy: typed-array views need an aligned offset
  if (raw.length !== count * size) {
    fail('ONNX_PARSE', `not a valid ONNX model: tensor '${name}' has ${raw.length} bytes of data for dims [${dims.join(', ')}] of ${dtypeName(dataType)} (expected ${count * size}).`);
  }
  return { name, dataType, dims, raw };
}

function readDoubles(r: ProtoReader, wire: number, out: number[]): void {
  const readOne = (rr: ProtoReader): number => {
    if (rr.pos + 8 > rr.end) fail('ONNX_PARSE', `not a valid ONNX model: truncated double at byte ${rr.pos}.`);
    const v = new DataView(rr.buf.buffer, rr.buf.byteOffset + rr.pos, 8).getFloat64(0, true);
    rr.pos += 8;
    return v;
  };
  if (wire === WIRE_LEN) {
    const p = r.sub();
    while (!p.done) out.push(readOne(p));
  } else if (wire === WIRE_I64) out.push(readOne(r));
  else fail('ONNX_PARSE', `not a valid ONNX model: unexpected wire type ${wire} for double_data.`);
}

function typedFieldsToRaw(name: string, dt: number, count: number, floats: number[], ints: number[], int64s: number[], doubles: number[]): Uint8Array {
  const size = dtypeSize(dt);
  const src = dt === DType.FLOAT ? floats : dt === DType.DOUBLE ? doubles : dt === DType.INT64 || dt === DType.UINT64 || dt === DType.UINT32 ? int64s : ints;
  if (src.length !== count) {
    fail('ONNX_PARSE', `not a valid ONNX model: tensor '${name}' has ${src.length} values for ${count} elements.`);
  }
  const out = new Uint8Array(count * size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const v = src[i]!;
    switch (dt) {
      case DType.FLOAT: dv.setFloat32(i * 4, v, true); break;
      case DType.DOUBLE: dv.setFloat64(i * 8, v, true); break;
      case DType.INT64: dv.setBigInt64(i * 8, BigInt(Math.trunc(v)), true); break;
      case DType.UINT64: dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(Math.trunc(v))), true); break;
      case DType.INT32: dv.setInt32(i * 4, v, true); break;
      case DType.UINT32: dv.setUint32(i * 4, v, true); break;
      case DType.INT16: dv.setInt16(i * 2, v, true); break;
      case DType.UINT16: case DType.FLOAT16: case DType.BFLOAT16: dv.setUint16(i * 2, v, true); break;
      case DType.INT8: dv.setInt8(i, v); break;
      default: dv.setUint8(i, v); break;
    }
  }
  return out;
}

function decodeDims(r: ProtoReader): Dim[] {
  const dims: Dim[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1 || wire !== WIRE_LEN) { r.skip(wire); continue; }
    const d = r.sub();
    let dim: Dim = null;
    while (!d.done) {
      const t = d.tag();
      if (t.field === 1 && t.wire === WIRE_VARINT) dim = d.varint();
      else if (t.field === 2 && t.wire === WIRE_LEN) dim = d.string() || null;
      else d.skip(t.wire);
    }
    dims.push(dim);
  }
  return dims;
}

function decodeType(r: ProtoReader): TensorType | undefined {
  let out: TensorType | undefined;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_LEN) {
      const t = r.sub();
      let elemType = 0;
      let shape: Dim[] | undefined;
      while (!t.done) {
        const tt = t.tag();
        if (tt.field === 1 && tt.wire === WIRE_VARINT) elemType = t.varint();
        else if (tt.field === 2 && tt.wire === WIRE_LEN) shape = decodeDims(t.sub());
        else t.skip(tt.wire);
      }
      out = shape ? { elemType, shape } : { elemType };
    } else r.skip(wire);
  }
  return out;
}

function decodeValueInfo(r: ProtoReader): ValueInfo {
  let name = '';
  let type: TensorType | undefined;
  let docString: string | undefined;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_LEN) name = r.string();
    else if (field === 2 && wire === WIRE_LEN) type = decodeType(r.sub());
    else if (field === 3 && wire === WIRE_LEN) docString = r.string();
    else r.skip(wire);
  }
  const vi: ValueInfo = { name };
  return { ...vi, ...(type ? { type } : {}), ...(docString ? { docString } : {}) };
}

const ATTR_TYPES: Record<number, Attribute['type']> = {
  1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings', 9: 'tensors', 10: 'graphs',
};

function decodeAttribute(r: ProtoReader, depth: number): Attribute {
  const start = r.pos;
  let name = '';
  let typeCode = 0;
  let f: number | undefined, i: number | undefined, s: Uint8Array | undefined;
  let t: Tensor | undefined, g: Graph | undefined;
  const floats: number[] = [], ints: number[] = [], strings: string[] = [], tensors: Tensor[] = [], graphs: Graph[] = [];
  let opaqueSeen = false;
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: expectWire(r, wire, WIRE_LEN, 'AttributeProto.name'); name = r.string(); break;
      case 2: f = r.float32(); break;
      case 3: expectWire(r, wire, WIRE_VARINT, 'AttributeProto.i'); i = r.varint(); break;
      case 4: expectWire(r, wire, WIRE_LEN, 'AttributeProto.s'); s = r.bytes(); break;
      case 5: expectWire(r, wire, WIRE_LEN, 'AttributeProto.t'); t = decodeTensor(r.sub()); break;
      case 6: expectWire(r, wire, WIRE_LEN, 'AttributeProto.g'); g = decodeGraph(r.sub(), depth + 1); break;
      case 7: readFloats(r, wire, floats); break;
      case 8: readVarints(r, wire, ints); break;
      case 9: expectWire(r, wire, WIRE_LEN, 'AttributeProto.strings'); strings.push(r.string()); break;
      case 10: expectWire(r, wire, WIRE_LEN, 'AttributeProto.tensors'); tensors.push(decodeTensor(r.sub())); break;
      case 11: expectWire(r, wire, WIRE_LEN, 'AttributeProto.graphs'); graphs.push(decodeGraph(r.sub(), depth + 1)); break;
      case 20: expectWire(r, wire, WIRE_VARINT, 'AttributeProto.type'); typeCode = r.varint(); break;
      case 14: case 15: case 21: case 22: case 23: opaqueSeen = true; r.skip(wire); break;
      default: r.skip(wire);
    }
  }
  let type: Attribute["type"] | undefined = ATTR_TYPES[typeCode];
  if (typeCode === 0) {
    // IR < 3 models may omit the type: infer it from the field that is set
    type = f !== undefined ? 'float' : i !== undefined ? 'int' : s !== undefined ? 'string' : t ? 'tensor' : g ? 'graph'
      : floats.length ? 'floats' : ints.length ? 'ints' : strings.length ? 'strings' : tensors.length ? 'tensors' : graphs.length ? 'graphs' : undefined;
  }
  if (type === undefined || opaqueSeen) return { name, type: 'opaque', value: r.buf.slice(start, r.end) };
  switch (type) {
    case 'float': return { name, type, value: f ?? 0 };
    case 'int': return { name, type, value: i ?? 0 };
    case 'string': return { name, type, value: s ? textDecoder.decode(s) : '' };
    case 'tensor':
      if (!t) fail('ONNX_PARSE', `not a valid ONNX model: attribute '${name}' is a tensor attribute without a tensor.`);
      return { name, type, value: t };
    case 'graph':
      if (!g) fail('ONNX_PARSE', `not a valid ONNX model: attribute '${name}' is a graph attribute without a graph.`);
      return { name, type, value: g };
    case 'floats': return { name, type, value: floats };
    case 'ints': return { name, type, value: ints };
    case 'strings': return { name, type, value: strings };
    case 'tensors': return { name, type, value: tensors };
    case 'graphs': return { name, type, value: graphs };
    default: return { name, type: 'opaque', value: r.buf.slice(start, r.end) };
  }
}

function decodeNode(r: ProtoReader, depth: number): Node {
  const inputs: string[] = [], outputs: string[] = [], attributes: Attribute[] = [];
  let name = '', opType = '', domain = '', docString: string | undefined;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (wire !== WIRE_LEN) { r.skip(wire); continue; }
    switch (field) {
      case 1: inputs.push(r.string()); break;
      case 2: outputs.push(r.string()); break;
      case 3: name = r.string(); break;
      case 4: opType = r.string(); break;
      case 5: attributes.push(decodeAttribute(r.sub(), depth)); break;
      case 6: docString = r.string(); break;
      case 7: domain = r.string(); break;
      default: r.skip(wire);
    }
  }
  if (!opType) fail('ONNX_PARSE', `not a valid ONNX model: node '${name}' has no op_type.`);
  return { name, opType, domain, inputs, outputs, attributes, ...(docString ? { docString } : {}) };
}

function decodeGraph(r: ProtoReader, depth: number): Graph {
  if (depth > MAX_GRAPH_DEPTH) fail('ONNX_PARSE', `not a valid ONNX model: subgraphs nested deeper than ${MAX_GRAPH_DEPTH}.`);
  const nodes: Node[] = [], initializers: Tensor[] = [], inputs: ValueInfo[] = [], outputs: ValueInfo[] = [], valueInfo: ValueInfo[] = [];
  let name = '', docString: string | undefined;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (wire !== WIRE_LEN) { r.skip(wire); continue; }
    switch (field) {
      case 1: nodes.push(decodeNode(r.sub(), depth)); break;
      case 2: name = r.string(); break;
      case 5: initializers.push(decodeTensor(r.sub())); break;
      case 10: docString = r.string(); break;
      case 11: inputs.push(decodeValueInfo(r.sub())); break;
      case 12: outputs.push(decodeValueInfo(r.sub())); break;
      case 13: valueInfo.push(decodeValueInfo(r.sub())); break;
      case 15: fail('ONNX_UNSUPPORTED', `graph '${name}' has sparse initializers, which cnnlens does not support; convert them to dense tensors.`);
      default: r.skip(wire);
    }
  }
  return { name, nodes, initializers, inputs, outputs, valueInfo, ...(docString ? { docString } : {}) };
}

/** Parses ONNX ModelProto bytes. Throws CnnlensError('ONNX_PARSE') for anything that is not a valid model. */
export function decodeModel(bytes: Uint8Array): Model {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) fail('ONNX_PARSE', 'not a valid ONNX model: the file is empty.');
  const r = new ProtoReader(bytes);
  let irVersion = 0, modelVersion = 0;
  let producerName = '', producerVersion = '', domain = '', docString = '';
  let graph: Graph | undefined;
  const opsetImports: { domain: string; version: number }[] = [];
  const metadata: { key: string; value: string }[] = [];
  const unknown = new ProtoWriter();
  while (!r.done) {
    const fieldStart = r.pos;
    const { field, wire } = r.tag();
    switch (field) {
      case 1: expectWire(r, wire, WIRE_VARINT, 'ModelProto.ir_version'); irVersion = r.varint(); break;
      case 2: expectWire(r, wire, WIRE_LEN, 'ModelProto.producer_name'); producerName = r.string(); break;
      case 3: expectWire(r, wire, WIRE_LEN, 'ModelProto.producer_version'); producerVersion = r.string(); break;
      case 4: expectWire(r, wire, WIRE_LEN, 'ModelProto.domain'); domain = r.string(); break;
      case 5: expectWire(r, wire, WIRE_VARINT, 'ModelProto.model_version'); modelVersion = r.varint(); break;
      case 6: expectWire(r, wire, WIRE_LEN, 'ModelProto.doc_string'); docString = r.string(); break;
      case 7: expectWire(r, wire, WIRE_LEN, 'ModelProto.graph'); graph = decodeGraph(r.sub(), 0); break;
      case 8: {
        expectWire(r, wire, WIRE_LEN, 'ModelProto.opset_import');
        const o = r.sub();
        let d = '', v = 0;
        while (!o.done) {
          const t = o.tag();
          if (t.field === 1 && t.wire === WIRE_LEN) d = o.string();
          else if (t.field === 2 && t.wire === WIRE_VARINT) v = o.varint();
          else o.skip(t.wire);
        }
        opsetImports.push({ domain: d, version: v });
        break;
      }
      case 14: {
        expectWire(r, wire, WIRE_LEN, 'ModelProto.metadata_props');
        const m = r.sub();
        let key = '', value = '';
        while (!m.done) {
          const t = m.tag();
          if (t.field === 1 && t.wire === WIRE_LEN) key = m.string();
          else if (t.field === 2 && t.wire === WIRE_LEN) value = m.string();
          else m.skip(t.wire);
        }
        metadata.push({ key, value });
        break;
      }
      default:
        r.skip(wire);
        unknown.raw(bytes.subarray(fieldStart, r.pos));
    }
  }
  if (!graph || irVersion <= 0 || opsetImports.length === 0) {
    fail('ONNX_PARSE', `not an ONNX model: ${!graph ? 'no graph' : irVersion <= 0 ? 'no IR version' : 'no opset import'} found. Check that the file is an .onnx model (for Keras or TF.js models, import them instead).`);
  }
  if (graph.nodes.length === 0) fail('ONNX_PARSE', 'not a usable ONNX model: its graph has no nodes.');
  return {
    irVersion, opsetImports, producerName, producerVersion, domain, modelVersion, docString, graph, metadata,
    ...(unknown.length > 0 ? { unknownFields: unknown.finish() } : {}),
  };
}

// ---------------------------------------------------------------------------------------------- encode

function encodeTensor(t: Tensor): ProtoWriter {
  const w = new ProtoWriter();
  w.packedVarints(1, t.dims);
  w.tag(2, WIRE_VARINT); w.varint(t.dataType);
  if (t.strings) for (const s of t.strings) w.bytesField(6, s);
  w.stringField(8, t.name);
  if (t.dataType !== DType.STRING) w.bytesField(9, t.raw);
  return w;
}

function encodeType(t: TensorType): ProtoWriter {
  const tt = new ProtoWriter();
  tt.varintField(1, t.elemType);
  if (t.shape) {
    const sh = new ProtoWriter();
    for (const d of t.shape) {
      const dw = new ProtoWriter();
      if (typeof d === 'number') { dw.tag(1, WIRE_VARINT); dw.varint(d); }
      else if (typeof d === 'string') dw.stringField(2, d);
      sh.message(1, dw);
    }
    tt.message(2, sh);
  }
  const w = new ProtoWriter();
  w.message(1, tt);
  return w;
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const w = new ProtoWriter();
  w.stringField(1, v.name);
  if (v.type) w.message(2, encodeType(v.type));
  w.stringField(3, v.docString);
  return w;
}

const ATTR_CODES: Record<string, number> = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8, tensors: 9, graphs: 10 };

function encodeAttribute(a: Attribute): ProtoWriter {
  const w = new ProtoWriter();
  if (a.type === 'opaque') { w.raw(a.value); return w; }
  w.stringField(1, a.name);
  switch (a.type) {
    case 'float': w.floatField(2, a.value); break;
    case 'int': w.tag(3, WIRE_VARINT); w.varint(a.value); break;
    case 'string': w.bytesField(4, textEncoder.encode(a.value)); break;
    case 'tensor': w.message(5, encodeTensor(a.value)); break;
    case 'graph': w.message(6, encodeGraph(a.value)); break;
    case 'floats': w.packedFloats(7, a.value); break;
    case 'ints': w.packedVarints(8, a.value); break;
    case 'strings': for (const s of a.value) w.stringAlways(9, s); break;
    case 'tensors': for (const t of a.value) w.message(10, encodeTensor(t)); break;
    case 'graphs': for (const g of a.value) w.message(11, encodeGraph(g)); break;
  }
  w.tag(20, WIRE_VARINT); w.varint(ATTR_CODES[a.type]!);
  return w;
}

function encodeNode(n: Node): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.stringAlways(1, i);
  for (const o of n.outputs) w.stringAlways(2, o);
  w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const a of n.attributes) w.message(5, encodeAttribute(a));
  w.stringField(6, n.docString);
  w.stringField(7, n.domain);
  return w;
}

function encodeGraph(g: Graph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  w.stringField(10, g.docString);
  for (const v of g.inputs) w.message(11, encodeValueInfo(v));
  for (const v of g.outputs) w.message(12, encodeValueInfo(v));
  for (const v of g.valueInfo) w.message(13, encodeValueInfo(v));
  return w;
}

/** Serializes a model to ONNX ModelProto bytes. */
export function encodeModel(m: Model): Uint8Array {
  const w = new ProtoWriter();
  w.tag(1, WIRE_VARINT); w.varint(m.irVersion);
  w.stringField(2, m.producerName);
  w.stringField(3, m.producerVersion);
  w.stringField(4, m.domain);
  w.varintField(5, m.modelVersion);
  w.stringField(6, m.docString);
  w.message(7, encodeGraph(m.graph));
  for (const o of m.opsetImports) {
    const ow = new ProtoWriter();
    ow.stringField(1, o.domain);
    ow.tag(2, WIRE_VARINT); ow.varint(o.version);
    w.message(8, ow);
  }
  for (const { key, value } of m.metadata) {
    const mw = new ProtoWriter();
    mw.stringField(1, key);
    mw.stringField(2, value);
    w.message(14, mw);
  }
  if (m.unknownFields) w.raw(m.unknownFields);
  return w.finish();
}
