/**
 * The field primitives the wire codec (messages.ts and its *-codec.ts families) is built from: bounded
 * counts, strict UTF-8 strings, `ms` timestamps, u256 work, and the two error kinds (INVALID_ARGUMENT for
 * what we refuse to send, DECODE_ERROR for what we refuse to read). Byte layouts: docs/protocol.md.
 *
 * Pure and fuzzable: imports only node/core. No ws, no timers, no randomness.
 */
import { Reader, Writer } from '../../core/bytes.js';
import { NodeError } from '../../core/errors.js';
import { HASH_LEN } from '../../core/hash.js';
import { WORK_LEN } from './message-types.js';

export const ZERO_HASH = new Uint8Array(HASH_LEN);
const U256_LIMIT = 1n << 256n;
const utf8 = new TextEncoder();
// ignoreBOM: a leading U+FEFF is kept, not stripped, so decode -> encode gives back the same bytes.
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeError(message: string): NodeError {
  return new NodeError('DECODE_ERROR', message);
}

export function badArg(message: string): NodeError {
  return new NodeError('INVALID_ARGUMENT', message);
}

// ---- encoding ---------------------------------------------------------------------------------

export function writeCount(w: Writer, what: string, n: number, max: number): void {
  if (n > max) throw badArg(`"${what}" expected <= ${max}, got ${n}`);
  w.varint(n);
}

export function writeStr(w: Writer, what: string, s: string, max: number): void {
  const b = utf8.encode(s);
  // A lone surrogate would be replaced by U+FFFD: the peer would read a different string than we meant.
  if (utf8Strict.decode(b) !== s) throw badArg(`"${what}" is not well-formed UTF-16`);
  if (b.length > max) throw badArg(`"${what}" expected <= ${max} bytes, got ${b.length}`);
  w.varBytes(b);
}

export function writeMs(w: Writer, what: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw badArg(`"${what}" must be a non-negative safe integer, got ${ms}`);
  w.u64(BigInt(ms));
}

export function writeU256(w: Writer, what: string, v: bigint): void {
  if (typeof v !== 'bigint' || v < 0n || v >= U256_LIMIT) throw badArg(`"${what}" out of u256 range`);
  const out = new Uint8Array(WORK_LEN);
  let x = v;
  for (let i = WORK_LEN - 1; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  w.bytes(out);
}

// ---- decoding ---------------------------------------------------------------------------------

export function readStr(r: Reader, what: string, max: number): string {
  const b = r.varBytes(what, max);
  try {
    return utf8Strict.decode(b);
  } catch {
    throw decodeError(`"${what}" is not valid UTF-8`);
  }
}

export function readMs(r: Reader, what: string): number {
  const v = r.u64(what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw decodeError(`"${what}" expected <= ${Number.MAX_SAFE_INTEGER}, got ${v}`);
  return Number(v);
}
