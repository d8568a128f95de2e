/**
 * Differential test: the OpenSSL fast verifier must give exactly the reference verifier's verdict on
 * every input, valid or hostile, because nodes running different backends must never disagree on a
 * block. Each case also carries the verdict it must have, so the two cannot agree by both being wrong
 * (e.g. both returning false). Inputs come from a seeded sha256-counter PRNG: a failure prints its
 * category and index and reproduces on every run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as secp from '@noble/secp256k1';
import { sha256 } from '@noble/hashes/sha2.js';
import { CURVE_N, HALF_N, bytesToBigInt, publicKeyOf, referenceVerifier, sign, verifyReference } from '../../node/core/keys.js';
import { isNodeError } from '../../node/core/errors.js';
import { toHex } from '../../node/core/bytes.js';
import { activeVerifyPath, fastVerifier, makeVerifier, verifyActive } from '../../node/verify/fast-verifier.js';
import { nativeLoadError, verifyNative } from '../../node/verify/native-verifier.js';
import { createRequire } from 'node:module';

const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

/** sha256(seed || counter) blocks: deterministic, uniform enough for test inputs. */
class Prng {
  private counter = 0;
  private pool = new Uint8Array(0);
  constructor(private readonly seed: string) {}

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.pool.length === 0) this.pool = sha256(new TextEncoder().encode(`${this.seed}/${this.counter++}`));
      const take = Math.min(n - filled, this.pool.length);
      out.set(this.pool.subarray(0, take), filled);
      this.pool = this.pool.subarray(take);
      filled += take;
    }
    return out;
  }

  /** Integer in [0, max), max <= 2^32 (the modulo bias is irrelevant for test inputs). */
  below(max: number): number {
    return new DataView(this.bytes(4).buffer).getUint32(0) % max;
  }

  bigBelow(max: bigint): bigint {
    return bytesToBigInt(this.bytes(40)) % max;
  }
}

function be32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function sigOf(r: bigint, s: bigint): Uint8Array {
  const out = new Uint8Array(64);
  out.set(be32(r), 0);
  out.set(be32(s), 32);
  return out;
}

function withR(sig: Uint8Array, r: bigint): Uint8Array {
  return sigOf(r, bytesToBigInt(sig.subarray(32)));
}

function withS(sig: Uint8Array, s: bigint): Uint8Array {
  return sigOf(bytesToBigInt(sig.subarray(0, 32)), s);
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

/** Whether x is the x-coordinate of a curve point: x^3 + 7 is a square mod p (Euler's criterion). */
function isCurveX(x: bigint): boolean {
  const y2 = (modPow(x, 3n, P) + 7n) % P;
  return y2 === 0n || modPow(y2, (P - 1n) / 2n, P) === 1n;
}

function keyWithX(prefix: number, x: bigint): Uint8Array {
  const k = new Uint8Array(33);
  k[0] = prefix;
  k.set(be32(x), 1);
  return k;
}

interface Case {
  category: string;
  msg: Uint8Array;
  sig: Uint8Array;
  key: Uint8Array;
  expect: boolean;
}

/** How many cases each category must hold; checked so a generator bug cannot silently drop one. */
const EXPECTED_COUNTS: Record<string, number> = {
  'valid': 300,
  'valid-any-msg-length': 24,
  'tampered-msg': 150,
  'tampered-r': 150,
  'tampered-s': 200,
  'wrong-key': 50,
  'flipped-key-parity': 50,
  'high-s-twin': 900,
  'r-zero': 500,
  's-zero': 500,
  'r-ge-n': 700,
  's-ge-n': 700,
  'scalar-boundary': 8,
  'off-curve-key': 600,
  'key-x-ge-p': 200,
  'key-x-edge': 6,
  'bad-key-prefix': 800,
  'bad-key-length': 600,
  'bad-sig-length': 500,
  'all-zero-sig': 500,
  'all-ff-sig': 500,
  'garbage': 3200,
};

function buildCases(): Case[] {
  const rng = new Prng('minichain-verify-differential-v1');
  const cases: Case[] = [];
  const add = (category: string, msg: Uint8Array, sig: Uint8Array, key: Uint8Array, expect = false) =>
    cases.push({ category, msg, sig, key, expect });

  const secrets = Array.from({ length: 32 }, () => rng.bytes(32));
  const keys = secrets.map((sk) => publicKeyOf(sk));
  const signed = (i: number, len = 32) => {
    const k = i % secrets.length;
    const msg = rng.bytes(len);
    return { msg, sig: sign(msg, secrets[k]!), key: keys[k]!, k };
  };

  // One pool of genuine signatures; most hostile categories are a small edit of one of them, so a
  // false verdict can only come from the edit.
  const genuine = Array.from({ length: EXPECTED_COUNTS['valid']! }, (_, i) => signed(i));
  for (const g of genuine) add('valid', g.msg, g.sig, g.key, true);
  for (let i = 0; i < EXPECTED_COUNTS['valid-any-msg-length']!; i++) {
    const g = signed(i, [0, 1, 31, 33, 64, 145][i % 6]!);
    add('valid-any-msg-length', g.msg, g.sig, g.key, true);
  }
  const pick = () => genuine[rng.below(genuine.length)]!;

  for (let i = 0; i < EXPECTED_COUNTS['tampered-msg']!; i++) {
    const g = pick();
    add('tampered-msg', flipBit(g.msg, rng.below(256)), g.sig, g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['tampered-r']!; i++) {
    const g = pick();
    add('tampered-r', g.msg, flipBit(g.sig, rng.below(256)), g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['tampered-s']!; i++) {
    const g = pick();
    add('tampered-s', g.msg, flipBit(g.sig, 256 + rng.below(256)), g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['wrong-key']!; i++) {
    const g = genuine[i % genuine.length]!;
    add('wrong-key', g.msg, g.sig, keys[(g.k + 1 + rng.below(keys.length - 1)) % keys.length]!);
  }
  for (let i = 0; i < EXPECTED_COUNTS['flipped-key-parity']!; i++) {
    const g = genuine[i % genuine.length]!;
    const key = g.key.slice();
    key[0] = key[0] === 0x02 ? 0x03 : 0x02; // -Q: the same x, the other y
    add('flipped-key-parity', g.msg, g.sig, key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['high-s-twin']!; i++) {
    // (r, n - s) verifies mathematically; only the low-s rule rejects it, in both backends.
    const g = genuine[i % genuine.length]!;
    const twin = withS(g.sig, CURVE_N - bytesToBigInt(g.sig.subarray(32)));
    if (i < 20) // a full verification is slow; a few prove the premise
      assert.ok(secp.verify(twin, g.msg, g.key, { prehash: true, lowS: false, format: 'compact' }), 'twin is a real signature');
    add('high-s-twin', g.msg, twin, g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['r-zero']!; i++) {
    const g = pick();
    add('r-zero', g.msg, withR(g.sig, 0n), g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['s-zero']!; i++) {
    const g = pick();
    add('s-zero', g.msg, withS(g.sig, 0n), g.key);
  }
  // r + n and s + n are the same residues mod n: a backend that reduced before range-checking would accept.
  const span = (1n << 256n) - CURVE_N;
  for (let i = 0; i < EXPECTED_COUNTS['r-ge-n']!; i++) {
    const g = pick();
    const r = bytesToBigInt(g.sig.subarray(0, 32));
    add('r-ge-n', g.msg, withR(g.sig, i % 2 === 0 && r < span ? r + CURVE_N : CURVE_N + rng.bigBelow(span)), g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['s-ge-n']!; i++) {
    const g = pick();
    const s = bytesToBigInt(g.sig.subarray(32));
    add('s-ge-n', g.msg, withS(g.sig, i % 2 === 0 && s < span ? s + CURVE_N : CURVE_N + rng.bigBelow(span)), g.key);
  }
  {
    const g = genuine[0]!;
    const r = bytesToBigInt(g.sig.subarray(0, 32));
    for (const [rr, ss] of [
      [1n, 1n],
      [CURVE_N - 1n, 1n],
      [r, HALF_N],
      [r, HALF_N + 1n],
      [CURVE_N - 1n, HALF_N],
      [CURVE_N, 1n],
      [1n, CURVE_N],
      [CURVE_N - 1n, CURVE_N - 1n],
    ] as const)
      add('scalar-boundary', g.msg, sigOf(rr, ss), g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['off-curve-key']!; ) {
    const x = rng.bigBelow(P);
    if (isCurveX(x)) continue;
    const g = pick();
    add('off-curve-key', g.msg, g.sig, keyWithX(i % 2 === 0 ? 0x02 : 0x03, x));
    i++;
  }
  // x in [p, 2^256) whose residue x - p IS a curve x: a parser that reduced mod p would accept a point.
  for (let i = 0; i < EXPECTED_COUNTS['key-x-ge-p']!; ) {
    const x = P + BigInt(rng.below(0x1_0000_0000)) % ((1n << 256n) - P);
    if (!isCurveX(x - P)) continue;
    const g = pick();
    add('key-x-ge-p', g.msg, g.sig, keyWithX(i % 2 === 0 ? 0x02 : 0x03, x));
    i++;
  }
  // Extremes of the field, on or off the curve; either way no one knows a secret for them.
  for (const x of [0n, 1n, P - 1n])
    for (const prefix of [0x02, 0x03]) add('key-x-edge', genuine[0]!.msg, genuine[0]!.sig, keyWithX(prefix, x));
  const badPrefixes = [0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff];
  for (let i = 0; i < EXPECTED_COUNTS['bad-key-prefix']!; i++) {
    const g = pick();
    const key = g.key.slice();
    key[0] = badPrefixes[i % badPrefixes.length]!;
    add('bad-key-prefix', g.msg, g.sig, key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['bad-key-length']!; i++) {
    const g = pick();
    const variants = [
      () => g.key.subarray(1), // 32: x only
      () => Uint8Array.from([...g.key, 0]), // 34
      () => g.key.subarray(0, 32), // 32: truncated
      () => new Uint8Array(0),
      () => secp.getPublicKey(secrets[g.k]!, false), // 65: the SAME key, uncompressed; valid but not our encoding
    ];
    add('bad-key-length', g.msg, g.sig, variants[i % variants.length]!());
  }
  for (let i = 0; i < EXPECTED_COUNTS['bad-sig-length']!; i++) {
    const g = pick();
    const variants = [
      () => g.sig.subarray(0, 63),
      () => Uint8Array.from([...g.sig, 0]),
      () => new Uint8Array(0),
      () => Uint8Array.from([0, ...g.sig]),
      () => Uint8Array.from([...g.sig, ...g.sig]),
    ];
    add('bad-sig-length', g.msg, variants[i % variants.length]!(), g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['all-zero-sig']!; i++) {
    const g = pick();
    add('all-zero-sig', g.msg, new Uint8Array(64), g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['all-ff-sig']!; i++) {
    const g = pick();
    add('all-ff-sig', g.msg, new Uint8Array(64).fill(0xff), g.key);
  }
  for (let i = 0; i < EXPECTED_COUNTS['garbage']!; i++) {
    const key = rng.bytes(33);
    // A quarter get a plausible prefix (about half of those are on the curve) and half a forced low s, so
    // some reach the curve math; the reference costs milliseconds there, which bounds this category.
    if (i % 4 === 0) key[0] = 0x02 + ((i >> 2) % 2);
    const sig = rng.bytes(64);
    if (i % 8 < 4) sig[32]! &= 0x7f;
    add('garbage', rng.bytes(i % 8 === 0 ? rng.below(100) : 32), sig, key);
  }
  return cases;
}

const hex = (b: Uint8Array) => toHex(b);

let built: Case[] | undefined;
/** Built once and shared: signing the genuine pool is the slow part. */
function allCases(): Case[] {
  return (built ??= buildCases());
}

test('fastVerifier and verifyReference agree on >= 10,000 valid and hostile cases', () => {
  const cases = allCases();
  const counts: Record<string, number> = {};
  const failures: string[] = [];
  let trueCount = 0;
  cases.forEach((c, i) => {
    counts[c.category] = (counts[c.category] ?? 0) + 1;
    const ref = verifyReference(c.msg, c.sig, c.key);
    const fast = fastVerifier.verify(c.msg, c.sig, c.key);
    if (fast) trueCount++;
    if (ref !== c.expect || fast !== c.expect)
      failures.push(
        `#${i} ${c.category}: expected ${c.expect}, reference ${ref}, fast ${fast}; ` +
          `msg=${hex(c.msg)} sig=${hex(c.sig)} key=${hex(c.key)}`,
      );
  });
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} disagreements`);
  assert.deepEqual(counts, EXPECTED_COUNTS);
  assert.ok(cases.length >= 10_000, `only ${cases.length} cases`);
  assert.equal(trueCount, EXPECTED_COUNTS['valid']! + EXPECTED_COUNTS['valid-any-msg-length']!);
});

test('fastVerifier gives the same verdicts from its key cache as on first sight', () => {
  // The first pass parsed each key (and cached it, or cached its rejection); the second pass is served
  // from the cache. A cache bug (a stale or wrong KeyObject, a cached null for a good key) would show here.
  const cases = allCases().filter((_, i) => i % 5 === 0);
  const first = cases.map((c) => fastVerifier.verify(c.msg, c.sig, c.key));
  const second = cases.map((c) => fastVerifier.verify(c.msg, c.sig, c.key));
  assert.deepEqual(second, first);
  assert.deepEqual(first, cases.map((c) => c.expect));
});

/** Whether the optional package is installed at all (its native binding must then load, unless disabled). */
function nativePackageInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('secp256k1/package.json');
    return true;
  } catch {
    return false;
  }
}

const nativeDisabled = process.env.MINICHAIN_VERIFIER === 'openssl';

test('the native path is active whenever the optional secp256k1 package is installed', { skip: nativeDisabled && 'MINICHAIN_VERIFIER=openssl' }, () => {
  if (!nativePackageInstalled()) {
    assert.equal(activeVerifyPath, 'openssl');
    return;
  }
  assert.equal(nativeLoadError, undefined, `secp256k1 is installed but its native binding did not load: ${nativeLoadError}`);
  assert.equal(activeVerifyPath, 'native');
  assert.equal(verifyActive, verifyNative);
});

test(
  'native libsecp256k1 and verifyReference agree on >= 10,000 valid and hostile cases (high-s refused)',
  { skip: verifyNative === undefined && `native binding not loaded: ${nativeLoadError}` },
  () => {
    const cases = allCases();
    const failures: string[] = [];
    let highS = 0;
    cases.forEach((c, i) => {
      const ref = verifyReference(c.msg, c.sig, c.key);
      const native = verifyNative!(c.msg, c.sig, c.key);
      if (c.category === 'high-s-twin') highS++;
      if (ref !== c.expect || native !== c.expect)
        failures.push(`#${i} ${c.category}: expected ${c.expect}, reference ${ref}, native ${native}; msg=${hex(c.msg)} sig=${hex(c.sig)} key=${hex(c.key)}`);
    });
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} disagreements`);
    assert.ok(cases.length >= 10_000, `only ${cases.length} cases`);
    assert.equal(highS, EXPECTED_COUNTS['high-s-twin']);
  },
);

test('makeVerifier returns the named backend and refuses unknown names', () => {
  assert.equal(makeVerifier('fast'), fastVerifier);
  assert.equal(makeVerifier('reference'), referenceVerifier);
  assert.throws(
    () => makeVerifier('openssl' as 'fast'),
    (e: unknown) => isNodeError(e, 'CONFIG_ERROR'),
  );
});
