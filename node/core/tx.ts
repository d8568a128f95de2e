/**
 * Transactions: a transfer from one account (identified by its public key) to an address.
 * Fixed-size canonical encoding, 145 bytes:
 *   chainId u32 | from pubkey 33 | to address-hash 20 | amount u64 | fee u64 | nonce u64 | sig 64
 * The signing hash is sha256d of the first 81 bytes (everything but the signature); the id is
 * sha256d of all 145 bytes. Pure.
 */
import { Reader, Writer, toHex } from './bytes.js';
import { sha256d } from './hash.js';
import { ADDRESS_HASH_LEN, PUBLIC_KEY_LEN, SIGNATURE_LEN, addressHashOf, sign } from './keys.js';

export const TX_UNSIGNED_SIZE = 4 + PUBLIC_KEY_LEN + ADDRESS_HASH_LEN + 8 + 8 + 8;
export const TX_SIZE = TX_UNSIGNED_SIZE + SIGNATURE_LEN;

export interface Tx {
  chainId: number;
  /** Sender's compressed secp256k1 public key. */
  from: Uint8Array;
  /** Recipient's 20-byte address hash. */
  to: Uint8Array;
  amount: bigint;
  fee: bigint;
  nonce: bigint;
  /** 64-byte compact low-s signature over txSigningHash. */
  sig: Uint8Array;
}

export type UnsignedTx = Omit<Tx, 'sig'>;

function writeUnsigned(w: Writer, tx: UnsignedTx): Writer {
  return w
    .u32(tx.chainId)
    .fixed(tx.from, PUBLIC_KEY_LEN)
    .fixed(tx.to, ADDRESS_HASH_LEN)
    .u64(tx.amount)
    .u64(tx.fee)
    .u64(tx.nonce);
}

export function encodeUnsignedTx(tx: UnsignedTx): Uint8Array {
  return writeUnsigned(new Writer(TX_UNSIGNED_SIZE), tx).finish();
}

export function encodeTx(tx: Tx): Uint8Array {
  return writeTx(new Writer(TX_SIZE), tx).finish();
}

export function writeTx(w: Writer, tx: Tx): Writer {
  return writeUnsigned(w, tx).fixed(tx.sig, SIGNATURE_LEN);
}

/**
 * Field by field: each byte field is its own small copy, which V8 keeps on its heap (<= 64 bytes); one
 * 145-byte copy with views measured 3x slower (an off-heap buffer per tx).
 */
export function readTx(r: Reader): Tx {
  return readTxFields(r);
}

function readTxFields(r: Reader): Tx {
  return {
    chainId: r.u32('tx.chainId'),
    from: r.fixed(PUBLIC_KEY_LEN, 'tx.from'),
    to: r.fixed(ADDRESS_HASH_LEN, 'tx.to'),
    amount: r.u64('tx.amount'),
    fee: r.u64('tx.fee'),
    nonce: r.u64('tx.nonce'),
    sig: r.fixed(SIGNATURE_LEN, 'tx.sig'),
  };
}

/** @throws NodeError DECODE_ERROR on a short buffer or trailing bytes. */
export function decodeTx(bytes: Uint8Array): Tx {
  const r = new Reader(bytes);
  const tx = readTx(r);
  r.end('tx');
  return tx;
}

/**
 * Encodings that are only hashed go through two reused writers: a 145- or 81-byte Uint8Array per call
 * lives off V8's heap (larger than 64 bytes), and allocating and sweeping those was a real part of a
 * block's cost. Same bytes and the same checks as encodeTx / encodeUnsignedTx.
 */
const ID_SCRATCH = new Writer(TX_SIZE);
const SIGNING_SCRATCH = new Writer(TX_UNSIGNED_SIZE);

export function txSigningHash(tx: UnsignedTx): Uint8Array {
  return sha256d(writeUnsigned(SIGNING_SCRATCH.reset(), tx).written());
}

export function txId(tx: Tx): Uint8Array {
  return sha256d(writeTx(ID_SCRATCH.reset(), tx).written());
}

export function txIdHex(tx: Tx): string {
  return toHex(txId(tx));
}

/**
 * The sender's address hash. Memoised by public key (a sync or a busy mempool sees the same senders
 * over and over, and hash160 is a few microseconds and ~1.5 KB of garbage each time): at most
 * MAX_CACHED_SENDERS keys, the oldest dropped first. The returned bytes are shared: never mutate them.
 */
export function txSender(tx: Tx): Uint8Array {
  const key = toHex(tx.from);
  let address = senderCache.get(key);
  if (address === undefined) {
    address = addressHashOf(tx.from);
    if (senderCache.size >= MAX_CACHED_SENDERS) senderCache.delete(senderCache.keys().next().value!);
    senderCache.set(key, address);
  }
  return address;
}

export const MAX_CACHED_SENDERS = 8192;
const senderCache = new Map<string, Uint8Array>();

/** Public keys in txSender's memo (for tests). */
export function cachedSenderCount(): number {
  return senderCache.size;
}

export function signTx(tx: UnsignedTx, privateKey: Uint8Array): Tx {
  return { ...tx, sig: sign(txSigningHash(tx), privateKey) };
}
