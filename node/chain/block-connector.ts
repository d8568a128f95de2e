/**
 * Moves the ledger to the most-work valid block of the chain's block tree (chain.ts admits blocks,
 * this connects them): disconnects to the fork point with undo data, connects the new branch, and if
 * a block of it turns out invalid marks that branch failed and returns to the best valid tip.
 * Connecting validates a block's state transition and signatures against the tip and writes one batch.
 * Keeps the blocks decoded recently, so connecting them does not re-read and re-hash, and the account
 * values at the tip, so the miner and busy senders of a sync are read once, not per block. Called on
 * the chain's queue only, one block at a time.
 * Imports core, storage and sibling chain modules only; never p2p, rpc or miner.
 */
import { Block, decodeBlock } from '../core/block.js';
import { toHex } from '../core/bytes.js';
import { SanityResult, checkBlockSanity, connectBlockState } from '../core/check-block.js';
import { NodeError } from '../core/errors.js';
import { ChainParams } from '../core/params.js';
import { Account, MapStateView, StateOverlay } from '../core/state-view.js';
import { txId, txSender } from '../core/tx.js';
import { Rejection, Verdict, ok, reject } from '../core/verdict.js';
import { LedgerStore } from '../storage/ledger-store.js';
import { BlockStatus, IndexEntry } from '../storage/ledger-encoding.js';
import { Log } from '../log.js';
import { BlockIndex, IndexNode } from './block-index.js';
import { noteBlockFacts } from './block-facts.js';
import { EarlyChecks } from './early-checks.js';

export interface Decoded {
  block: Block;
  sanity: SanityResult;
}

/** The body of a block accepted on the tip, written by the batch that connects it. */
export interface UnwrittenBody {
  hex: string;
  bytes: Uint8Array;
  entry: IndexEntry;
}

/** Tip account values cached for connect; beyond this the cache is emptied and refills. */
export const MAX_CACHED_ACCOUNTS = 20_000;

export class BlockConnector {
  /** Decoded blocks accepted recently, so connecting them does not re-read and re-hash. */
  private readonly recent = new Map<string, Decoded>();
  /** Account values at the tip, by hex address hash (tipAccounts); at most MAX_CACHED_ACCOUNTS. */
  private readonly accountCache = new Map<string, Account>();
  /** The block being accepted on the tip, whose body is written by the batch that connects it. */
  private unwritten: UnwrittenBody | undefined;

  constructor(
    private readonly params: ChainParams,
    private readonly store: LedgerStore,
    private readonly index: BlockIndex,
    private readonly early: EarlyChecks,
    private readonly log: Log,
    private readonly maxCachedAccounts = MAX_CACHED_ACCOUNTS,
  ) {}

  /**
   * Moves the ledger to the most-work valid block: disconnect to the fork point, connect the new branch.
   * On an invalid block: mark it and its descendants failed, then go back to the best valid tip.
   * `body`: the block being accepted on the tip, not stored yet: the batch that connects it writes it
   * (see takeUnwritten).
   * @returns the first connect failure, if any
   */
  async activateBestChain(touched = new Map<string, Block>(), body?: UnwrittenBody): Promise<Rejection | undefined> {
    this.unwritten = body;
    const oldTip = this.index.tip;
    let failure: Rejection | undefined;
    for (let guard = 0; guard < 10_000; guard++) {
      const target = this.index.bestCandidate(oldTip.status === BlockStatus.Failed ? this.index.tip : oldTip);
      if (target === this.index.tip) break;
      const fork = this.index.forkPoint(this.index.tip, target);
      while (this.index.tip !== fork) touched.set(this.index.tip.hex, await this.disconnectTip());
      const path: IndexNode[] = [];
      for (let n: IndexNode | undefined = target; n && n !== fork; n = n.parent) path.unshift(n);
      for (const n of path) {
        const r = await this.connectNode(n);
        if (!r.ok) {
          failure ??= r;
          await this.markInvalid(n, r);
          break;
        }
        touched.set(n.hex, r.value);
      }
    }
    return failure;
  }

  /** True when the body `hex` handed to activateBestChain was not written by a connect; forgets it. */
  takeUnwritten(hex: string): boolean {
    const left = this.unwritten?.hex === hex;
    this.unwritten = undefined;
    return left;
  }

  async markInvalid(n: IndexNode, why: Verdict<unknown>): Promise<void> {
    const reason = why.ok ? '' : why.reason;
    this.log.warn({ hash: n.hex, height: n.height, reason }, 'invalid block');
    const changed = this.index.markFailed(n);
    await this.store.putIndexEntries(changed.map((c) => ({ hash: c.hash, entry: { header: c.header, work: c.work, status: c.status } })));
  }

  remember(hex: string, d: Decoded): void {
    this.recent.set(hex, d);
    if (this.recent.size > 64) this.recent.delete(this.recent.keys().next().value!);
  }

  /** A block decoded recently, if still remembered. */
  recentBlock(hex: string): Block | undefined {
    return this.recent.get(hex)?.block;
  }

  private async loadDecoded(n: IndexNode): Promise<Decoded> {
    const cached = this.recent.get(n.hex);
    if (cached) return cached;
    const bytes = await this.store.getBlockBytes(n.hash);
    if (!bytes) throw new NodeError('STORAGE_CORRUPT', `block ${n.hex} is indexed but its body is missing`);
    const block = decodeBlock(bytes);
    const sanity = checkBlockSanity(block, this.params);
    if (!sanity.ok) return { block, sanity: { hash: n.hash, ids: [], idsHex: [], senders: [], sendersHex: [] } };
    return { block, sanity: sanity.value };
  }

  /** Validates the block's state transition and signatures against the tip and writes one batch. */
  private async connectNode(n: IndexNode): Promise<Verdict<Block>> {
    const { block, sanity } = await this.loadDecoded(n);
    if (sanity.ids.length !== block.txs.length) return reject('consensus', 'bad-blk-sanity');
    // Signatures first (unless checked early): the workers verify while the accounts are read and applied.
    const sigs = this.early.signatures(n.hex, block, sanity.idsHex);
    sigs.catch(() => undefined); // awaited below; handled here too in case the account read throws first
    // Every address object of the block with its hex key, hexed once (senders' keys come from sanity):
    // the accounts to read, and the overlay's keys.
    const addrs = new Map<string, Uint8Array>();
    const keys = new Map<Uint8Array, string>();
    const note = (a: Uint8Array, k: string) => {
      keys.set(a, k);
      if (!addrs.has(k)) addrs.set(k, a);
    };
    for (let i = 0; i < block.txs.length; i++) note(sanity.senders[i]!, sanity.sendersHex[i]!);
    for (const t of block.txs) note(t.to, toHex(t.to));
    note(block.miner, toHex(block.miner));
    const accounts = await this.tipAccounts(addrs);
    const overlay = new StateOverlay(new MapStateView(accounts), keys);
    const state = connectBlockState(block, overlay, this.params, sanity.senders);
    const sigVerdict = await sigs;
    if (!state.ok) return state;
    if (!sigVerdict.ok) return sigVerdict;
    const body = this.unwritten?.hex === n.hex ? this.unwritten : undefined;
    const changed = overlay.changed();
    try {
      await this.store.writeConnect({
        hash: n.hash, block, ids: sanity.ids, senders: sanity.senders, accounts: changed, prior: overlay.priorValues(),
        addressOf: (k) => overlay.addressOf(k), ...(body ? { body } : {}),
      });
    } catch (e) {
      this.accountCache.clear();
      throw e;
    }
    // Write-through: every changed account was read into the cache above (or the cache was emptied).
    for (const [k, a] of changed) if (this.accountCache.has(k)) this.accountCache.set(k, a);
    if (body) this.unwritten = undefined;
    noteBlockFacts(block, sanity.idsHex, sanity.senders);
    this.index.main.push(n);
    return ok(block);
  }

  /**
   * Accounts at the tip for connecting a block: from the cache of values read or written at the tip
   * (the miner and busy senders of a sync are read once, not per block), the rest from the store.
   * Only connect and disconnect change stored accounts, both on the chain's queue: connect writes its
   * new values through, disconnect (and any failed write) clears the cache.
   */
  private async tipAccounts(addresses: Map<string, Uint8Array>): Promise<Map<string, Account>> {
    const out = new Map<string, Account>();
    const missing: Uint8Array[] = [];
    for (const [hex, a] of addresses) {
      const hit = this.accountCache.get(hex);
      if (hit) out.set(hex, hit);
      else missing.push(a);
    }
    if (missing.length > 0) {
      if (this.accountCache.size + missing.length > this.maxCachedAccounts) this.accountCache.clear();
      const cache = missing.length <= this.maxCachedAccounts;
      for (const [hex, acct] of await this.store.getAccounts(missing)) {
        out.set(hex, acct);
        if (cache) this.accountCache.set(hex, acct);
      }
    }
    return out;
  }

  /** Accounts in the tip account cache (for tests). */
  get cachedAccountCount(): number {
    return this.accountCache.size;
  }

  private async disconnectTip(): Promise<Block> {
    const n = this.index.tip;
    if (n.height === 0) throw new NodeError('INTERNAL', 'cannot disconnect the genesis block');
    const { block, sanity } = await this.loadDecoded(n);
    const ids = sanity.ids.length === block.txs.length ? sanity.ids : block.txs.map(txId);
    const senders = sanity.senders.length === block.txs.length ? sanity.senders : block.txs.map(txSender);
    this.accountCache.clear();
    await this.store.writeDisconnect({ hash: n.hash, block, ids, senders });
    this.index.main.pop();
    return block;
  }
}
