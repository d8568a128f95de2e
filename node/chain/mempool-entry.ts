/**
 * A mempool entry: the transaction with what the pool orders and checks it by (sender, nonce, cost,
 * size, fee rate, arrival order), and the order in which entries are mined and, reversed, evicted.
 * Pure: imports core and sibling chain modules only.
 */
import { TX_SIZE, Tx } from '../core/tx.js';
import { PendingTx, compareFeeRate } from './policy.js';
import { TxFacts } from './tx-facts.js';

export interface MempoolEntry {
  id: Uint8Array;
  idHex: string;
  tx: Tx;
  /** The sender's 20-byte address hash. */
  sender: Uint8Array;
}

export interface PoolEntry extends MempoolEntry, PendingTx {
  senderHex: string;
  /** While waiting: the sender's next nonce when it was held (the first nonce of the gap). */
  gapFrom?: bigint;
  fee: bigint;
  /** Arrival order: on a fee-rate tie the older transaction is mined first and evicted last. */
  seq: number;
}

/** The entry of `tx`, the `seq`-th to arrive. */
export function entryOf(tx: Tx, facts: TxFacts, seq: number): PoolEntry {
  // Every transaction encodes to exactly TX_SIZE bytes (fixed-width format).
  return {
    id: facts.id,
    idHex: facts.idHex,
    tx,
    sender: facts.sender,
    senderHex: facts.senderHex,
    fee: tx.fee,
    nonce: tx.nonce,
    cost: tx.amount + tx.fee,
    size: TX_SIZE,
    seq,
  };
}

/** Higher fee rate first; on a tie, earlier arrival. */
export function minesBefore(a: PoolEntry, b: PoolEntry): boolean {
  const c = compareFeeRate(a, b);
  return c < 0 || (c === 0 && a.seq < b.seq);
}
