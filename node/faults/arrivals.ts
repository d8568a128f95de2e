/**
 * First-seen times of recent blocks and transactions, and why transactions left the mempool, kept so
 * a scenario runner on the same machine can measure propagation spread and account for every
 * transaction. Bounded rings: MAX_ARRIVALS entries of each kind, the oldest evicted first.
 * Times are the real wall clock (not the mock clock), so nodes on one machine compare directly.
 */

export const MAX_ARRIVALS = 4096;

export interface BlockArrival {
  hash: string;
  height: number;
  /** ms since the epoch, real clock */
  t: number;
}

export interface TxArrival {
  id: string;
  t: number;
}

export interface TxRemoval {
  id: string;
  reason: string;
  t: number;
}

/** An insertion-ordered map with a cap: a key keeps its first value; the oldest key goes first. */
class FirstSeen<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly cap: number) {}
  add(key: string, v: V): void {
    if (this.m.has(key)) return;
    this.m.set(key, v);
    if (this.m.size > this.cap) this.m.delete(this.m.keys().next().value!);
  }
  values(): V[] {
    return [...this.m.values()];
  }
  get size(): number {
    return this.m.size;
  }
}

export class Arrivals {
  private readonly blocks: FirstSeen<BlockArrival>;
  private readonly txs: FirstSeen<TxArrival>;
  private readonly removals: FirstSeen<TxRemoval>;
  /** Tip changes that disconnected blocks, and the deepest such disconnect. */
  private reorgs = { count: 0, maxDepth: 0 };

  constructor(cap = MAX_ARRIVALS, private readonly clock: () => number = Date.now) {
    this.blocks = new FirstSeen(cap);
    this.txs = new FirstSeen(cap);
    this.removals = new FirstSeen(cap);
  }

  block(hash: string, height: number): void {
    this.blocks.add(hash, { hash, height, t: this.clock() });
  }

  tx(id: string): void {
    this.txs.add(id, { id, t: this.clock() });
  }

  /** 'mined' removals are not kept: the ledger answers for those. */
  removed(ids: string[], reason: string): void {
    if (reason === 'mined') return;
    const t = this.clock();
    for (const id of ids) this.removals.add(id, { id, reason, t });
  }

  reorg(depth: number): void {
    if (depth <= 0) return;
    this.reorgs.count++;
    this.reorgs.maxDepth = Math.max(this.reorgs.maxDepth, depth);
  }

  snapshot(): { blocks: BlockArrival[]; txs: TxArrival[]; removals: TxRemoval[]; reorgs: { count: number; maxDepth: number } } {
    return { blocks: this.blocks.values(), txs: this.txs.values(), removals: this.removals.values(), reorgs: { ...this.reorgs } };
  }
}
