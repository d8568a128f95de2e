/**
 * Canonical binary encoding: a Writer and a strict Reader. Integers are little-endian; `varint` is
 * Bitcoin's CompactSize and must be minimally encoded; decoding rejects trailing bytes. Pure.
 */
import { NodeError } from './errors.js';

const MAX_U64 = (1n << 64n) - 1n;

function decodeError(message: string): NodeError {
  return new NodeError('DECODE_ERROR', message);
}

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, 16);
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new NodeError('INVALID_ARGUMENT', `u8 out of range: ${v}`);
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new NodeError('INVALID_ARGUMENT', `u16 out of range: ${v}`);
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new NodeError('INVALID_ARGUMENT', `u32 out of range: ${v}`);
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    if (typeof v !== 'bigint' || v < 0n || v > MAX_U64) throw new NodeError('INVALID_ARGUMENT', `u64 out of range: ${v}`);
    this.ensure(8);
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  /** CompactSize: < 0xfd in one byte, then 0xfd+u16, 0xfe+u32 (0xff+u64 is never needed here). */
  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw new NodeError('INVALID_ARGUMENT', `varint out of range: ${v}`);
    if (v < 0xfd) return this.u8(v);
    if (v <= 0xffff) return this.u8(0xfd).u16(v);
    return this.u8(0xfe).u32(v);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Fixed-length bytes: asserts the length so a short hash can never be written. */
  fixed(b: Uint8Array, len: number): this {
    if (b.length !== len) throw new NodeError('INVALID_ARGUMENT', `expected ${len} bytes, got ${b.length}`);
    return this.bytes(b);
  }

  varBytes(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }

  str(s: string): this {
    return this.varBytes(new TextEncoder().encode(s));
  }

  get length(): number {
    return this.pos;
  }

  /** Starts over on the same buffer (a scratch writer reused for hashing). */
  reset(): this {
    this.pos = 0;
    return this;
  }

  /**
   * The bytes written, without a copy: valid only until the next write or reset (for hashing them at
   * once). finish() is the one to keep.
   */
  written(): Uint8Array {
    return this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos);
  }

  /**
   * The bytes written. A writer sized exactly (the fixed-size encodings) hands over its buffer without a
   * copy: any later write needs room it does not have and moves to a new buffer, so the result never changes.
   */
  finish(): Uint8Array {
    return this.pos === this.buf.length ? this.buf : this.buf.slice(0, this.pos);
  }
}

export class Reader {
  private readonly view: DataView;
  pos = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length)
      throw decodeError(`"${what}" needs ${n} bytes at offset ${this.pos}, only ${this.buf.length - this.pos} left`);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(what = 'u64'): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Strict CompactSize: rejects non-minimal forms, so every value has exactly one encoding. */
  varint(what = 'varint'): number {
    const first = this.u8(what);
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      const v = this.u16(what);
      if (v < 0xfd) throw decodeError(`"${what}" non-canonical varint ${v}`);
      return v;
    }
    if (first === 0xfe) {
      const v = this.u32(what);
      if (v <= 0xffff) throw decodeError(`"${what}" non-canonical varint ${v}`);
      return v;
    }
    throw decodeError(`"${what}" varint too large`);
  }

  /** A count bounded by `max`, checked before anything is allocated. */
  count(what: string, max: number): number {
    const n = this.varint(what);
    if (n > max) throw decodeError(`"${what}" expected <= ${max}, got ${n}`);
    return n;
  }

  fixed(len: number, what = 'bytes'): Uint8Array {
    this.need(len, what);
    const out = this.buf.slice(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  varBytes(what: string, max: number): Uint8Array {
    const n = this.count(what, max);
    return this.fixed(n, what);
  }

  str(what: string, max: number): string {
    const b = this.varBytes(what, max);
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
    } catch {
      throw decodeError(`"${what}" is not valid UTF-8`);
    }
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Strict decoding: a message with trailing bytes has two encodings, so it is refused. */
  end(what = 'message'): void {
    if (this.pos !== this.buf.length) throw decodeError(`"${what}" has ${this.buf.length - this.pos} trailing bytes`);
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic compare, used for deterministic ordering and tie-breaks. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef');
const ASCII = new TextDecoder();
/** Reused for the short values (ids, addresses, keys) that are hexed on every hot path. */
const HEX_SCRATCH = new Uint8Array(512);

/**
 * Lowercase hex. Hex strings are map keys all over the node, so this matters: the digits are written
 * into bytes and decoded once, giving one flat string (appending two characters at a time built a
 * rope of ~40 short-lived strings per 32-byte id, a large share of a sync's garbage).
 */
export function toHex(b: Uint8Array): string {
  const n = b.length * 2;
  if (n === 0) return '';
  const out = n <= HEX_SCRATCH.length ? HEX_SCRATCH : new Uint8Array(n);
  for (let i = 0; i < b.length; i++) {
    const x = b[i]!;
    out[2 * i] = HEX_DIGITS[x >> 4]!;
    out[2 * i + 1] = HEX_DIGITS[x & 15]!;
  }
  if (out !== HEX_SCRATCH) return ASCII.decode(out);
  return ASCII.decode((HEX_VIEWS[n] ??= HEX_SCRATCH.subarray(0, n)));
}

/** HEX_SCRATCH's prefix views by length, made once (a view per call was most of toHex's garbage). */
const HEX_VIEWS: Uint8Array[] = [];

/** @throws NodeError DECODE_ERROR on odd length or a non-hex character. */
export function fromHex(hex: string, what = 'hex'): Uint8Array {
  const at = hex.startsWith('0x') ? 2 : 0;
  if ((hex.length - at) % 2 !== 0) throw decodeError(`"${what}" is not valid hex`);
  const out = new Uint8Array((hex.length - at) / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(hex.charCodeAt(at + 2 * i));
    const lo = hexValue(hex.charCodeAt(at + 2 * i + 1));
    if (hi < 0 || lo < 0) throw decodeError(`"${what}" is not valid hex`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** 0-15 for [0-9a-fA-F], else -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}
