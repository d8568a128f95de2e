/**
 * The native signature path: libsecp256k1 (Bitcoin Core's own library) through the optional
 * `secp256k1` package's prebuilt N-API binding, several times faster than OpenSSL here. Only the
 * native binding is ever used: `secp256k1/bindings` loads it through node-gyp-build and throws when
 * no binary fits this platform, and we then fall back to OpenSSL (fast-verifier.ts), never to the
 * package's pure-JS `elliptic` build. Verdicts must equal `verifyReference` bit for bit; the same
 * differential test that holds OpenSSL to that holds this path (test/unit/verify-differential.test.ts).
 * Node-only (a native addon), which is why it lives outside core/. Must not import chain, storage or p2p.
 */
import { hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { PUBLIC_KEY_LEN, isLowS, isValidScalarPair } from '../core/keys.js';

/** The one function of the binding we call (secp256k1 v5 API.md: `ecdsaVerify(sig, msg32, pubkey)`). */
interface NativeSecp256k1 {
  ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, publicKey: Uint8Array): boolean;
}

function load(): { lib: NativeSecp256k1 | undefined; error: string | undefined } {
  if (process.env.MINICHAIN_VERIFIER === 'openssl') return { lib: undefined, error: 'disabled by MINICHAIN_VERIFIER=openssl' };
  try {
    const lib = createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1;
    if (typeof lib.ecdsaVerify !== 'function') return { lib: undefined, error: 'secp256k1/bindings has no ecdsaVerify' };
    return { lib, error: undefined };
  } catch (e) {
    return { lib: undefined, error: (e as Error).message.split('\n')[0] };
  }
}

const loaded = load();

/** Why the native path is unavailable (package absent, no prebuilt binary, disabled), or undefined. */
export const nativeLoadError: string | undefined = loaded.error;

/**
 * Same contract as `verifyReference`, or undefined when the native binding did not load.
 * ECDSA here is over SHA-256(msg) (noble's `prehash: true`, OpenSSL's `verify('sha256', ...)`);
 * libsecp256k1 takes the 32-byte digest, so we hash first. libsecp256k1 refuses high-s itself, and we
 * check low-s and the scalar ranges first anyway, through the same predicates as the reference.
 */
export const verifyNative: ((msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array) => boolean) | undefined =
  loaded.lib === undefined
    ? undefined
    : (msg, sig, publicKey) => {
        if (!isLowS(sig) || !isValidScalarPair(sig) || publicKey.length !== PUBLIC_KEY_LEN) return false;
        if (publicKey[0] !== 0x02 && publicKey[0] !== 0x03) return false;
        const digest = hash('sha256', msg, 'buffer'); // one-shot: ~0.6 us against createHash's ~1.7
        try {
          return loaded.lib!.ecdsaVerify(sig, digest, publicKey);
        } catch {
          return false; // unparsable key (x >= p, not on the curve) or signature
        }
      };
