/**
 * What admission needs to know about a transaction, computed once (issue #9, ingest): its id, its
 * signing hash, its sender's address, and whether its signature has a valid shape. The core computes
 * each of these on its own (txId and txSigningHash each encode the transaction again; isLowS works on
 * bigints); here both hashes come from one encoding, or straight from the wire bytes the transaction
 * was decoded from, and the sender's address hash is remembered per public key. The results are
 * identical to core's txId / txSigningHash / txSender / isValidScalarPair + isLowS (tested).
 * No I/O.
 */
import { toHex } from '../core/bytes.js';
import { sha256d, hash160 } from '../core/hash.js';
import { SIGNATURE_LEN } from '../core/keys.js';
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
  const key = toHex(tx.from);
  let s = senders.get(key);
  if (s === undefined) {
    const sender = hash160(tx.from);
    s = { sender, senderHex: toHex(sender) };
    if (senders.size >= SENDER_MEMO_MAX) senders.clear();
    senders.set(key, s);
  }
  // A copy of the memo's bytes: callers own what they get.
  return { id, idHex: toHex(id), signingHash, sender: s.sender.slice(), senderHex: s.senderHex };
}

/** Entries in the sender memo (for the cap's test). */
export function senderMemoSize(): number {
  return senders.size;
}

/** secp256k1's group order n, and n/2, as 32 big-endian bytes. */
const CURVE_N_BYTES = Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'));
const HALF_N_BYTES = Uint8Array.from(Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex'));

/** Compares the 32 bytes of `b` at `at` with `ref` as big-endian numbers: <0, 0, >0. */
function cmp32(b: Uint8Array, at: number, ref: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = b[at + i]! - ref[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function isZero32(b: Uint8Array, at: number): boolean {
  for (let i = 0; i < 32; i++) if (b[at + i] !== 0) return false;
  return true;
}

/**
 * The shape part of core checkTxSignature, byte-wise: r and s in [1, n-1] (`bad-tx-signature`, "r or s
 * out of range"), then s <= n/2 (`bad-tx-high-s`). Same verdicts, no bigints.
 */
export function checkSignatureShape(sig: Uint8Array): Verdict {
  const inRange =
    sig.length === SIGNATURE_LEN && !isZero32(sig, 0) && cmp32(sig, 0, CURVE_N_BYTES) < 0 && !isZero32(sig, 32) && cmp32(sig, 32, CURVE_N_BYTES) < 0;
  if (!inRange) return reject('consensus', 'bad-tx-signature', 'r or s out of range');
  if (cmp32(sig, 32, HALF_N_BYTES) > 0) return reject('consensus', 'bad-tx-high-s');
  return ok();
}
