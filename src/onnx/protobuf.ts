/**
 * A minimal Protocol Buffers wire-format reader and writer: just what the ONNX messages need.
 * Every read is bounds-checked so that corrupt input ends in a typed error, never a crash or a hang.
 */
import { fail } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const TWO_32 = 4294967296;

export class ProtoReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private truncated(what: string): never {
    fail('ONNX_PARSE', `not a valid ONNX model: truncated ${what} at byte ${this.pos}. The file may be incomplete or corrupt; re-export or re-download it.`);
  }

  /** Reads a varint as a JavaScript number (exact up to 2^53; int64 negatives decoded two's-complement). */
  varint(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.truncated('varint');
      const b = this.buf[this.pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if ((b & 0x80) === 0) {
        lo >>>= 0;
        if (hi & 0x80000000) {
          // negative int64: two's complement over 64 bits
          return Number(BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo)));
        }
        return hi * TWO_32 + lo;
      }
      shift += 7;
    }
    fail('ONNX_PARSE', `not a valid ONNX model: malformed varint at byte ${this.pos}.`);
  }

  tag(): { field: number; wire: number } {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field <= 0) fail('ONNX_PARSE', `not a valid ONNX model: invalid field number at byte ${this.pos}.`);
    return { field, wire: t & 7 };
  }

  /** Returns [start, end) of a length-delimited payload and skips over it. */
  lengthDelimited(): [number, number] {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) this.truncated('field');
    const start = this.pos;
    this.pos += len;
    return [start, start + len];
  }

  bytes(): Uint8Array {
    const [s, e] = this.lengthDelimited();
    return this.buf.subarray(s, e);
  }

  string(): string {
    return textDecoder.decode(this.bytes());
  }

  float32(): number {
    if (this.pos + 4 > this.end) this.truncated('float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        if (this.pos + 8 > this.end) this.truncated('fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_I32:
        if (this.pos + 4 > this.end) this.truncated('fixed32');
        this.pos += 4;
        return;
      default:
        fail('ONNX_PARSE', `not a valid ONNX model: unknown wire type ${wire} at byte ${this.pos}.`);
    }
  }

  sub(): ProtoReader {
    const [s, e] = this.lengthDelimited();
    return new ProtoReader(this.buf, s, e);
  }
}

/** Reads a repeated int64/int32 field (packed or unpacked) into `out`. */
export function readVarints(r: ProtoReader, wire: number, out: number[]): void {
  if (wire === WIRE_LEN) {
    const p = r.sub();
    while (!p.done) out.push(p.varint());
  } else if (wire === WIRE_VARINT) {
    out.push(r.varint());
  } else {
    fail('ONNX_PARSE', `not a valid ONNX model: unexpected wire type ${wire} for an integer list at byte ${r.pos}.`);
  }
}

/** Reads a repeated float field (packed or unpacked) into `out`. */
export function readFloats(r: ProtoReader, wire: number, out: number[]): void {
  if (wire === WIRE_LEN) {
    const p = r.sub();
    while (!p.done) out.push(p.float32());
  } else if (wire === WIRE_I32) {
    out.push(r.float32());
  } else {
    fail('ONNX_PARSE', `not a valid ONNX model: unexpected wire type ${wire} for a float list at byte ${r.pos}.`);
  }
}

export const textDecoder = new TextDecoder('utf-8');
export const textEncoder = new TextEncoder();

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Writes protobuf messages as a list of chunks, so that large payloads (weights) are never copied
 * until the single final concatenation.
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch = new Uint8Array(256);
  private used = 0;
  length = 0;

  private flushScratch(): void {
    if (this.used > 0) {
      this.chunks.push(this.scratch.slice(0, this.used));
      this.used = 0;
    }
  }

  private byte(b: number): void {
    if (this.used === this.scratch.length) this.flushScratch();
    this.scratch[this.used++] = b;
    this.length++;
  }

  varint(v: number): void {
    if (v >= 0 && v < TWO_32 && Number.isInteger(v)) {
      let x = v >>> 0;
      while (x > 0x7f) {
        this.byte((x & 0x7f) | 0x80);
        x >>>= 7;
      }
      this.byte(x);
      return;
    }
    this.bigVarint(v);
  }

  private bigVarint(v: number): void {
    if (!Number.isFinite(v)) v = v > 0 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
    let b = BigInt(Math.trunc(v));
    if (b > INT64_MAX) b = INT64_MAX;
    if (b < INT64_MIN) b = INT64_MIN;
    let u = BigInt.asUintN(64, b);
    while (u > 0x7fn) {
      this.byte(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    this.byte(Number(u));
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  raw(bytes: Uint8Array): void {
    if (bytes.length <= 64) {
      for (let i = 0; i < bytes.length; i++) this.byte(bytes[i]!);
      return;
    }
    this.flushScratch();
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  stringField(field: number, s: string | undefined): void {
    if (s === undefined || s === '') return;
    this.bytesField(field, textEncoder.encode(s));
  }

  /** A string field that is written even when empty (repeated strings such as node inputs). */
  stringAlways(field: number, s: string): void {
    this.bytesField(field, textEncoder.encode(s));
  }

  varintField(field: number, v: number | undefined): void {
    if (v === undefined || v === 0) return;
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  floatField(field: number, v: number): void {
    this.tag(field, WIRE_I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.raw(b);
  }

  packedVarints(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return;
    const w = new ProtoWriter();
    for (const v of vs) w.varint(v);
    this.message(field, w);
  }

  packedFloats(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return;
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    this.bytesField(field, b);
  }

  message(field: number, w: ProtoWriter): void {
    this.tag(field, WIRE_LEN);
    this.varint(w.length);
    this.flushScratch();
    w.flushScratch();
    for (const c of w.chunks) this.chunks.push(c);
    this.length += w.length;
  }

  finish(): Uint8Array {
    this.flushScratch();
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
