/**
 * tx-facts.ts (issue #9, ingest): the id, signing hash and sender computed once per admission agree
 * exactly with the core's txId / txSigningHash / txSender; the core's byte-wise signature shape checks
 * (isLowS, isValidScalarPair) agree with their bigint definitions on every edge.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hexOf, txFactsOf } from '../../node/chain/tx-facts.js';
import { bytesToBigInt } from '../../node/core/keys.js';
import { toHex } from '../../node/core/bytes.js';
import { CURVE_N, HALF_N, isLowS, isValidScalarPair } from '../../node/core/keys.js';
import { encodeTx, txId, txSender, txSigningHash } from '../../node/core/tx.js';
import { DEV, makeTx, testParams } from '../helpers/chain-fixtures.js';
import { seededRandom } from '../helpers/prng.js';

const params = testParams();

function be32(v: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
}

describe('txFactsOf', () => {
  it('equals the core id, signing hash and sender, from the wire bytes or from a fresh encoding', () => {
    for (let i = 0; i < 20; i++) {
      const tx = makeTx(params, DEV[i % 5]!, DEV[(i + 1) % 5]!.addressHash, BigInt(1000 + i), BigInt(i));
      const wire = encodeTx(tx);
      for (const f of [txFactsOf(tx, wire), txFactsOf(tx), txFactsOf(tx, wire.subarray(1))]) {
        assert.deepEqual(f.id, txId(tx));
        assert.equal(f.idHex, toHex(txId(tx)));
        assert.deepEqual(f.signingHash, txSigningHash(tx));
        assert.deepEqual(f.sender, txSender(tx));
        assert.equal(f.senderHex, toHex(txSender(tx)));
      }
    }
  });

  it('hexOf equals core toHex, also for a view into a larger buffer', () => {
    const big = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff);
    for (const [a, b] of [[0, 0], [0, 1], [5, 38], [100, 300]] as const) assert.equal(hexOf(big.subarray(a, b)), toHex(big.subarray(a, b)));
  });

  it('hands out its own copy of the sender bytes', () => {
    const tx = makeTx(params, DEV[0]!, DEV[1]!.addressHash, 5n, 0n);
    txFactsOf(tx).sender.fill(0);
    assert.deepEqual(txFactsOf(tx).sender, txSender(tx));
  });
});

/** The bigint definitions the byte-wise predicates must equal. */
function lowSRef(sig: Uint8Array): boolean {
  if (sig.length !== 64) return false;
  const s = bytesToBigInt(sig.subarray(32));
  return s >= 1n && s <= HALF_N;
}
function scalarPairRef(sig: Uint8Array): boolean {
  if (sig.length !== 64) return false;
  const r = bytesToBigInt(sig.subarray(0, 32));
  const s = bytesToBigInt(sig.subarray(32));
  return r >= 1n && r < CURVE_N && s >= 1n && s < CURVE_N;
}

describe('signature shape (core isLowS, isValidScalarPair)', () => {
  const edges = [0n, 1n, 2n, HALF_N - 1n, HALF_N, HALF_N + 1n, CURVE_N - 1n, CURVE_N, CURVE_N + 1n, (1n << 256n) - 1n, 1n << 255n, (1n << 255n) - 1n];

  it('equals the bigint definitions on every edge of r and s', () => {
    for (const r of edges)
      for (const s of edges) {
        const sig = new Uint8Array(64);
        sig.set(be32(r), 0);
        sig.set(be32(s), 32);
        assert.equal(isLowS(sig), lowSRef(sig), `low-s r=${r.toString(16)} s=${s.toString(16)}`);
        assert.equal(isValidScalarPair(sig), scalarPairRef(sig), `range r=${r.toString(16)} s=${s.toString(16)}`);
      }
  });

  it('equals the bigint definitions on random and wrong-length signatures', () => {
    const rand = seededRandom(9);
    for (let i = 0; i < 2000; i++) {
      const sig = Uint8Array.from({ length: i % 100 === 0 ? 63 : 64 }, () => Math.floor(rand() * 256));
      // Bias some towards the boundaries: leading 0xff or 0x7f/0x80 bytes.
      if (i % 3 === 0) sig.fill(0xff, 0, 16);
      if (i % 5 === 0) sig.fill(i % 2 ? 0x7f : 0x80, 32, 33);
      if (i % 7 === 0) sig.fill(0, 32, 64);
      assert.equal(isLowS(sig), lowSRef(sig));
      assert.equal(isValidScalarPair(sig), scalarPairRef(sig));
    }
  });
});
