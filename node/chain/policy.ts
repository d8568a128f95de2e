/**
 * Mempool policy: the limits and orderings this node applies to unconfirmed transactions. These are
 * not consensus rules (a block may break every one of them and stay valid); they bound what a peer
 * can make this node store and decide which transactions a miner here prefers. Pure: imports only
 * core verdicts, no I/O, no clock.
 */
import { formatCoins } from '../core/amount.js';
import { Verdict, ok, reject } from '../core/verdict.js';

/**
 * How far above its account nonce a sender's transaction may be. The pool holds no gaps, so this is
 * also the most transactions one sender can have pending. Bounded so a single funded key cannot fill
 * the pool with transactions that no block can include for a long time (each needs all its
 * predecessors mined first): 64 pending is ~9 KB per sender, several blocks' worth of one wallet's
 * activity, and filling the default pool takes at least 782 separately funded senders. It also
 * caps the per-sender work of revalidation and eviction, which walk a sender's chain.
 */
export const MAX_NONCE_AHEAD = 64;

/** Default bound on the number of pending transactions. */
export const DEFAULT_MAX_COUNT = 50_000;

/** Default bound on the encoded size of pending transactions: 16 MiB. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export interface FeeRated {
  fee: bigint;
  /** Encoded size in bytes, > 0. */
  size: number;
}

/**
 * Orders by fee per byte, best first: negative when `a` pays the higher rate, 0 on a tie.
 * Cross-multiplied in bigint, so it is exact where a float division would round.
 */
export function compareFeeRate(a: FeeRated, b: FeeRated): number {
  const left = a.fee * BigInt(b.size);
  const right = b.fee * BigInt(a.size);
  return left > right ? -1 : left < right ? 1 : 0;
}

/**
 * Replace-by-fee for the same sender and nonce (BIP-125 rule 4): the replacement must pay at least the
 * minimum relay fee more than what it replaces (at least 1 base unit when that minimum is 0). With +1 base
 * unit enough, anyone could make the whole network relay the same slot hundreds of times for almost
 * nothing; this way every replacement pays for its own relay, like a new transaction.
 */
export function isReplacementAllowed(existing: { fee: bigint }, replacement: { fee: bigint }, minRelayFee: bigint): boolean {
  const step = minRelayFee > 0n ? minRelayFee : 1n;
  return replacement.fee >= existing.fee + step;
}

/** What an admissible nonce does to the sender's pending chain. */
export type NonceSlot = 'append' | 'replace';

/**
 * Where a nonce fits a sender's pending chain.
 * @param accountNonce the sender's nonce at the tip
 * @param nextNonce    accountNonce + the number of pending transactions continuing it without a gap
 * Below the account nonce is a consensus failure (can never be mined); a gap or a nonce beyond
 * `maxAhead` is policy (it might become valid later, this node just will not hold it).
 */
export function checkPendingNonce(
  nonce: bigint,
  accountNonce: bigint,
  nextNonce: bigint,
  maxAhead: number = MAX_NONCE_AHEAD,
): Verdict<NonceSlot> {
  if (nonce < accountNonce) return reject('consensus', 'tx-nonce-too-low', `account nonce ${accountNonce}, got ${nonce}`);
  if (nonce - accountNonce >= BigInt(maxAhead))
    return reject('policy', 'tx-nonce-too-high', `more than ${maxAhead} above account nonce ${accountNonce}, got ${nonce}`);
  if (nonce > nextNonce) return reject('policy', 'tx-nonce-too-high', `next pending nonce ${nextNonce}, got ${nonce}`);
  return ok(nonce === nextNonce ? 'append' : 'replace');
}

/** A pending transaction as the chain rules below see it. */
export interface PendingTx extends FeeRated {
  nonce: bigint;
  /** amount + fee: what the sender's balance must cover. */
  cost: bigint;
}

/** The part of a sender's nonce-sorted chain that continues its account nonce: [start, start + length). */
export interface Run {
  start: number;
  length: number;
}

/**
 * Skips entries below the account nonce (mined or stale, not yet removed), then measures the gap-free run.
 * `chain` holds strictly increasing nonces (as a sender's pending chain does), so entry k continues the
 * run exactly when its nonce is accountNonce + k, and that holds for a prefix: found by bisection (a
 * pending chain is up to MAX_NONCE_AHEAD long and this runs once per admission).
 */
export function contiguousRun(chain: readonly PendingTx[], accountNonce: bigint): Run {
  let start = 0;
  while (start < chain.length && chain[start]!.nonce < accountNonce) start++;
  // Invariant: entries [start, start + lo) continue the run; entry start + hi does not (or is past the end).
  let lo = 0;
  let hi = chain.length - start;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (chain[start + mid - 1]!.nonce === accountNonce + BigInt(mid - 1)) lo = mid;
    else hi = mid - 1;
  }
  return { start, length: lo };
}

/**
 * Can the sender pay a transaction costing `cost` that takes index `at` of its chain (`run` as from
 * contiguousRun)? First by the account alone (if not, it cannot be mined as it stands: consensus), then
 * after the earlier pending spends (policy). A replacement must also keep every later pending one
 * fundable: dropping them instead would let a sender clear its own chain for the price of one fee bump.
 */
export function checkFunding(chain: readonly PendingTx[], run: Run, at: number, cost: bigint, balance: bigint): Verdict {
  if (balance < cost) return reject('consensus', 'insufficient-balance', `balance ${formatCoins(balance)}, needs ${formatCoins(cost)}`);
  let total = cost;
  for (let i = run.start; i < at; i++) total += chain[i]!.cost;
  if (balance < total) return reject('policy', 'insufficient-balance', `balance ${formatCoins(balance)}, with earlier pending spends needs ${formatCoins(total)}`);
  for (let i = at + 1; i < run.start + run.length; i++) total += chain[i]!.cost;
  if (balance < total) return reject('policy', 'insufficient-balance', 'replacement leaves later pending transactions unfundable');
  return ok();
}

/**
 * The longest prefix of a nonce-sorted chain that continues the account nonce, stays within
 * `maxAhead`, and the balance pays in order; entries below the account nonce are skipped. Counting
 * amount + fee per transaction is conservative for a sender paying itself, never permissive.
 */
export function fundableChain<T extends PendingTx>(
  sorted: readonly T[],
  account: { nonce: bigint; balance: bigint },
  maxAhead: number = MAX_NONCE_AHEAD,
): T[] {
  const keep: T[] = [];
  let balance = account.balance;
  for (const e of sorted) {
    if (e.nonce < account.nonce) continue;
    if (e.nonce !== account.nonce + BigInt(keep.length) || keep.length >= maxAhead || e.cost > balance) break;
    keep.push(e);
    balance -= e.cost;
  }
  return keep;
}
