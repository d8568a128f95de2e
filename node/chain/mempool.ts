/**
 * The mempool: unconfirmed transactions, kept so that each sender's pending transactions continue its
 * account nonce at the tip without a gap and are fundable in that order. Bounded by count and bytes;
 * when full, the lowest fee-rate transaction at the tail of some sender's chain makes room (a tail, so
 * no chain is left with a gap). Every mutation runs through one promise queue, so concurrent calls
 * never race on the same sender between reading its account and changing its chain.
 *
 * A transaction ahead of its sender's next nonce (a gap) from a peer waits in a bounded NonceWaitlist
 * and is admitted when the gap fills, so relay order never loses a transaction.
 *
 * Signatures: with an `asyncVerifier` (the node's batching worker pool) the signature is checked before
 * the serialized state part, so many admissions verify together off the main thread; the state checks
 * still run one at a time. This verifies a transaction that then fails on its nonce or balance, a cost
 * bounded by the peers' relay budgets; without it (unit tests) the signature is checked last, inline.
 *
 * Sees the chain only through MempoolChainView (no import of chain.ts: the chain signals tip moves by
 * calling onTipChanged). No storage, no network; the waiting area's clock is injected.
 *
 * Its pieces: entries and their mining order (mempool-entry.ts), eviction (mempool-evict.ts), block
 * template selection (mempool-select.ts), tip moves (mempool-tip.ts), the tip account cache
 * (mempool-accounts.ts), the public types (mempool-types.ts).
 */
import { formatCoins } from '../core/amount.js';
import { EventEmitter } from 'node:events';
import { toHex } from '../core/bytes.js';
import { checkSignatureShape, checkTxFee, checkTxSanity, checkTxSignature } from '../core/check-tx.js';
import { NonceWaitlist } from './nonce-waitlist.js';
import { NodeError } from '../core/errors.js';
import { SignatureVerifier } from '../core/keys.js';
import { Account, EMPTY_ACCOUNT, addressFromKey } from '../core/state-view.js';
import { TX_SIZE, Tx } from '../core/tx.js';
import { TxFacts, txFactsOf } from './tx-facts.js';
import { Verdict, ok, reject } from '../core/verdict.js';
import { SigCache } from '../verify/sig-cache.js';
import { ACCOUNT_CACHE_MAX, MempoolAccounts } from './mempool-accounts.js';
import { MempoolEntry, PoolEntry as Entry, entryOf } from './mempool-entry.js';
import { pickVictims } from './mempool-evict.js';
import { selectTxs } from './mempool-select.js';
import { mergeSenderChain, planTipMove } from './mempool-tip.js';
import { AsyncSignatureVerifier, MempoolChainView, MempoolEvents, MempoolOptions, RemovalReason, TipChange } from './mempool-types.js';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_COUNT,
  MAX_NONCE_AHEAD,
  checkFunding,
  checkPendingNonce,
  contiguousRun,
  isReplacementAllowed,
} from './policy.js';

export type { MempoolEntry } from './mempool-entry.js';

export type { AsyncSignatureVerifier, MempoolChainView, MempoolEvents, MempoolOptions, RemovalReason, TipChange } from './mempool-types.js';

export class Mempool extends EventEmitter<MempoolEvents> {
  private readonly chain: MempoolChainView;
  private readonly verifier: SignatureVerifier;
  private readonly sigCache: SigCache;
  private readonly maxCount: number;
  private readonly maxBytes: number;
  private readonly maxNonceAhead: number;
  private readonly asyncVerifier: AsyncSignatureVerifier | undefined;
  /** Transactions from peers ahead of their sender's next nonce, admitted when the gap fills. */
  readonly waitlist: NonceWaitlist<Entry>;
  private readonly byId = new Map<string, Entry>();
  /** Per sender hex, its pending entries sorted by nonce. */
  private readonly bySender = new Map<string, Entry[]>();
  private totalBytes = 0;
  private nextSeq = 0;
  /** Tip accounts of recent senders, valid for one tip (MempoolAccounts). */
  private readonly accounts: MempoolAccounts;
  private queue: Promise<void> = Promise.resolve();

  /** @throws NodeError INVALID_ARGUMENT on a non-positive limit or maxBytes below one transaction. */
  constructor(opts: MempoolOptions) {
    super();
    this.chain = opts.chain;
    this.verifier = opts.verifier;
    this.sigCache = opts.sigCache;
    this.maxCount = positiveInt(opts.maxCount ?? DEFAULT_MAX_COUNT, 'maxCount', 1);
    this.maxBytes = positiveInt(opts.maxBytes ?? DEFAULT_MAX_BYTES, 'maxBytes', TX_SIZE);
    this.maxNonceAhead = positiveInt(opts.maxNonceAhead ?? MAX_NONCE_AHEAD, 'maxNonceAhead', 1);
    this.asyncVerifier = opts.asyncVerifier;
    const accountCacheMax = positiveInt(opts.accountCacheMax ?? ACCOUNT_CACHE_MAX, 'accountCacheMax', 1);
    this.accounts = new MempoolAccounts((a) => this.chain.getAccounts(a), opts.tipId, accountCacheMax);
    const w = opts.waitlist ?? {};
    this.waitlist = new NonceWaitlist<Entry>({
      clock: w.clock ?? Date.now,
      ...(w.maxCount !== undefined ? { maxCount: positiveInt(w.maxCount, 'waitlist.maxCount', 1) } : {}),
      ...(w.maxPerSource !== undefined ? { maxPerSource: positiveInt(w.maxPerSource, 'waitlist.maxPerSource', 1) } : {}),
      ...(w.expiryMs !== undefined ? { expiryMs: positiveInt(w.expiryMs, 'waitlist.expiryMs', 1) } : {}),
    });
  }

  /** True while the transaction waits for its sender's nonce gap to fill (not in the pool proper). */
  isWaiting(idHex: string): boolean {
    return this.waitlist.has(idHex);
  }

  /** For a waiting transaction: its sender and the nonces missing before it, as seen when it was held. */
  gapOf(idHex: string): { sender: Uint8Array; fromNonce: bigint; count: number } | undefined {
    const e = this.waitlist.get(idHex)?.entry;
    if (!e || e.gapFrom === undefined || e.nonce <= e.gapFrom) return undefined;
    return { sender: e.sender, fromNonce: e.gapFrom, count: Number(e.nonce - e.gapFrom) };
  }

  get size(): number {
    return this.byId.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  has(idHex: string): boolean {
    return this.byId.has(idHex);
  }

  get(idHex: string): Tx | undefined {
    return this.byId.get(idHex)?.tx;
  }

  entries(): MempoolEntry[] {
    return [...this.byId.values()].map(({ id, idHex, tx, sender }) => ({ id, idHex, tx, sender }));
  }

  /** The sender's pending transactions in nonce order. */
  txsOf(address: Uint8Array): Tx[] {
    return (this.bySender.get(toHex(address)) ?? []).map((e) => e.tx);
  }

  /** The nonce a wallet should use next: the account nonce plus the pending transactions continuing it. */
  pendingNonce(address: Uint8Array, accountNonce: bigint): bigint {
    return accountNonce + BigInt(contiguousRun(this.bySender.get(toHex(address)) ?? [], accountNonce).length);
  }

  /**
   * Validates `tx` against the tip state plus the sender's pending transactions and admits it, then
   * admits whatever waited for it (the sender's next nonces). Stateless checks first; the signature
   * either before the state checks on the async verifier or after them inline; on success the id goes
   * into the sig cache so the block that includes it skips verification. Emits 'tx' (also for each
   * promoted waiting transaction), and 'removed' for what it replaced or evicted.
   * `source` (a peer label) lets a gapped transaction wait for its predecessors: it is then refused
   * as `tx-nonce-too-high` (policy) but held, see isWaiting. Without a source (RPC) a gap is refused.
   * `wire`: the bytes `tx` was decoded from, when at hand (RPC): its id and signing hash are then
   * hashed from them rather than from a fresh encoding.
   * @throws whatever the chain view throws (storage errors), never for invalid input.
   */
  acceptTx(tx: Tx, source?: string, wire?: Uint8Array): Promise<Verdict<{ id: Uint8Array; idHex: string }>> {
    let r: Verdict<{ id: Uint8Array; idHex: string }> | Promise<Verdict<{ id: Uint8Array; idHex: string }>>;
    try {
      r = this.acceptTxChecked(tx, source, wire);
    } catch (e) {
      return Promise.reject(e);
    }
    // 'rejected' is emitted once the caller's promise settles, as before, whichever path refused.
    return (r instanceof Promise ? r : Promise.resolve(r)).then(this.noteVerdict);
  }

  private readonly noteVerdict = <V extends Verdict<unknown>>(v: V): V => {
    if (!v.ok) this.emit('rejected', v.reason);
    return v;
  };

  private acceptTxChecked(
    tx: Tx,
    source: string | undefined,
    wire: Uint8Array | undefined,
  ): Verdict<{ id: Uint8Array; idHex: string }> | Promise<Verdict<{ id: Uint8Array; idHex: string }>> {
    const facts = txFactsOf(tx, wire);
    const e = this.makeEntry(tx, facts);
    if (this.byId.has(e.idHex) || this.waitlist.has(e.idHex)) return reject('duplicate', 'txn-already-known');
    const sanity = checkTxSanity(tx, this.chain.params);
    if (!sanity.ok) return sanity;
    const fee = checkTxFee(tx, this.chain.params);
    if (!fee.ok) return fee;
    let signatureOk: Promise<boolean> | undefined;
    if (this.asyncVerifier && !this.sigCache.has(e.idHex)) {
      // A replayed old transaction is refused before paying for its signature when the tip account is at hand.
      const known = this.accounts.peek(e.senderHex);
      if (known && tx.nonce < known.nonce) return reject('consensus', 'tx-nonce-too-low', `account nonce ${known.nonce}, got ${tx.nonce}`);
      // The shape (scalar ranges, low-s) here; the curve math on the async verifier.
      const shape = checkSignatureShape(tx.sig);
      if (!shape.ok) return shape;
      signatureOk = this.asyncVerifier.verify(facts.signingHash, tx.sig, tx.from);
    }
    // Queued now, in arrival order, while the signature is checked off the main thread: many admissions
    // verify together, yet nonce k submitted before k+1 is still admitted first (no false gap).
    return this.serialize(async () => {
      if (signatureOk) {
        if (!(await signatureOk)) return reject('consensus', 'bad-tx-signature');
        this.sigCache.add(e.idHex);
      }
      const r = this.admit(e, source, undefined, facts.signingHash);
      const v = r instanceof Promise ? await r : r;
      if (v.ok && this.waitlist.lowest(e.senderHex)) await this.promote(e.senderHex);
      return v;
    });
  }

  /**
   * Picks transactions for a block template: by fee rate, highest first, but each sender's in nonce
   * order, each applied to an overlay of the tip state with core applyTx, so the result is exactly
   * what connectBlockState accepts at the tip. `maxBytes` budgets the transactions' encoded size only
   * (the caller subtracts the header and body overhead from the block limit).
   * @throws (rejects) NodeError INVALID_ARGUMENT unless both limits are non-negative integers.
   */
  selectForBlock(maxTxs: number, maxBytes: number): Promise<Tx[]> {
    if (!Number.isSafeInteger(maxTxs) || maxTxs < 0 || !Number.isSafeInteger(maxBytes) || maxBytes < 0)
      return Promise.reject(new NodeError('INVALID_ARGUMENT', `selectForBlock expects non-negative integers, got ${maxTxs}, ${maxBytes}`));
    return this.serialize(() => this.select(maxTxs, maxBytes));
  }

  /**
   * Follows the chain to a new tip (a connect or a reorg): removes transactions the connected blocks
   * include, re-admits those of disconnected blocks that are still valid, and revalidates in nonce
   * order every sender whose account the move touched. Accounts no block touched are unchanged at the
   * tip, so their chains are still valid and are not re-read.
   */
  onTipChanged(ev: TipChange): Promise<void> {
    return this.serialize(() => this.followTip(ev));
  }

  private serialize<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * The state part of admission, run serialized. `source` set: a gap within the nonce window is held
   * in the waitlist (signature and the account's own funding checked first, so junk never waits).
   */
  private admit(
    e: Entry,
    source: string | undefined,
    addedAt?: number,
    signingHash?: Uint8Array,
  ): Verdict<{ id: Uint8Array; idHex: string }> | Promise<Verdict<{ id: Uint8Array; idHex: string }>> {
    if (this.byId.has(e.idHex)) return reject('duplicate', 'txn-already-known');
    // The tip account from the cache when it holds it (no promise), else read.
    const cached = this.accounts.peek(e.senderHex);
    if (cached) return this.admitWith(e, cached, source, addedAt, signingHash);
    return this.accounts.get(e.sender, e.senderHex).then((acct) => this.admitWith(e, acct, source, addedAt, signingHash));
  }

  /** admit, once the sender's tip account is at hand. */
  private admitWith(e: Entry, acct: Account, source: string | undefined, addedAt: number | undefined, signingHash: Uint8Array | undefined): Verdict<{ id: Uint8Array; idHex: string }> {
    const tx = e.tx;
    const pending = this.bySender.get(e.senderHex) ?? [];
    const run = contiguousRun(pending, acct.nonce);
    const next = acct.nonce + BigInt(run.length);
    const slot = checkPendingNonce(tx.nonce, acct.nonce, next, this.maxNonceAhead);
    if (!slot.ok) {
      if (source === undefined || tx.nonce <= next || tx.nonce - acct.nonce >= BigInt(this.maxNonceAhead)) return slot;
      if (acct.balance < e.cost) return reject('consensus', 'insufficient-balance', `balance ${acct.balance}, needs ${e.cost}`);
      if (!this.sigCache.has(e.idHex)) {
        const sig = checkTxSignature(tx, this.verifier, signingHash);
        if (!sig.ok) return sig;
        this.sigCache.add(e.idHex);
      }
      e.gapFrom = next;
      this.waitlist.add(e, source, addedAt);
      return reject('policy', 'tx-nonce-too-high', `next pending nonce ${next}, got ${tx.nonce}; held until the gap fills`);
    }
    const at = run.start + Number(tx.nonce - acct.nonce);
    const replaced = slot.value === 'replace' ? pending[at]! : undefined;
    if (replaced && !isReplacementAllowed(replaced.tx, tx, this.chain.params.minFee))
      return reject('policy', 'txn-replacement-fee-too-low', `pending fee ${formatCoins(replaced.tx.fee)}, need >= ${formatCoins(replaced.tx.fee + (this.chain.params.minFee > 0n ? this.chain.params.minFee : 1n))}, got ${formatCoins(tx.fee)}`);
    const funded = checkFunding(pending, run, at, e.cost, acct.balance);
    if (!funded.ok) return funded;
    const victims = pickVictims(this.bySender, this.maxCount, this.maxBytes, this.byId.size + (replaced ? 0 : 1), this.totalBytes + e.size - (replaced?.size ?? 0), e);
    if (!victims) return reject('policy', 'mempool-full', 'fee rate does not beat the lowest evictable transaction');
    if (!this.sigCache.has(e.idHex)) {
      const sig = checkTxSignature(tx, this.verifier, signingHash);
      if (!sig.ok) return sig;
    }

    for (const v of victims) this.removeEntry(v);
    if (replaced) {
      pending[at] = e;
      this.byId.delete(replaced.idHex);
      this.totalBytes -= replaced.size;
    } else {
      pending.splice(at, 0, e);
      this.bySender.set(e.senderHex, pending);
    }
    this.byId.set(e.idHex, e);
    this.totalBytes += e.size;
    this.sigCache.add(e.idHex);
    if (victims.length > 0) this.emit('removed', victims.map((v) => v.idHex), 'evicted');
    if (replaced) this.emit('removed', [replaced.idHex], 'replaced');
    this.emit('tx', tx, e.idHex, e.id);
    return ok({ id: e.id, idHex: e.idHex });
  }

  /**
   * Admits the sender's waiting transactions that now continue its chain, lowest nonce first, until
   * one still has a gap (it stays, keeping its age) or none is left. Bounded by the nonce window.
   */
  private async promote(senderHex: string): Promise<void> {
    for (let i = 0; i <= this.maxNonceAhead; i++) {
      const w = this.waitlist.lowest(senderHex);
      if (!w) return;
      this.waitlist.remove(w.entry.idHex);
      const v = await this.admit(w.entry, w.source, w.addedAt);
      if (!v.ok && this.waitlist.has(w.entry.idHex)) return;
    }
  }

  private async followTip({ connected, disconnected }: TipChange): Promise<void> {
    // Every account whose state the move changed, what it mined, and what it gives back to re-admit.
    const { touched, mined, readmit } = planTipMove(connected, disconnected, (tx) => this.makeEntry(tx), (e) => !this.byId.has(e.idHex) && this.isAdmissible(e));
    const senders = [...touched].filter((s) => this.bySender.has(s) || readmit.has(s));
    const accounts = senders.length > 0 ? await this.chain.getAccounts(senders.map(addressFromKey)) : new Map<string, Account>();

    const removed: Record<RemovalReason, string[]> = { mined: [], stale: [], replaced: [], evicted: [] };
    for (const id of mined) {
      const e = this.byId.get(id);
      if (e) {
        this.removeEntry(e);
        removed.mined.push(id);
      }
    }
    for (const s of senders) {
      const old = this.bySender.get(s) ?? [];
      const keep = mergeSenderChain(old, readmit.get(s) ?? [], accounts.get(s) ?? EMPTY_ACCOUNT, this.maxNonceAhead);
      const kept = new Set(keep);
      for (const e of old) {
        if (kept.has(e)) continue;
        this.byId.delete(e.idHex);
        this.totalBytes -= e.size;
        removed.stale.push(e.idHex);
      }
      for (const e of keep) {
        if (this.byId.has(e.idHex)) continue;
        this.byId.set(e.idHex, e);
        this.totalBytes += e.size;
        this.sigCache.add(e.idHex);
      }
      if (keep.length > 0) this.bySender.set(s, keep);
      else this.bySender.delete(s);
    }
    // Re-admissions can push the pool over its bounds; nothing here must beat anything, just shed the cheapest.
    for (const v of pickVictims(this.bySender, this.maxCount, this.maxBytes, this.byId.size, this.totalBytes) ?? []) {
      this.removeEntry(v);
      removed.evicted.push(v.idHex);
    }
    for (const reason of ['mined', 'stale', 'evicted'] as const)
      if (removed[reason].length > 0) this.emit('removed', removed[reason], reason);
    // A block may have filled a gap (or made a waiting nonce stale: admit then drops it).
    this.waitlist.expire();
    for (const s of [...this.waitlist.senders()]) if (touched.has(s)) await this.promote(s);
  }

  private async select(maxTxs: number, maxBytes: number): Promise<Tx[]> {
    if (this.byId.size === 0 || maxTxs === 0) return [];
    return selectTxs(this.bySender, (a) => this.chain.getAccounts(a), maxTxs, maxBytes);
  }

  private isAdmissible(e: Entry): boolean {
    if (!checkTxSanity(e.tx, this.chain.params).ok || !checkTxFee(e.tx, this.chain.params).ok) return false;
    return this.sigCache.has(e.idHex) || checkTxSignature(e.tx, this.verifier).ok;
  }

  private removeEntry(e: Entry): void {
    this.byId.delete(e.idHex);
    this.totalBytes -= e.size;
    const chain = this.bySender.get(e.senderHex);
    if (!chain) return;
    const i = chain.lastIndexOf(e);
    if (i >= 0) chain.splice(i, 1);
    if (chain.length === 0) this.bySender.delete(e.senderHex);
  }

  private makeEntry(tx: Tx, facts: TxFacts = txFactsOf(tx)): Entry {
    return entryOf(tx, facts, this.nextSeq++);
  }
}

function positiveInt(v: number, what: string, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new NodeError('INVALID_ARGUMENT', `"${what}" expected an integer >= ${min}, got ${v}`);
  return v;
}
