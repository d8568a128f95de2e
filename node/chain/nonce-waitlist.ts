/**
 * The waiting area for transactions that arrive ahead of their sender's next nonce (k+1 relayed by one
 * peer before k arrives from another). The mempool itself holds no gaps; a gapped transaction whose
 * signature checked out waits here, and the mempool admits it once the gap fills (a transaction or a
 * block supplies nonce k). Geth's "queued" transactions and Bitcoin Core's orphan pool do the same job.
 *
 * Bounded three ways, so no peer can make it hold more than its share:
 *   - globally (`maxCount`): when full, the oldest waiting transaction is evicted;
 *   - per source (`maxPerSource`, a peer or "rpc"): when one source is at its cap, its own oldest goes;
 *   - per sender: one transaction per (sender, nonce), the first seen kept, and the mempool only holds
 *     nonces within its maxNonceAhead window, so a sender has at most that many here;
 *   - in time (`expiryMs`): a gap nobody fills in that time will not be filled by waiting longer.
 * Pure data structure with an injected clock; imports nothing of the node.
 */

export interface Waitable {
  idHex: string;
  senderHex: string;
  nonce: bigint;
}

export interface WaitingTx<E extends Waitable> {
  entry: E;
  /** Who gave it to us: a peer label, or "rpc". */
  source: string;
  addedAt: number;
}

export interface NonceWaitlistOptions {
  /** Default 4,096 transactions (~0.6 MB of transaction bytes). */
  maxCount?: number;
  /** Default 1,024. */
  maxPerSource?: number;
  /** Default 120 s. */
  expiryMs?: number;
  clock: () => number;
}

export const DEFAULT_WAIT_MAX_COUNT = 4_096;
export const DEFAULT_WAIT_MAX_PER_SOURCE = 1_024;
export const DEFAULT_WAIT_EXPIRY_MS = 120_000;

export class NonceWaitlist<E extends Waitable> {
  readonly maxCount: number;
  readonly maxPerSource: number;
  readonly expiryMs: number;
  private readonly clock: () => number;
  /** Insertion order is age order: the first key is the oldest. */
  private readonly byId = new Map<string, WaitingTx<E>>();
  private readonly bySender = new Map<string, Map<bigint, WaitingTx<E>>>();
  private readonly perSource = new Map<string, number>();
  /** Evictions by cause since start, for stats and tests. */
  readonly evicted = { full: 0, source: 0, expired: 0 };

  constructor(o: NonceWaitlistOptions) {
    this.maxCount = o.maxCount ?? DEFAULT_WAIT_MAX_COUNT;
    this.maxPerSource = o.maxPerSource ?? DEFAULT_WAIT_MAX_PER_SOURCE;
    this.expiryMs = o.expiryMs ?? DEFAULT_WAIT_EXPIRY_MS;
    this.clock = o.clock;
  }

  get size(): number {
    return this.byId.size;
  }

  has(idHex: string): boolean {
    return this.byId.has(idHex);
  }

  get(idHex: string): WaitingTx<E> | undefined {
    return this.byId.get(idHex);
  }

  /** Senders with something waiting. */
  senders(): IterableIterator<string> {
    return this.bySender.keys();
  }

  /**
   * Holds `entry`; false when it is already here or another transaction waits for the same
   * (sender, nonce) slot (the first one seen keeps it). Makes room by the rules above. `addedAt`
   * lets a transaction taken out and put back keep its age.
   */
  add(entry: E, source: string, addedAt = this.clock()): boolean {
    this.expire();
    const slots = this.bySender.get(entry.senderHex);
    if (this.byId.has(entry.idHex) || slots?.has(entry.nonce)) return false;
    if ((this.perSource.get(source) ?? 0) >= this.maxPerSource) {
      for (const w of this.byId.values())
        if (w.source === source) {
          this.remove(w.entry.idHex);
          this.evicted.source++;
          break;
        }
    }
    while (this.byId.size >= this.maxCount) {
      this.remove(this.byId.keys().next().value!);
      this.evicted.full++;
    }
    const w: WaitingTx<E> = { entry, source, addedAt };
    this.byId.set(entry.idHex, w);
    const m = this.bySender.get(entry.senderHex) ?? new Map<bigint, WaitingTx<E>>();
    m.set(entry.nonce, w);
    this.bySender.set(entry.senderHex, m);
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    return true;
  }

  /** The sender's waiting transaction with the lowest nonce. */
  lowest(senderHex: string): WaitingTx<E> | undefined {
    let best: WaitingTx<E> | undefined;
    for (const w of this.bySender.get(senderHex)?.values() ?? []) if (!best || w.entry.nonce < best.entry.nonce) best = w;
    return best;
  }

  remove(idHex: string): WaitingTx<E> | undefined {
    const w = this.byId.get(idHex);
    if (!w) return undefined;
    this.byId.delete(idHex);
    const m = this.bySender.get(w.entry.senderHex);
    m?.delete(w.entry.nonce);
    if (m?.size === 0) this.bySender.delete(w.entry.senderHex);
    const n = (this.perSource.get(w.source) ?? 1) - 1;
    if (n > 0) this.perSource.set(w.source, n);
    else this.perSource.delete(w.source);
    return w;
  }

  /** Drops what waited longer than expiryMs; returns how many. */
  expire(): number {
    const cutoff = this.clock() - this.expiryMs;
    let n = 0;
    for (const w of this.byId.values()) {
      if (w.addedAt > cutoff) break; // age order: the rest are younger
      this.remove(w.entry.idHex);
      n++;
    }
    this.evicted.expired += n;
    return n;
  }

  clear(): void {
    this.byId.clear();
    this.bySender.clear();
    this.perSource.clear();
  }
}
