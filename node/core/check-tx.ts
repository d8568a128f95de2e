/**
 * Transaction rules. Each returns a Verdict with a stable reason. Pure: signature checks go through
 * an injected SignatureVerifier so a Node-only fast path can be supplied from outside the core.
 */
import { Verdict, ok, reject } from './verdict.js';
import { Tx, txSender, txSigningHash } from './tx.js';
import { SignatureVerifier, isLowS, isValidScalarPair } from './keys.js';
import { MAX_MONEY, formatCoins, isMoneyRange } from './amount.js';
import { StateOverlay, StateView } from './state-view.js';

export interface TxRuleParams {
  chainId: number;
  minFee: bigint;
}

/** Context-free rules: chain id (replay protection), amount and fee ranges. */
export function checkTxSanity(tx: Tx, params: Pick<TxRuleParams, 'chainId'>): Verdict {
  if (tx.chainId !== params.chainId) return reject('consensus', 'bad-tx-chain-id', `expected ${params.chainId}, got ${tx.chainId}`);
  if (tx.amount === 0n) return reject('consensus', 'bad-tx-amount-zero');
  if (!isMoneyRange(tx.amount)) return reject('consensus', 'bad-tx-amount-range');
  if (!isMoneyRange(tx.fee)) return reject('consensus', 'bad-tx-fee-range');
  if (tx.amount + tx.fee > MAX_MONEY) return reject('consensus', 'bad-tx-total-range');
  return ok();
}

/** The signature's shape: r and s in [1, n-1], then low-s (a high-s twin would give the same transfer a second id). */
export function checkSignatureShape(sig: Uint8Array): Verdict {
  if (!isValidScalarPair(sig)) return reject('consensus', 'bad-tx-signature', 'r or s out of range');
  if (!isLowS(sig)) return reject('consensus', 'bad-tx-high-s');
  return ok();
}

/** The shape first, then the verifier. */
export function checkTxSignature(tx: Tx, verifier: SignatureVerifier, signingHash = txSigningHash(tx)): Verdict {
  const shape = checkSignatureShape(tx.sig);
  if (!shape.ok) return shape;
  if (!verifier.verify(signingHash, tx.sig, tx.from)) return reject('consensus', 'bad-tx-signature');
  return ok();
}

/** Policy, not consensus: a block may carry a cheaper transaction, the mempool will not. */
export function checkTxFee(tx: Tx, params: Pick<TxRuleParams, 'minFee'>): Verdict {
  if (tx.fee < params.minFee) return reject('policy', 'tx-fee-too-low', `minimum fee ${formatCoins(params.minFee)}, got ${formatCoins(tx.fee)}`);
  return ok();
}

/** Nonce and balance against a view, without changing it. */
export function checkTxAgainstState(tx: Tx, view: StateView, sender = txSender(tx)): Verdict {
  const acct = view.account(sender);
  if (tx.nonce < acct.nonce) return reject('consensus', 'tx-nonce-too-low', `account nonce ${acct.nonce}, got ${tx.nonce}`);
  if (tx.nonce > acct.nonce) return reject('consensus', 'tx-nonce-too-high', `account nonce ${acct.nonce}, got ${tx.nonce}`);
  if (acct.balance < tx.amount + tx.fee)
    return reject('consensus', 'insufficient-balance', `balance ${formatCoins(acct.balance)}, needs ${formatCoins(tx.amount + tx.fee)}`);
  return ok();
}

/** Applies a transfer to the overlay: sender pays amount + fee and bumps its nonce, recipient is credited. */
export function applyTx(tx: Tx, view: StateOverlay, sender = txSender(tx)): Verdict {
  const v = checkTxAgainstState(tx, view, sender);
  if (!v.ok) return v;
  const from = view.account(sender);
  view.set(sender, { balance: from.balance - tx.amount - tx.fee, nonce: from.nonce + 1n });
  const to = view.account(tx.to);
  const credited = to.balance + tx.amount;
  if (credited > MAX_MONEY) return reject('consensus', 'bad-tx-balance-overflow');
  view.set(tx.to, { balance: credited, nonce: to.nonce });
  return ok();
}
