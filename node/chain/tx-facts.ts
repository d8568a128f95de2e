/**
 * What admission needs to know about a transaction, computed once (issue #9, ingest): its id, its
 * signing hash, its sender's address, and whether its signature has a valid shape. The core computes
 * each of these on its own (txId and txSigningHash each encode the transaction again; isLowS works on
 * bigints); here both hashes come from one encoding, or straight from the wire bytes the transaction
 * was decoded from, and the sender's address hash is remembered per public key. The results are
 * identical to core's txId / txSigningHash / txSender / isValidScalarPair + isLowS (tested).
 * No I/O.
 */
import { sha256d, hash160 } from '../core/hash.js';
import { isLowSBytes, isValidScalarPairBytes } from '../verify/sig-shape.js';
import { TX_SIZE, TX_UNSIGNED_SIZE, Tx, encodeTx } from '../core/tx.js';
import { Verdict, ok, reject } from '../core/verdict.js';

export interface TxFacts {
  id: Uint8Array;
  idHex: string;
  signingHash: Uint8Array;
  /** The sender's 20-byte address hash, and its hex. */
  sender: Uint8Array;
  senderHex: string;
}

/** Public keys whose address hash is remembered; when full the memo is cleared (senders repeat). */
export const SENDER_MEMO_MAX = 4096;
const senders = new Map<string, { sender: Uint8Array; senderHex: string }>();

/**
 * `wire`, when given, must be the bytes `tx` was decoded from (decodeTx is strict and the encoding
 * fixed-width, so they are its canonical encoding); a wire of any other length is ignored.
 */
export function txFactsOf(tx: Tx, wire?: Uint8Array): TxFacts {
  const bytes = wire !== undefined && wire.length === TX_SIZE ? wire : encodeTx(tx);
  const id = sha256d(bytes);
  const signingHash = sha256d(bytes.subarray(0, TX_UNSIGNED_SIZE));
  const key = hexOf(tx.from);
  let s = senders.get(key);
  if (s === undefined) {
    const sender = hash160(tx.from);
    s = { sender, senderHex: hexOf(sender) };
    if (senders.size >= SENDER_MEMO_MAX) senders.clear();
    senders.set(key, s);
  }
  // A copy of the memo's bytes: callers own what they get.
  return { id, idHex: hexOf(id), signingHash, sender: s.sender.slice(), senderHex: s.senderHex };
}

/**
 * core toHex's string, made natively: a flat string (toHex's `+=` builds a rope that every Map lookup
 * must first flatten, and these strings key the mempool, the sig cache and the relay's maps).
 */
export function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Entries in the sender memo (for the cap's test). */
export function senderMemoSize(): number {
  return senders.size;
}

/**
 * The shape part of core checkTxSignature, byte-wise: r and s in [1, n-1] (`bad-tx-signature`, "r or s
 * out of range"), then s <= n/2 (`bad-tx-high-s`). Same verdicts, no bigints.
 */
export function checkSignatureShape(sig: Uint8Array): Verdict {
  if (!isValidScalarPairBytes(sig)) return reject('consensus', 'bad-tx-signature', 'r or s out of range');
  if (!isLowSBytes(sig)) return reject('consensus', 'bad-tx-high-s');
  return ok();
}
