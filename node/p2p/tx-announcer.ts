/**
 * TxAnnouncer: which of the mempool's new transactions we announce to peers. Every one is, except a
 * replacement over its sender's relay budget (protocol/replacement-limit.ts): BIP-125 rule 4 makes each
 * replacement pay, this bounds the churn. A replacement is told apart by the mempool's 'removed' event
 * (reason 'replaced'), which comes right before the replacement's 'tx'.
 * Imports chain/mempool (its events only) and protocol/replacement-limit.
 */
import { Mempool } from '../chain/mempool.js';
import { toHex } from '../core/bytes.js';
import { Tx } from '../core/tx.js';
import { ReplacementRelayLimit } from './protocol/replacement-limit.js';

export class TxAnnouncer {
  /** Replacements accepted into the mempool but not announced (over their sender's relay budget). */
  replacementsNotRelayed = 0;
  private readonly replacementLimit = new ReplacementRelayLimit(() => performance.now());
  /** Set by the mempool's 'removed'/'replaced' event, which comes right before the replacement's 'tx'. */
  private replacing = false;
  private readonly onRemoved = (_ids: string[], reason: string) => {
    if (reason === 'replaced') this.replacing = true;
  };
  private readonly onTx = (tx: Tx, _idHex: string, id: Uint8Array) => {
    const replacement = this.replacing;
    this.replacing = false;
    // Replacements are relayed at a bounded rate per sender (BIP-125 rule 4 makes each pay; this bounds churn).
    if (replacement && !this.replacementLimit.allow(toHex(tx.from))) {
      this.replacementsNotRelayed++;
      return;
    }
    this.announce(id);
  };

  /** `announce` relays one transaction id to our peers. */
  constructor(
    private readonly mempool: Mempool,
    private readonly announce: (id: Uint8Array) => void,
  ) {}

  /** Starts following the mempool. */
  attach(): void {
    this.mempool.on('removed', this.onRemoved);
    this.mempool.on('tx', this.onTx);
  }

  /** Stops following the mempool. */
  detach(): void {
    this.mempool.off('tx', this.onTx);
    this.mempool.off('removed', this.onRemoved);
  }
}
