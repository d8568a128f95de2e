/**
 * The in-memory block tree: every known header with its height, cumulative work and status, the main
 * chain as an array by height, and the ancestry queries the rules need (median time past, expected
 * target, fork point, block locator). A node either has its body stored (`hasData`; then so do all its
 * ancestors: a body is stored only once its parent's is) or is a header only, learnt from `headers`
 * and kept in memory until its body arrives (header-only nodes are not persisted).
 * The best valid block (most work with data) and the best header are tracked as nodes are added, so
 * fork choice never scans the tree; only marking a branch failed rescans.
 * Pure apart from holding state; no I/O.
 */
import { BlockHeader } from '../core/block.js';
import { toHex } from '../core/bytes.js';
import { ChainParams, MAX_TIMEWARP_BLOCKS, MEDIAN_TIME_SPAN } from '../core/params.js';
import { expectedBits, isRetargetHeight, workOf } from '../core/pow.js';
import { medianTime } from '../core/check-block.js';
import { BlockStatus } from '../storage/ledger-encoding.js';

export interface IndexNode {
  hash: Uint8Array;
  hex: string;
  header: BlockHeader;
  height: number;
  work: bigint;
  status: BlockStatus;
  parent: IndexNode | undefined;
  /** Arrival order, for "first seen wins" among equal work. */
  seq: number;
  /** The body is stored (and so are all ancestors' bodies). */
  hasData: boolean;
}

export class BlockIndex {
  private readonly nodes = new Map<string, IndexNode>();
  /** main[h] is the main-chain node at height h; main[main.length-1] is the tip. */
  main: IndexNode[] = [];
  private seq = 0;
  private headerOnly = 0;
  /** Most-work node with data, not failed (first seen wins on equal work). */
  private bestData: IndexNode | undefined;
  /** Most-work header, not failed: what sync downloads towards. */
  private bestHdr: IndexNode | undefined;

  constructor(private readonly params: ChainParams) {}

  get size(): number {
    return this.nodes.size;
  }

  /** Nodes known by header only (in memory, not on disk). */
  get headerOnlyCount(): number {
    return this.headerOnly;
  }

  get bestHeader(): IndexNode {
    return this.bestHdr ?? this.tip;
  }

  get tip(): IndexNode {
    return this.main[this.main.length - 1]!;
  }

  get(hex: string): IndexNode | undefined {
    return this.nodes.get(hex);
  }

  all(): IterableIterator<IndexNode> {
    return this.nodes.values();
  }

  /** Adds a header whose parent is already indexed (or the genesis); work accumulates from the parent. */
  add(hash: Uint8Array, header: BlockHeader, status: BlockStatus, work?: bigint, hasData = true): IndexNode {
    const hex = toHex(hash);
    const existing = this.nodes.get(hex);
    if (existing) return existing;
    const parent = header.height === 0 ? undefined : this.nodes.get(toHex(header.prevHash));
    const node: IndexNode = {
      hash,
      hex,
      header,
      height: header.height,
      work: work ?? (parent?.work ?? 0n) + workOf(header.bits),
      status,
      parent,
      seq: this.seq++,
      hasData,
    };
    this.nodes.set(hex, node);
    if (!hasData) this.headerOnly++;
    this.consider(node);
    return node;
  }

  /** The body of a header-only node was stored. */
  setData(n: IndexNode): void {
    if (n.hasData) return;
    n.hasData = true;
    this.headerOnly--;
    this.consider(n);
  }

  /** Forgets a header-only node with no children (a header batch that was refused after all). */
  removeHeader(n: IndexNode): void {
    if (n.hasData || this.nodes.get(n.hex) !== n) return;
    this.nodes.delete(n.hex);
    this.headerOnly--;
    if (this.bestHdr === n) this.rescanBest();
  }

  private consider(n: IndexNode): void {
    if (n.status === BlockStatus.Failed) return;
    if (!this.bestHdr || n.work > this.bestHdr.work) this.bestHdr = n;
    if (n.hasData && (!this.bestData || n.work > this.bestData.work)) this.bestData = n;
  }

  private rescanBest(): void {
    this.bestData = undefined;
    this.bestHdr = undefined;
    const sorted = [...this.nodes.values()].sort((a, b) => a.seq - b.seq);
    for (const n of sorted) this.consider(n);
  }

  /** Re-links parents after a bulk load in arbitrary order. */
  linkAll(): void {
    for (const n of this.nodes.values()) if (n.height > 0) n.parent = this.nodes.get(toHex(n.header.prevHash));
  }

  /** Rebuilds `main` by walking back from `tip`. */
  setMainFrom(tip: IndexNode): void {
    const main: IndexNode[] = new Array(tip.height + 1);
    for (let n: IndexNode | undefined = tip; n; n = n.parent) main[n.height] = n;
    this.main = main;
  }

  isOnMain(n: IndexNode): boolean {
    return this.main[n.height] === n;
  }

  ancestor(n: IndexNode, height: number): IndexNode | undefined {
    if (height > n.height || height < 0) return undefined;
    let cur: IndexNode | undefined = n;
    while (cur && cur.height > height) {
      if (this.isOnMain(cur)) return this.main[height];
      cur = cur.parent;
    }
    return cur;
  }

  /** Median timestamp of `n` and up to 10 of its ancestors: a child must be strictly newer. */
  medianTimePast(n: IndexNode): number {
    const times: number[] = [];
    for (let cur: IndexNode | undefined = n; cur && times.length < MEDIAN_TIME_SPAN; cur = cur.parent) times.push(cur.header.timestamp);
    return medianTime(times);
  }

  /** Bits a child of `parent` must carry (overlapping windows: see pow.ts). */
  nextBits(parent: IndexNode): number {
    const height = parent.height + 1;
    if (!isRetargetHeight(this.params, height)) return expectedBits(this.params, height, parent.header.bits);
    const first = this.ancestor(parent, Math.max(0, height - 1 - this.params.retargetInterval))!;
    return expectedBits(this.params, height, parent.header.bits, {
      first: first.header.timestamp,
      last: parent.header.timestamp,
      span: parent.height - first.height,
    });
  }

  /** At a retarget height, the earliest timestamp a child of `parent` may carry (time-warp guard). */
  minRetargetTimestamp(parent: IndexNode): number | undefined {
    if (!isRetargetHeight(this.params, parent.height + 1)) return undefined;
    return parent.header.timestamp - MAX_TIMEWARP_BLOCKS * this.params.targetBlockTimeMs;
  }

  forkPoint(a: IndexNode, b: IndexNode): IndexNode {
    let x: IndexNode | undefined = a;
    let y: IndexNode | undefined = b;
    while (x && y && x !== y) {
      if (x.height > y.height) x = x.parent;
      else if (y.height > x.height) y = y.parent;
      else {
        x = x.parent;
        y = y.parent;
      }
    }
    if (!x || x !== y) throw new Error('blocks share no ancestor');
    return x;
  }

  /** Bitcoin-style locator from `from` (default the tip): the last 10 hashes, then exponentially sparser back to genesis. */
  locator(from: IndexNode = this.tip): Uint8Array[] {
    const out: Uint8Array[] = [];
    let step = 1;
    for (let h = from.height; h > 0; h -= step) {
      out.push(this.ancestor(from, h)!.hash);
      if (out.length >= 10) step *= 2;
      if (out.length >= 63) break;
    }
    out.push(this.main[0]!.hash);
    return out;
  }

  /** Main-chain nodes after the first locator entry on our main chain, up to `max` (or `stop`). */
  mainNodesAfter(locator: Uint8Array[], max: number, stop?: Uint8Array): IndexNode[] {
    let start = 0;
    for (const h of locator) {
      const n = this.nodes.get(toHex(h));
      if (n && this.isOnMain(n)) {
        start = n.height;
        break;
      }
    }
    const stopHex = stop ? toHex(stop) : undefined;
    const out: IndexNode[] = [];
    for (let h = start + 1; h < this.main.length && out.length < max; h++) {
      out.push(this.main[h]!);
      if (this.main[h]!.hex === stopHex) break;
    }
    return out;
  }

  /** Main-chain hashes after the first locator entry we have on our main chain, up to `max` (or `stop`). */
  mainHashesAfter(locator: Uint8Array[], max: number, stop?: Uint8Array): Uint8Array[] {
    return this.mainNodesAfter(locator, max, stop).map((n) => n.hash);
  }


  /** Marks `n` and every indexed descendant failed; returns what changed (to persist). */
  markFailed(n: IndexNode): IndexNode[] {
    const changed: IndexNode[] = [];
    for (const cand of this.nodes.values()) {
      if (cand.status === BlockStatus.Failed || cand.height < n.height) continue;
      if (this.ancestor(cand, n.height) === n) {
        cand.status = BlockStatus.Failed;
        changed.push(cand);
      }
    }
    this.rescanBest();
    // Header-only nodes are not persisted: only stored blocks need their new status written.
    return changed.filter((c) => c.hasData);
  }

  /**
   * The most-work block not known invalid. Ties keep `preferred` (the current or previous tip):
   * first seen wins, so equal-work competitors never cause a reorg.
   */
  bestCandidate(preferred: IndexNode = this.tip): IndexNode {
    const best = this.bestData ?? preferred;
    if (preferred.status !== BlockStatus.Failed && preferred.hasData && preferred.work >= best.work) return preferred;
    return best;
  }
}
