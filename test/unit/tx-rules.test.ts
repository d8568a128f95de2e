/**
 * Transaction rules: one test per rejection reason, asserting the exact reason and class, plus the
 * accepted boundary next to each and the effects of applyTx.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as secp from '@noble/secp256k1';
import { NodeError } from '../../node/core/errors.js';
import { Verdict, penaltyFor } from '../../node/core/verdict.js';
import { Tx, UnsignedTx, decodeTx, encodeTx, signTx, txId, txSender, txSigningHash } from '../../node/core/tx.js';
import { CURVE_N, HALF_N, bytesToBigInt, referenceVerifier } from '../../node/core/keys.js';
import { MAX_MONEY } from '../../node/core/amount.js';
import { Account, MapStateView, StateOverlay } from '../../node/core/state-view.js';
import { toHex } from '../../node/core/bytes.js';
import { applyTx, checkTxAgainstState, checkTxFee, checkTxSanity, checkTxSignature } from '../../node/core/check-tx.js';
import { COIN, DEV, TEST_CHAIN_ID, makeTx, testParams } from '../helpers/chain-fixtures.js';

const P = testParams();
const alice = DEV[0]!;
const bob = DEV[1]!;
const carol = DEV[2]!;

function expectReject(v: Verdict<unknown>, reason: string, cls = 'consensus'): void {
  assert.equal(v.ok, false, `expected rejection ${reason}`);
  if (v.ok) return;
  assert.equal(v.reason, reason);
  assert.equal(v.class, cls);
}

function unsigned(over: Partial<UnsignedTx> = {}): UnsignedTx {
  return { chainId: P.chainId, from: alice.publicKey, to: bob.addressHash, amount: COIN, fee: 1000n, nonce: 0n, ...over };
}

function signed(over: Partial<UnsignedTx> = {}): Tx {
  return signTx(unsigned(over), alice.privateKey);
}

function bigToBytes32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function withS(tx: Tx, s: bigint): Tx {
  const sig = tx.sig.slice();
  sig.set(bigToBytes32(s), 32);
  return { ...tx, sig };
}

function withR(tx: Tx, r: bigint): Tx {
  const sig = tx.sig.slice();
  sig.set(bigToBytes32(r), 0);
  return { ...tx, sig };
}

function view(entries: [Uint8Array, Account][]): MapStateView {
  return new MapStateView(new Map(entries.map(([a, acct]) => [toHex(a), acct])));
}

describe('checkTxSanity', () => {
  test('a well-formed transfer passes', () => {
    assert.deepEqual(checkTxSanity(signed(), P), { ok: true, value: undefined });
  });

  test('bad-tx-chain-id: a genuine tx from another chain is a replay', () => {
    const foreign = makeTx({ chainId: 1337 }, alice, bob.addressHash, COIN, 0n);
    assert.equal(checkTxSignature(foreign, referenceVerifier).ok, true, 'its signature is genuine');
    const v = checkTxSanity(foreign, P);
    expectReject(v, 'bad-tx-chain-id');
    assert.equal(penaltyFor(v), 100);
    // and re-labelling it for this chain breaks the signature, because chainId is signed
    expectReject(checkTxSignature({ ...foreign, chainId: TEST_CHAIN_ID }, referenceVerifier), 'bad-tx-signature');
  });

  test('bad-tx-amount-zero', () => {
    expectReject(checkTxSanity(signed({ amount: 0n }), P), 'bad-tx-amount-zero');
    assert.equal(checkTxSanity(signed({ amount: 1n }), P).ok, true);
  });

  test('bad-tx-amount-range', () => {
    expectReject(checkTxSanity(signed({ amount: MAX_MONEY + 1n, fee: 0n }), P), 'bad-tx-amount-range');
    expectReject(checkTxSanity(signed({ amount: (1n << 64n) - 1n, fee: 0n }), P), 'bad-tx-amount-range');
    assert.equal(checkTxSanity(signed({ amount: MAX_MONEY, fee: 0n }), P).ok, true);
  });

  test('bad-tx-fee-range', () => {
    expectReject(checkTxSanity(signed({ amount: 1n, fee: MAX_MONEY + 1n }), P), 'bad-tx-fee-range');
    assert.equal(checkTxSanity(signed({ amount: 1n, fee: MAX_MONEY - 1n }), P).ok, true);
  });

  test('bad-tx-total-range: amount + fee above MAX_MONEY though each is in range', () => {
    expectReject(checkTxSanity(signed({ amount: MAX_MONEY, fee: 1n }), P), 'bad-tx-total-range');
    expectReject(checkTxSanity(signed({ amount: MAX_MONEY / 2n + 1n, fee: MAX_MONEY / 2n }), P), 'bad-tx-total-range');
    assert.equal(checkTxSanity(signed({ amount: MAX_MONEY - 1000n, fee: 1000n }), P).ok, true);
  });

  test('a zero fee is valid by consensus (the minimum is policy)', () => {
    assert.equal(checkTxSanity(signed({ fee: 0n }), P).ok, true);
  });
});

describe('checkTxFee (policy)', () => {
  test('tx-fee-too-low is policy, costs no ban score', () => {
    const v = checkTxFee(signed({ fee: P.minFee - 1n }), P);
    expectReject(v, 'tx-fee-too-low', 'policy');
    assert.equal(penaltyFor(v), 0);
    assert.equal(checkTxFee(signed({ fee: P.minFee }), P).ok, true);
    expectReject(checkTxFee(signed({ fee: 0n }), P), 'tx-fee-too-low', 'policy');
  });
});

describe('checkTxSignature', () => {
  test('a genuine signature passes', () => {
    assert.equal(checkTxSignature(signed(), referenceVerifier).ok, true);
  });

  test('bad-tx-signature: any field changed after signing', () => {
    const tx = signed();
    const tampered: Tx[] = [
      { ...tx, amount: tx.amount + 1n },
      { ...tx, fee: tx.fee - 1n },
      { ...tx, nonce: 1n },
      { ...tx, to: carol.addressHash },
      { ...tx, chainId: tx.chainId + 1 },
    ];
    for (const t of tampered) expectReject(checkTxSignature(t, referenceVerifier), 'bad-tx-signature');
  });

  test('bad-tx-signature: signed by another key than `from`', () => {
    const forged: Tx = { ...unsigned(), sig: signTx(unsigned(), bob.privateKey).sig };
    expectReject(checkTxSignature(forged, referenceVerifier), 'bad-tx-signature');
    // alice's genuine signature presented under bob's key fails too
    const swapped: Tx = { ...signed(), from: bob.publicKey };
    expectReject(checkTxSignature(swapped, referenceVerifier), 'bad-tx-signature');
  });

  test('bad-tx-signature: r = 0, r >= n', () => {
    const tx = signed();
    expectReject(checkTxSignature(withR(tx, 0n), referenceVerifier), 'bad-tx-signature');
    expectReject(checkTxSignature(withR(tx, CURVE_N), referenceVerifier), 'bad-tx-signature');
    expectReject(checkTxSignature(withR(tx, (1n << 256n) - 1n), referenceVerifier), 'bad-tx-signature');
  });

  test('bad-tx-signature: s = 0, s = n, s > n', () => {
    const tx = signed();
    for (const s of [0n, CURVE_N, CURVE_N + 1n, (1n << 256n) - 1n])
      expectReject(checkTxSignature(withS(tx, s), referenceVerifier), 'bad-tx-signature');
  });

  test('bad-tx-signature: all-zero signature', () => {
    expectReject(checkTxSignature({ ...signed(), sig: new Uint8Array(64) }, referenceVerifier), 'bad-tx-signature');
  });

  test('bad-tx-high-s: the malleated twin (n - s) is refused though mathematically valid', () => {
    const tx = signed();
    const s = bytesToBigInt(tx.sig.subarray(32));
    assert.ok(s <= HALF_N, 'our signer produces low s');
    const twin = withS(tx, CURVE_N - s);
    const hash = txSigningHash(tx);
    // The high-s twin verifies under plain ECDSA: only the low-s rule stops it.
    assert.equal(secp.verify(twin.sig, hash, tx.from, { prehash: true, lowS: false }), true);
    const v = checkTxSignature(twin, referenceVerifier);
    expectReject(v, 'bad-tx-high-s');
    assert.notEqual(toHex(txId(twin)), toHex(txId(tx)), 'it would be a second id for the same transfer');
    // a verifier that would accept it does not matter: low-s is checked first
    expectReject(checkTxSignature(twin, { verify: () => true }), 'bad-tx-high-s');
  });

  test('a verifier saying no is bad-tx-signature, even for a genuine signature', () => {
    expectReject(checkTxSignature(signed(), { verify: () => false }), 'bad-tx-signature');
  });

  test('the verifier is given the signing hash, the signature and the public key', () => {
    const tx = signed();
    let seen: Uint8Array[] = [];
    checkTxSignature(tx, { verify: (m, s, k) => ((seen = [m, s, k]), true) });
    assert.deepEqual(seen, [txSigningHash(tx), tx.sig, tx.from]);
  });
});

describe('verifyReference', () => {
  const tx = signed();
  const hash = txSigningHash(tx);

  test('accepts the genuine signature only', () => {
    assert.equal(referenceVerifier.verify(hash, tx.sig, tx.from), true);
    assert.equal(referenceVerifier.verify(txSigningHash({ ...tx, nonce: 1n }), tx.sig, tx.from), false);
  });

  test('refuses the high-s twin and out-of-range scalars on its own', () => {
    const s = bytesToBigInt(tx.sig.subarray(32));
    for (const bad of [withS(tx, CURVE_N - s), withS(tx, 0n), withR(tx, 0n), withS(tx, CURVE_N)])
      assert.equal(referenceVerifier.verify(hash, bad.sig, tx.from), false);
  });

  test('never throws on malformed input', () => {
    assert.equal(referenceVerifier.verify(hash, tx.sig.subarray(0, 63), tx.from), false);
    assert.equal(referenceVerifier.verify(hash, tx.sig, tx.from.subarray(0, 32)), false);
    assert.equal(referenceVerifier.verify(hash, tx.sig, new Uint8Array(33)), false, 'not a curve point');
    assert.equal(referenceVerifier.verify(new Uint8Array(0), tx.sig, tx.from), false);
  });
});

describe('decoding', () => {
  test('a 144-byte or 146-byte tx is a decode error, not a verdict', () => {
    const enc = encodeTx(signed());
    assert.equal(enc.length, 145);
    const isDecode = (e: unknown) => e instanceof NodeError && e.code === 'DECODE_ERROR';
    assert.throws(() => decodeTx(enc.subarray(0, 144)), isDecode);
    assert.throws(() => decodeTx(Uint8Array.from([...enc, 0])), isDecode);
    assert.deepEqual(decodeTx(enc), signed());
  });
});

describe('checkTxAgainstState', () => {
  const funded = (nonce: bigint, balance = 10n * COIN) => view([[alice.addressHash, { balance, nonce }]]);

  test('matching nonce and enough balance passes', () => {
    assert.equal(checkTxAgainstState(signed({ nonce: 3n }), funded(3n)).ok, true);
  });

  test('tx-nonce-too-low: a replay of an already applied tx', () => {
    expectReject(checkTxAgainstState(signed({ nonce: 2n }), funded(3n)), 'tx-nonce-too-low');
    expectReject(checkTxAgainstState(signed({ nonce: 0n }), funded(1n)), 'tx-nonce-too-low');
  });

  test('tx-nonce-too-high: a gap', () => {
    expectReject(checkTxAgainstState(signed({ nonce: 4n }), funded(3n)), 'tx-nonce-too-high');
    expectReject(checkTxAgainstState(signed({ nonce: 1n }), view([])), 'tx-nonce-too-high');
  });

  test('insufficient-balance: amount + fee one unit above the balance', () => {
    const tx = signed({ amount: 5n * COIN, fee: 1000n });
    expectReject(checkTxAgainstState(tx, funded(0n, 5n * COIN + 999n)), 'insufficient-balance');
    assert.equal(checkTxAgainstState(tx, funded(0n, 5n * COIN + 1000n)).ok, true, 'exactly enough is enough');
    expectReject(checkTxAgainstState(tx, view([])), 'insufficient-balance', 'consensus');
  });

  test('the sender is the hash160 of `from`, not anything the tx claims', () => {
    assert.deepEqual(txSender(signed()), alice.addressHash);
    const v = view([[bob.addressHash, { balance: 10n * COIN, nonce: 0n }]]);
    expectReject(checkTxAgainstState(signed(), v), 'insufficient-balance');
  });
});

describe('applyTx', () => {
  test('debits amount + fee and bumps the nonce; credits the recipient; leaves the base untouched', () => {
    const base = view([
      [alice.addressHash, { balance: 10n * COIN, nonce: 0n }],
      [bob.addressHash, { balance: 7n, nonce: 5n }],
    ]);
    const o = new StateOverlay(base);
    const tx = signed({ amount: 2n * COIN, fee: 1500n });
    assert.equal(applyTx(tx, o).ok, true);
    assert.deepEqual(o.account(alice.addressHash), { balance: 8n * COIN - 1500n, nonce: 1n });
    assert.deepEqual(o.account(bob.addressHash), { balance: 2n * COIN + 7n, nonce: 5n }, 'the recipient nonce is unchanged');
    assert.deepEqual(base.account(alice.addressHash), { balance: 10n * COIN, nonce: 0n });
    assert.deepEqual(
      o.priorValues(),
      new Map([
        [toHex(alice.addressHash), { balance: 10n * COIN, nonce: 0n }],
        [toHex(bob.addressHash), { balance: 7n, nonce: 5n }],
      ]),
    );
    assert.equal(o.changed().size, 2);
    // the same tx again is now a replay
    expectReject(applyTx(tx, o), 'tx-nonce-too-low');
    // and the next nonce works
    assert.equal(applyTx(signed({ amount: COIN, nonce: 1n }), o).ok, true);
    assert.deepEqual(o.account(alice.addressHash), { balance: 7n * COIN - 2500n, nonce: 2n });
  });

  test('a new recipient account is created', () => {
    const o = new StateOverlay(view([[alice.addressHash, { balance: COIN, nonce: 0n }]]));
    assert.equal(applyTx(signed({ to: carol.addressHash, amount: 1n, fee: 0n }), o).ok, true);
    assert.deepEqual(o.account(carol.addressHash), { balance: 1n, nonce: 0n });
    assert.deepEqual(o.priorValues().get(toHex(carol.addressHash)), { balance: 0n, nonce: 0n });
  });

  test('a transfer to oneself costs only the fee', () => {
    const o = new StateOverlay(view([[alice.addressHash, { balance: COIN, nonce: 0n }]]));
    assert.equal(applyTx(signed({ to: alice.addressHash, amount: COIN - 1000n, fee: 1000n }), o).ok, true);
    assert.deepEqual(o.account(alice.addressHash), { balance: COIN - 1000n, nonce: 1n });
  });

  test('a failing tx leaves the overlay unchanged', () => {
    const o = new StateOverlay(view([[alice.addressHash, { balance: COIN, nonce: 0n }]]));
    expectReject(applyTx(signed({ amount: COIN }), o), 'insufficient-balance');
    expectReject(applyTx(signed({ nonce: 1n }), o), 'tx-nonce-too-high');
    assert.equal(o.changed().size, 0);
  });

  test('bad-tx-balance-overflow: a credit that would take the recipient above MAX_MONEY', () => {
    const o = new StateOverlay(
      view([
        [alice.addressHash, { balance: COIN, nonce: 0n }],
        [bob.addressHash, { balance: MAX_MONEY, nonce: 0n }],
      ]),
    );
    expectReject(applyTx(signed({ amount: 1n }), o), 'bad-tx-balance-overflow');
  });
});
