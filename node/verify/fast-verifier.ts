/**
 * The fast SignatureVerifier: secp256k1 ECDSA through Node's built-in OpenSSL, many times faster than
 * the pure-JS reference. Verdicts must equal `verifyReference` bit for bit (a disagreement between
 * nodes is a chain split), so the consensus-relevant checks OpenSSL does not make — low-s, r and s
 * in [1, n-1], a 33-byte compressed key — run first, through the same core predicates the reference
 * uses. test/unit/verify-differential.test.ts holds the two to that.
 * Node-only (node:crypto), which is why it lives outside core/. Must not import chain, storage or p2p.
 */
import { KeyObject, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { PUBLIC_KEY_LEN, SignatureVerifier, isLowS, isValidScalarPair, referenceVerifier } from '../core/keys.js';
import { NodeError } from '../core/errors.js';
import { verifyNative } from './native-verifier.js';

/**
 * DER SubjectPublicKeyInfo header for a 33-byte compressed secp256k1 point (RFC 5480):
 *   SEQUENCE(54) { SEQUENCE(16) { OID id-ecPublicKey 1.2.840.10045.2.1, OID secp256k1 1.3.132.0.10 },
 *                  BIT STRING(34) { 0 unused bits, <33-byte point> } }
 * The lengths are fixed, so the key is appended to a constant prefix instead of running an encoder.
 */
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x36, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00,
  0x0a, 0x03, 0x22, 0x00,
]);

/**
 * Parsed keys, most recently used last. Senders repeat (a block often carries many transactions from
 * one account), and parsing a compressed key costs a square root. Invalid keys are cached as `null`
 * so a peer repeating a bad key does not make us pay for the OpenSSL error path each time. Bounded so
 * a flood of distinct keys costs at most KEY_CACHE_MAX entries.
 */
const KEY_CACHE_MAX = 2048;
const keyCache = new Map<string, KeyObject | null>();

function keyObjectOf(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex');
  const cached = keyCache.get(id);
  if (cached !== undefined) {
    keyCache.delete(id);
    keyCache.set(id, cached);
    return cached;
  }
  let key: KeyObject | null;
  try {
    const der = new Uint8Array(SPKI_PREFIX.length + PUBLIC_KEY_LEN);
    der.set(SPKI_PREFIX, 0);
    der.set(publicKey, SPKI_PREFIX.length);
    // OpenSSL rejects here an x that is >= p or not on the curve.
    key = createPublicKey({ key: Buffer.from(der.buffer), format: 'der', type: 'spki' });
  } catch {
    key = null;
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}

/**
 * Same contract as `verifyReference`: `msg` is the signing hash (SHA-256 prehashed by ECDSA),
 * `sig` 64-byte compact r||s, `publicKey` 33-byte compressed. Never throws; any failure is `false`.
 */
export function verifyFast(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): boolean {
  // OpenSSL accepts high-s (it would let a transaction id be malleated) and would see a different
  // key length as a different encoding; the reference refuses both, so we refuse them first.
  if (!isLowS(sig) || !isValidScalarPair(sig) || publicKey.length !== PUBLIC_KEY_LEN) return false;
  // Only 02/03 encode a compressed point. Refusing other prefixes here spares a garbage key the
  // OpenSSL decoder's error path, by far its slowest; OpenSSL would refuse them too.
  if (publicKey[0] !== 0x02 && publicKey[0] !== 0x03) return false;
  const key = keyObjectOf(publicKey);
  if (key === null) return false;
  try {
    return cryptoVerify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

export const fastVerifier: SignatureVerifier = { verify: verifyFast };

/**
 * The path the node verifies with: libsecp256k1's native binding when it loads (native-verifier.ts),
 * else OpenSSL. Both are proven equal to the reference by the differential test. `npm run bench` and
 * the start-up log report which one is active; MINICHAIN_VERIFIER=openssl forces OpenSSL.
 */
export const activeVerifyPath: 'native' | 'openssl' = verifyNative ? 'native' : 'openssl';
export const verifyActive: (msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array) => boolean = verifyNative ?? verifyFast;
export const activeVerifier: SignatureVerifier = { verify: verifyActive };

/**
 * The verifier named in configuration: 'fast' for the node, 'reference' to cross-check or to run
 * where node:crypto lacks secp256k1.
 * @throws NodeError CONFIG_ERROR on an unknown kind (reachable from untyped config files).
 */
export function makeVerifier(kind: 'fast' | 'reference'): SignatureVerifier {
  switch (kind) {
    case 'fast':
      return fastVerifier;
    case 'reference':
      return referenceVerifier;
    default:
      throw new NodeError('CONFIG_ERROR', `"verifier" expected 'fast' or 'reference', got ${JSON.stringify(kind)}`);
  }
}
