/**
 * The signature shape rules of core keys.ts (isValidScalarPair: r and s in [1, n-1]; isLowS: s in
 * [1, n/2]) on the 64 bytes directly, without turning them into bigints: they run before every
 * verification and for every admitted transaction (issue #9: ~2.3 us per signature as bigints, ~0.1 here).
 * Same answers as the core's predicates (tested against them on every edge). Pure, no I/O.
 */
import { SIGNATURE_LEN } from '../core/keys.js';

/** secp256k1's group order n, and n/2 (rounded down), as 32 big-endian bytes. */
const CURVE_N_BYTES = hexBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const HALF_N_BYTES = hexBytes('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/** The 32 bytes of `b` at `at` against `ref`, as big-endian numbers: < 0, 0 or > 0. */
function compare32(b: Uint8Array, at: number, ref: Uint8Array): number {
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

/** core isValidScalarPair: 64 bytes, r and s both in [1, n-1]. */
export function isValidScalarPairBytes(sig: Uint8Array): boolean {
  return sig.length === SIGNATURE_LEN && !isZero32(sig, 0) && compare32(sig, 0, CURVE_N_BYTES) < 0 && !isZero32(sig, 32) && compare32(sig, 32, CURVE_N_BYTES) < 0;
}

/** core isLowS: 64 bytes and s in [1, n/2]. */
export function isLowSBytes(sig: Uint8Array): boolean {
  return sig.length === SIGNATURE_LEN && !isZero32(sig, 32) && compare32(sig, 32, HALF_N_BYTES) <= 0;
}
