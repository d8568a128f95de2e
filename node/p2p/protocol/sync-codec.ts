/**
 * Wire codec of the chain-sync messages: the locator of `getblocks` / `getheaders` (one layout for both)
 * and the header list of `headers`. Part of the codec dispatched by messages.ts; byte layouts in
 * docs/protocol.md ("Wire messages").
 *
 * Pure and fuzzable: imports only node/core, ./message-types and ./wire-fields.
 */
import { Reader, Writer } from '../../core/bytes.js';
import { HASH_LEN } from '../../core/hash.js';
import { BlockHeader, HEADER_SIZE, readHeader, writeHeader } from '../../core/block.js';
import { MAX_LOCATOR, MAX_HEADERS, HeadersMessage } from './message-types.js';
import { ZERO_HASH, badArg, decodeError, writeCount } from './wire-fields.js';

export function writeGetBlocks(w: Writer, type: 'getblocks' | 'getheaders', locator: Uint8Array[], stopHash: Uint8Array | null): void {
  writeCount(w, `${type} locator count`, locator.length, MAX_LOCATOR);
  for (const h of locator) w.fixed(h, HASH_LEN);
  w.fixed(stopHash ?? ZERO_HASH, HASH_LEN);
}

export function readGetBlocks<T extends 'getblocks' | 'getheaders'>(r: Reader, type: T): { type: T; locator: Uint8Array[]; stopHash: Uint8Array | null } {
  const n = r.count(`${type} locator count`, MAX_LOCATOR);
  if (r.remaining !== (n + 1) * HASH_LEN) throw decodeError(`"${type}" expected ${(n + 1) * HASH_LEN} bytes of hashes, got ${r.remaining}`);
  const locator: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) locator[i] = r.fixed(HASH_LEN, `${type}.locator[${i}]`);
  const stop = r.fixed(HASH_LEN, `${type}.stopHash`);
  return { type, locator, stopHash: stop.every((b) => b === 0) ? null : stop };
}

export function writeHeaders(w: Writer, m: HeadersMessage): void {
  writeCount(w, 'headers count', m.headers.length, MAX_HEADERS);
  for (const h of m.headers) {
    try {
      writeHeader(w, h);
    } catch (e) {
      throw badArg(`"headers" ${(e as Error).message}`);
    }
  }
}

export function readHeaders(r: Reader): HeadersMessage {
  const n = r.count('headers count', MAX_HEADERS);
  if (r.remaining !== n * HEADER_SIZE) throw decodeError(`"headers" expected ${n * HEADER_SIZE} bytes of headers, got ${r.remaining}`);
  const headers: BlockHeader[] = new Array(n);
  for (let i = 0; i < n; i++) {
    try {
      headers[i] = readHeader(r);
    } catch (e) {
      if (e instanceof RangeError) throw decodeError(`"headers[${i}]" ${e.message}`);
      throw e;
    }
  }
  return { type: 'headers', headers };
}
