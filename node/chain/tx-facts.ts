/**
 * What admission needs to know about a transaction, computed once (issue #9, ingest): its id, its
 * signing hash and its sender's address. The core computes each on its own (txId and txSigningHash each
 * encode the transaction again); here both hashes come from one encoding, or straight from the wire
 * bytes the transaction was decoded from, and the sender comes from core txSender's memo. The results
 * are identical to core's txId / txSigningHash / txSender (tested). No I/O.
 */
import { sha256d } from '../core/hash.js';
import { TX_SIZE, TX_UNSIGNED_SIZE, Tx, encodeTx, txSender } from '../core/tx.js';

export interface TxFacts {
  id: Uint8Array;
  idHex: string;
  signingHash: Uint8Array;
  /** The sender's 20-byte address hash (the caller's own copy), and its hex. */
  sender: Uint8Array;
  senderHex: string;
}

/**
 * `wire`, when given, must be the bytes `tx` was decoded from (decodeTx is strict and the encoding
 * fixed-width, so they are its canonical encoding); a wire of any other length is ignored.
 */
export function txFactsOf(tx: Tx, wire?: Uint8Array): TxFacts {
  const bytes = wire !== undefined && wire.length === TX_SIZE ? wire : encodeTx(tx);
  const id = sha256d(bytes);
  const signingHash = sha256d(bytes.subarray(0, TX_UNSIGNED_SIZE));
  // txSender's bytes are shared with its memo: callers own what they get.
  const sender = txSender(tx).slice();
  return { id, idHex: hexOf(id), signingHash, sender, senderHex: hexOf(sender) };
}

/**
 * core toHex's string, made natively: a flat string (these strings key the mempool, the sig cache and
 * the relay's maps, where a flat string hashes and compares fastest).
 */
export function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
