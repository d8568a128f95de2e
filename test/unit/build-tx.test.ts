/**
 * wallet/build-tx.ts: a locally signed transfer decodes, verifies with the reference verifier and
 * carries exactly what was asked; coin amounts parse exactly or are refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isNodeError } from '../../node/core/errors.js';
import { fromHex, toHex } from '../../node/core/bytes.js';
import { devAccount } from '../../node/core/dev-accounts.js';
import { verifyReference } from '../../node/core/keys.js';
import { TX_SIZE, decodeTx, txIdHex, txSender, txSigningHash } from '../../node/core/tx.js';
import { DEFAULT_FEE, buildTransfer, parseTransferAmounts } from '../../wallet/build-tx.js';
import { isWalletError } from '../../wallet/errors.js';

describe('buildTransfer', () => {
  const alice = devAccount(0);
  const bob = devAccount(1);

  it('signs a transfer that verifies and decodes to the same fields', () => {
    const s = buildTransfer({ chainId: 1337, privateKey: alice.privateKey, to: bob.address, amount: 150_000_000n, fee: 1000n, nonce: 7n });
    const bytes = fromHex(s.hex);
    assert.equal(bytes.length, TX_SIZE);
    const tx = decodeTx(bytes);
    assert.equal(tx.chainId, 1337);
    assert.deepEqual(tx.from, alice.publicKey);
    assert.deepEqual(txSender(tx), alice.addressHash);
    assert.deepEqual(tx.to, bob.addressHash);
    assert.equal(tx.amount, 150_000_000n);
    assert.equal(tx.fee, 1000n);
    assert.equal(tx.nonce, 7n);
    assert.equal(txIdHex(tx), s.id);
    assert.ok(verifyReference(txSigningHash(tx), tx.sig, tx.from));
  });

  it('commits to the chain id: the signature does not verify for another chain', () => {
    const s = buildTransfer({ chainId: 1, privateKey: alice.privateKey, to: bob.address, amount: 1n, fee: 0n, nonce: 0n });
    const other = { ...s.tx, chainId: 2 };
    assert.equal(verifyReference(txSigningHash(other), s.tx.sig, s.tx.from), false);
  });

  it('refuses a recipient address with a bad checksum', () => {
    const a = bob.address;
    const i = a.length - 3;
    const flipped = a.slice(0, i) + (a[i] === 'q' ? 'p' : 'q') + a.slice(i + 1);
    assert.throws(
      () => buildTransfer({ chainId: 1, privateKey: alice.privateKey, to: flipped, amount: 1n, fee: 0n, nonce: 0n }),
      (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT') && /bad checksum/.test(e.message),
    );
  });

  it('is deterministic (RFC 6979), so the same transfer has the same id', () => {
    const p = { chainId: 9, privateKey: alice.privateKey, to: bob.address, amount: 5n, fee: 1n, nonce: 3n };
    assert.equal(buildTransfer(p).hex, buildTransfer(p).hex);
    assert.equal(toHex(buildTransfer(p).tx.sig).length, 128);
  });
});

describe('parseTransferAmounts', () => {
  it('parses coins exactly and defaults the fee to 0.00001', () => {
    assert.deepEqual(parseTransferAmounts('1.5'), { amount: 150_000_000n, fee: DEFAULT_FEE });
    assert.equal(DEFAULT_FEE, 1000n);
    assert.deepEqual(parseTransferAmounts('0.00000001', '0.001'), { amount: 1n, fee: 100_000n });
    assert.deepEqual(parseTransferAmounts('21000000', '0'), { amount: 2_100_000_000_000_000n, fee: 0n });
  });

  it('refuses too many decimals, negatives, junk and zero', () => {
    const invalid = (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT') || isWalletError(e, 'INVALID_INPUT');
    assert.throws(() => parseTransferAmounts('1.123456789'), (e: unknown) => invalid(e) && /at most 8 decimal places/.test((e as Error).message));
    assert.throws(() => parseTransferAmounts('-1'), (e: unknown) => invalid(e) && /negative/.test((e as Error).message));
    assert.throws(() => parseTransferAmounts('1', '-0.1'), invalid);
    assert.throws(() => parseTransferAmounts('1e3'), invalid);
    assert.throws(() => parseTransferAmounts('0'), (e: unknown) => isWalletError(e, 'INVALID_INPUT'));
    assert.throws(() => parseTransferAmounts('21000000', '0.00001'), (e: unknown) => isWalletError(e, 'INVALID_INPUT'));
  });
});
