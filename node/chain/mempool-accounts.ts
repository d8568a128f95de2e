/**
 * The mempool's cache of senders' tip accounts, so a burst of one sender's transactions reads the
 * database once, not once per transaction (that read was most of the admission cost). Valid for one
 * tip (tipId): any tip move clears it. Bounded, cleared when full. Reads through the function it is
 * given; no storage of its own. Imports core only.
 */
import { Account, EMPTY_ACCOUNT } from '../core/state-view.js';

/** Senders whose tip account the pool remembers (~100 bytes each). */
export const ACCOUNT_CACHE_MAX = 20_000;

export class MempoolAccounts {
  private readonly cache = new Map<string, Account>();
  private cacheTip = '';

  /**
   * `tipId` identifies the chain's current tip; without it nothing is cached and every call reads.
   * `max`: accounts cached at most.
   */
  constructor(
    private readonly read: (addresses: Uint8Array[]) => Promise<Map<string, Account>>,
    private readonly tipId: (() => string) | undefined,
    private readonly max: number,
  ) {}

  /** The account of `hex` when the cache holds it for the current tip (no promise), else undefined. */
  peek(hex: string): Account | undefined {
    return this.tipId && this.tipId() === this.cacheTip ? this.cache.get(hex) : undefined;
  }

  /** The account of `address` (hex `hex`) at the current tip: cached, or read and cached. */
  async get(address: Uint8Array, hex: string): Promise<Account> {
    if (!this.tipId) return (await this.read([address])).get(hex) ?? EMPTY_ACCOUNT;
    const tip = this.tipId();
    if (tip !== this.cacheTip || this.cache.size >= this.max) {
      this.cache.clear();
      this.cacheTip = tip;
    }
    const cached = this.cache.get(hex);
    if (cached) return cached;
    const acct = (await this.read([address])).get(hex) ?? EMPTY_ACCOUNT;
    // The tip may have moved during the read: cache only what is known to belong to `tip`.
    if (this.tipId() === tip) this.cache.set(hex, acct);
    return acct;
  }
}
