/**
 * Keys and signatures: secp256k1 ECDSA via @noble/secp256k1 (the reference implementation).
 * Signatures are 64-byte compact (r || s), low-s only so a transaction id cannot be malleated.
 * The signed message is the 32-byte signing hash, prehashed once more with SHA-256 by ECDSA
 * (noble's default `prehash: true`, identical to OpenSSL's `verify('sha256', msg, ...)`). Pure.
 */
import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hash160 } from './hash.js';
import { NodeError } from './errors.js';
import { fromHex, toHex } from './bytes.js';

secp.hashes.sha256 = sha256;
secp.hashes.hmacSha256 = (key: Uint8Array, msg: Uint8Array) => hmac(sha256, key, msg);

export const PRIVATE_KEY_LEN = 32;
export const PUBLIC_KEY_LEN = 33;
export const SIGNATURE_LEN = 64;
export const ADDRESS_HASH_LEN = 20;

/** Curve order n and n/2: s above HALF_N is the malleable twin of a valid signature. */
export const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const HALF_N = CURVE_N >> 1n;

/** Big-endian unsigned integer (through one hex string: no bigint per byte). */
export function bytesToBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + toHex(b));
}

const CURVE_N_BYTES = fromHex(CURVE_N.toString(16).padStart(64, '0'));
const HALF_N_BYTES = fromHex(HALF_N.toString(16).padStart(64, '0'));

/** a (32 bytes, big-endian) compared with b: negative, 0 or positive. No allocation (a hot path). */
function compare32(sig: Uint8Array, at: number, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = sig[at + i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function isZero32(sig: Uint8Array, at: number): boolean {
  for (let i = 0; i < 32; i++) if (sig[at + i] !== 0) return false;
  return true;
}

/** r and s both in [1, n-1] and s <= n/2. Checked before either verification backend runs. */
export function isLowS(sig: Uint8Array): boolean {
  if (sig.length !== SIGNATURE_LEN) return false;
  return !isZero32(sig, 32) && compare32(sig, 32, HALF_N_BYTES) <= 0;
}

export function isValidScalarPair(sig: Uint8Array): boolean {
  if (sig.length !== SIGNATURE_LEN) return false;
  return !isZero32(sig, 0) && compare32(sig, 0, CURVE_N_BYTES) < 0 && !isZero32(sig, 32) && compare32(sig, 32, CURVE_N_BYTES) < 0;
}

/** @throws NodeError INVALID_ARGUMENT when the key is not a valid secp256k1 secret. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  if (!isValidPrivateKey(privateKey)) throw new NodeError('INVALID_ARGUMENT', 'invalid private key');
  return secp.getPublicKey(privateKey, true);
}

export function isValidPrivateKey(privateKey: Uint8Array): boolean {
  if (privateKey.length !== PRIVATE_KEY_LEN) return false;
  const d = bytesToBigInt(privateKey);
  return d >= 1n && d < CURVE_N;
}

/** Deterministic (RFC 6979) low-s signature over `msg`. */
export function sign(msg: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return secp.sign(msg, privateKey, { prehash: true, lowS: true, format: 'compact' });
}

/** The reference verifier: low-s and range checked explicitly, then noble. Never throws. */
export function verifyReference(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean {
  if (!isLowS(sig) || !isValidScalarPair(sig) || publicKey.length !== PUBLIC_KEY_LEN) return false;
  try {
    return secp.verify(sig, msg, publicKey, { prehash: true, lowS: true, format: 'compact' });
  } catch {
    return false;
  }
}

/** The 20-byte account id of a compressed public key: RIPEMD-160(SHA-256(pubkey)), as Bitcoin's P2PKH. */
export function addressHashOf(publicKey: Uint8Array): Uint8Array {
  return hash160(publicKey);
}

/** Pluggable verification so Node-only fast paths live outside the pure core. */
export interface SignatureVerifier {
  verify(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean;
}

export const referenceVerifier: SignatureVerifier = { verify: verifyReference };
