/**
 * The chain: accepts headers and blocks, keeps the block tree, connects the most-work valid branch to
 * the ledger and reorganises onto a heavier branch by disconnecting with undo data (block-connector.ts).
 * If a block of the new branch turns out invalid, that branch is marked failed and the chain returns to
 * the best valid tip. Opening the ledger: ledger-open.ts; the 'tip' event's content: tip-change.ts.
 *
 * Admission (anti-DoS, docs/protocol.md "Admission rules"), cheapest check first:
 *   - a header must connect to a known header, meet its own target (no easier than the genesis
 *     target), carry the bits the retarget rule expects and pass the time rules; a header chain whose
 *     work is below our tip's by more than LOW_WORK_MARGIN_BLOCKS blocks is not kept ('low-work-headers');
 *   - a block is stored only when its header is admitted this way and its parent's body is stored; a
 *     block whose parent body is still coming waits in the bounded pending pool (memory, never disk);
 *     a block whose parent header is unknown is refused ('prev-blk-not-found') and never stored;
 *   - a block on a branch lighter than the tip by more than the margin, and not on the way to a
 *     heavier header chain, is refused ('low-work-branch') before its body is even hashed.
 * Calls are serialised: one block is processed at a time. Emits 'tip' (TipChange) after every move.
 * Imports core, storage and sibling chain modules only; never p2p, rpc or miner.
 */
import { EventEmitter } from 'node:events';
import { Block, blockHash, decodeBlock, encodeBlock } from '../core/block.js';
import { toHex } from '../core/bytes.js';
import { BlockHeader } from '../core/block.js';
import { BODY_MISMATCH_REASONS, CheckedBody, checkBlockSanity } from '../core/check-block.js';
import { NodeError } from '../core/errors.js';
import { ChainParams } from '../core/params.js';
import { Account } from '../core/state-view.js';
import { Rejection, Verdict, ok, reject } from '../core/verdict.js';
import { LedgerStore } from '../storage/ledger-store.js';
import { BlockStatus, TxLocation } from '../storage/ledger-encoding.js';
import { Log, silentLog } from '../log.js';
import { BlockIndex, IndexNode } from './block-index.js';
import { BlockConnector, MAX_CACHED_ACCOUNTS } from './block-connector.js';
import { HeaderAdmission, HeadersResult } from './header-admission.js';
import { openLedger } from './ledger-open.js';
import { OrphanPool } from './orphan-pool.js';
import { EarlyChecks } from './early-checks.js';
import { BatchSignatureVerifier, SignatureCache, inlineBatchVerifier } from './sig-check.js';
import { TipInfo, tipChangeOf, tipInfo } from './tip-change.js';

export interface ChainOptions {
  dir: string;
  params: ChainParams;
  verifier?: BatchSignatureVerifier;
  sigCache?: SignatureCache;
  clock?: () => number;
  log?: Log;
  /** Header-only entries kept in memory at most (default MAX_HEADER_ONLY). */
  maxHeaderOnly?: number;
  /** Tip account values cached for connect (default MAX_CACHED_ACCOUNTS). */
  maxCachedAccounts?: number;
}

export type { TipChange, TipInfo } from './tip-change.js';

/** 'pending': valid header, body held in memory until its parent's body arrives. */
export type AcceptStatus = 'connected' | 'reorg' | 'side-branch' | 'pending';

/**
 * Sanity failures that may come from a body that is not the header's (checked before the merkle root
 * binds the body to the header): they never mark the header invalid.
 */
const UNPROVEN_BODY_REASONS: ReadonlySet<string> = new Set([...BODY_MISMATCH_REASONS, 'bad-blk-length', 'bad-blk-size', 'bad-blk-reward']);

export type AcceptResult = Verdict<{ hash: Uint8Array; hashHex: string; status: AcceptStatus }>;

export { MAX_EARLY_CHECKS } from './early-checks.js';
export { MAX_CACHED_ACCOUNTS } from './block-connector.js';

export class Chain extends EventEmitter {
  /** Bodies of admitted headers whose parent body is not stored yet (memory only, bounded). */
  private readonly orphans = new OrphanPool();
  /** Signature checks started before the block's turn (pipelining), by block hash hex; bounded. */
  private readonly early: EarlyChecks;
  /** Moves the ledger to the best valid tip; holds the recent decoded blocks and the tip account values. */
  private readonly ledger: BlockConnector;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly headers: HeaderAdmission;
  private closed = false;

  private constructor(
    readonly params: ChainParams,
    private readonly store: LedgerStore,
    private readonly index: BlockIndex,
    private readonly verifier: BatchSignatureVerifier,
    sigCache: SignatureCache | undefined,
    clock: () => number,
    private readonly log: Log,
    maxHeaderOnly?: number,
    maxCachedAccounts = MAX_CACHED_ACCOUNTS,
  ) {
    super();
    this.headers = new HeaderAdmission(index, params, clock, maxHeaderOnly);
    this.early = new EarlyChecks(verifier, sigCache);
    this.ledger = new BlockConnector(params, store, index, this.early, log, maxCachedAccounts);
  }

  /**
   * Opens (or initialises) the ledger in `dir` and resumes at the stored tip without re-validating.
   * @throws NodeError STORAGE_WRONG_GENESIS, STORAGE_LOCKED, STORAGE_CORRUPT
   */
  static async open(opts: ChainOptions): Promise<Chain> {
    const { params } = opts;
    const { store, index } = await openLedger(opts.dir, params);
    try {
      const chain = new Chain(params, store, index, opts.verifier ?? inlineBatchVerifier, opts.sigCache, opts.clock ?? Date.now, opts.log ?? silentLog, opts.maxHeaderOnly, opts.maxCachedAccounts);
      // A crash in the middle of a reorg leaves a heavier stored branch: finish it now.
      await chain.enqueue(() => chain.ledger.activateBestChain());
      return chain;
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => {});
    await this.store.close();
  }

  // ---- queries ----

  get tip(): TipInfo {
    return tipInfo(this.index.tip);
  }

  get height(): number {
    return this.index.tip.height;
  }

  get orphanCount(): number {
    return this.orphans.size;
  }

  /** True when the block's body is stored or held in the pending pool. */
  hasBlock(hash: Uint8Array): boolean {
    const hex = toHex(hash);
    return this.index.get(hex)?.hasData === true || this.orphans.has(hex);
  }

  /** hasBlock by hex, for hot loops that already hold it. */
  hasBlockHex(hex: string): boolean {
    return this.index.get(hex)?.hasData === true || this.orphans.has(hex);
  }

  /** True when the header is known (with or without its body). */
  hasHeader(hash: Uint8Array): boolean {
    return this.index.get(toHex(hash)) !== undefined;
  }

  /** The most-work valid header known: sync downloads bodies towards it. */
  get bestHeader(): IndexNode {
    return this.index.bestHeader;
  }

  get headerOnlyCount(): number {
    return this.index.headerOnlyCount;
  }

  /** Blocks in the index with their body stored. */
  get storedBlockCount(): number {
    return this.index.size - this.index.headerOnlyCount;
  }

  /** The node at `height` on the branch ending at `n`. */
  ancestor(n: IndexNode, height: number): IndexNode | undefined {
    return this.index.ancestor(n, height);
  }

  /** A locator from `from` (default our tip), for getheaders. */
  locatorFrom(from?: IndexNode): Uint8Array[] {
    return this.index.locator(from);
  }

  /** Headers of our main chain after the locator's fork point (a getheaders answer). */
  mainHeadersAfter(locator: Uint8Array[], max: number, stop?: Uint8Array): BlockHeader[] {
    return this.index.mainNodesAfter(locator, max, stop).map((n) => n.header);
  }

  isKnownInvalid(hash: Uint8Array): boolean {
    return this.index.get(toHex(hash))?.status === BlockStatus.Failed;
  }

  getNode(hash: Uint8Array): IndexNode | undefined {
    return this.index.get(toHex(hash));
  }

  isOnMainChain(hash: Uint8Array): boolean {
    const n = this.index.get(toHex(hash));
    return n !== undefined && this.index.isOnMain(n);
  }

  mainHashAt(height: number): Uint8Array | undefined {
    return this.index.main[height]?.hash;
  }

  getBlockBytes(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.getBlockBytes(hash);
  }

  async getBlock(hash: Uint8Array): Promise<Block | undefined> {
    const recent = this.ledger.recentBlock(toHex(hash));
    if (recent) return recent;
    const bytes = await this.store.getBlockBytes(hash);
    return bytes && decodeBlock(bytes);
  }

  getAccount(address: Uint8Array): Promise<Account> {
    return this.store.getAccount(address);
  }

  getAccounts(addresses: Uint8Array[]): Promise<Map<string, Account>> {
    return this.store.getAccounts(addresses);
  }

  allAccounts(): Promise<Map<string, Account>> {
    return this.store.allAccounts();
  }

  getTxLocation(id: Uint8Array): Promise<TxLocation | undefined> {
    return this.store.getTxLocation(id);
  }

  getHistory(address: Uint8Array, limit: number) {
    return this.store.getHistory(address, limit);
  }

  locator(): Uint8Array[] {
    return this.index.locator();
  }

  mainHashesAfter(locator: Uint8Array[], max: number, stop?: Uint8Array): Uint8Array[] {
    return this.index.mainHashesAfter(locator, max, stop);
  }

  /** What a block template on the current tip must carry. */
  nextBlockContext(): { parentHash: Uint8Array; parentHeight: number; bits: number; minTimestamp: number } {
    const t = this.index.tip;
    const mtp = this.index.medianTimePast(t) + 1;
    const warp = this.index.minRetargetTimestamp(t);
    return { parentHash: t.hash, parentHeight: t.height, bits: this.index.nextBits(t), minTimestamp: warp === undefined ? mtp : Math.max(mtp, warp) };
  }

  // ---- header acceptance (header-admission.ts) ----

  /** Work below which a branch is not admitted: the tip's work less the margin. */
  lowWorkFloor(): bigint {
    return this.headers.lowWorkFloor();
  }

  /** Header-only check of a block before its body is decoded (HeaderAdmission.screenHeader). */
  screenHeader(h: BlockHeader): Verdict {
    return this.headers.screenHeader(h);
  }

  /** Validates and adds a batch of consecutive headers, header-only (HeaderAdmission.acceptHeaders). */
  acceptHeaders(headers: BlockHeader[]): Verdict<HeadersResult> {
    return this.headers.acceptHeaders(headers);
  }

  // ---- block acceptance ----

  /**
   * Validates and stores a block, connecting it (and any orphans it unblocks) when it makes the best chain.
   * `checked`: its body was already bound to its header by the caller (CheckedBody), so it is not hashed again.
   */
  acceptBlock(block: Block, checked?: CheckedBody): Promise<AcceptResult> {
    this.prepare(block, checked);
    return this.enqueue(async () => {
      const started = performance.now();
      const before = this.index.tip;
      const touched = new Map<string, Block>();
      const result = await this.acceptOne(block, touched, checked);
      if (result.ok || result.class === 'consensus') {
        // Orphans waiting on this block (or on any block it connected) may now fit.
        const queue = result.ok && result.value.status !== 'pending' ? [result.value.hashHex] : [];
        for (let i = 0; i < queue.length && i < 10_000; i++) {
          for (const child of this.orphans.takeChildren(queue[i]!)) {
            const r = await this.acceptOne(child.block, touched);
            if (r.ok && r.value.status !== 'pending') queue.push(r.value.hashHex);
          }
        }
      }
      this.emitTipChange(before, touched);
      // For metrics: how long validating and storing took, by outcome.
      this.emit('accepted', { status: result.ok ? result.value.status : result.class, ms: performance.now() - started });
      return result;
    });
  }

  /**
   * Pipelining: starts the signature checks of a block whose header is already admitted (headers-first
   * sync), on a wanted branch, with its parent known, so the worker pool verifies it while the blocks
   * before it are connected. Only context-free work is done early (sanity, which binds the body to the
   * header through the merkle root, and signatures); nothing is stored and no rule is skipped: connect
   * uses the verdict exactly where it would have checked the signatures itself.
   */
  private prepare(block: Block, checked?: CheckedBody): void {
    if (this.verifier === inlineBatchVerifier || block.txs.length === 0) return;
    const hex = toHex(blockHash(block.header));
    const node = this.index.get(hex);
    if (!node || node.hasData || node.status !== BlockStatus.Valid || this.early.has(hex) || !this.headers.isWanted(node)) return;
    const sanity = checkBlockSanity(block, this.params, checked);
    if (!sanity.ok) return; // acceptOne refuses it with the same verdict
    this.early.start(hex, block, sanity.value);
  }

  /** Blocks with signature checks started ahead of connection (for tests and metrics). */
  get earlyCheckCount(): number {
    return this.early.size;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new NodeError('ABORTED', 'chain is closed');
      return fn();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async acceptOne(block: Block, touched: Map<string, Block>, checked?: CheckedBody): Promise<AcceptResult> {
    const hash = blockHash(block.header);
    const hex = toHex(hash);
    const known = this.index.get(hex);
    if (known?.status === BlockStatus.Failed) return reject('consensus', 'duplicate-invalid');
    if (known?.hasData || this.orphans.has(hex)) return reject('duplicate', 'duplicate');
    // The header first: cheap, and nothing about the body is looked at before it is admitted.
    let node = known;
    if (!node) {
      const h = this.acceptHeaders([block.header]);
      if (!h.ok) return h.reason === 'low-work-headers' ? reject('policy', 'low-work-branch', h.detail) : h;
      node = h.value.last;
    }
    if (!this.headers.isWanted(node)) return reject('policy', 'low-work-branch', `chain work ${node.work} below ${this.lowWorkFloor()}`);
    const early = this.early.peek(hex, block);
    const sanity = early ? ok(early.sanity) : checkBlockSanity(block, this.params, checked);
    if (!sanity.ok) {
      // A body that does not match its header says nothing about the header: the real body may come.
      if (!UNPROVEN_BODY_REASONS.has(sanity.reason)) await this.ledger.markInvalid(node, sanity);
      return sanity;
    }
    const parent = node.parent!;
    if (!parent.hasData) {
      this.orphans.add(hex, block);
      return ok({ hash, hashHex: hex, status: 'pending' });
    }
    const bytes = encodeBlock(block);
    const entry = { header: block.header, work: node.work, status: BlockStatus.Valid };
    const tipBefore = this.index.tip;
    let failure: Rejection | undefined;
    if (parent === tipBefore) {
      // It extends the tip (every block of a sync): its body and index entry go into the batch that
      // connects it and moves the tip (one write, atomic). If it is not connected after all, it is
      // stored on its own below, as any other block.
      this.index.setData(node);
      this.ledger.remember(hex, { block, sanity: sanity.value });
      touched.set(hex, block);
      try {
        failure = await this.ledger.activateBestChain(touched, { hex, bytes, entry });
      } finally {
        if (this.ledger.takeUnwritten(hex)) await this.store.putBlock(hash, bytes, { ...entry, status: node.status });
      }
    } else {
      // Store first, index second: if the write fails (a full disk), memory still matches the disk.
      await this.store.putBlock(hash, bytes, entry);
      this.index.setData(node);
      this.ledger.remember(hex, { block, sanity: sanity.value });
      touched.set(hex, block);
      failure = await this.ledger.activateBestChain(touched);
    }
    if (node.status === BlockStatus.Failed) return failure ?? reject('consensus', 'bad-prevblk');
    if (this.index.isOnMain(node)) {
      const status: AcceptStatus = this.index.forkPoint(tipBefore, node) === tipBefore ? 'connected' : 'reorg';
      return ok({ hash, hashHex: hex, status });
    }
    return ok({ hash, hashHex: hex, status: 'side-branch' });
  }

  /** Accounts in the tip account cache (for tests). */
  get cachedAccountCount(): number {
    return this.ledger.cachedAccountCount;
  }

  private emitTipChange(before: IndexNode, touched: Map<string, Block>): void {
    const after = this.index.tip;
    if (after === before) return;
    const change = tipChangeOf(this.index, before, after, (hex) => touched.get(hex) ?? this.ledger.recentBlock(hex));
    const { connected, disconnected } = change;
    if (disconnected.length > 0) this.log.info({ from: before.hex, to: after.hex, disconnected: disconnected.length, connected: connected.length }, 'reorg');
    this.emit('tip', change);
  }
}

export { BODY_MISMATCH_REASONS };
export { LOW_WORK_MARGIN_BLOCKS, MAX_HEADER_ONLY } from './header-admission.js';
export type { HeadersResult } from './header-admission.js';
