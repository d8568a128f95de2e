/**
 * What a tip move (a connect or a reorg) means for the mempool, as pure steps: which transactions
 * the connected blocks mined, which accounts the move touched, which transactions of disconnected
 * blocks to re-admit, and a sender's new chain once its pending and re-admitted transactions meet
 * its account at the new tip. The mempool applies them (mempool.ts onTipChanged).
 * Imports core and sibling chain modules only.
 */
import { Block } from '../core/block.js';
import { toHex } from '../core/bytes.js';
import { Account } from '../core/state-view.js';
import { Tx } from '../core/tx.js';
import { sendersOf, txIdsHexOf } from './block-facts.js';
import { PoolEntry } from './mempool-entry.js';
import { fundableChain } from './policy.js';

export interface TipMove {
  /** Every account whose state the move changed: senders, recipients and miners on both sides (hex). */
  touched: Set<string>;
  /** Ids (hex) of the connected blocks' transactions. */
  mined: Set<string>;
  /** Per sender hex, the disconnected blocks' transactions to re-admit. */
  readmit: Map<string, PoolEntry[]>;
}

/**
 * Reads the move. A disconnected transaction is re-admitted unless the new branch mined it or
 * `wanted` refuses its entry (made by `toEntry`).
 */
export function planTipMove(
  connected: Block[],
  disconnected: Block[],
  toEntry: (tx: Tx) => PoolEntry,
  wanted: (e: PoolEntry) => boolean,
): TipMove {
  const touched = new Set<string>();
  const mined = new Set<string>();
  for (const b of connected) {
    touched.add(toHex(b.miner));
    const ids = txIdsHexOf(b);
    const senders = sendersOf(b);
    for (let i = 0; i < b.txs.length; i++) {
      mined.add(ids[i]!);
      touched.add(toHex(senders[i]!)).add(toHex(b.txs[i]!.to));
    }
  }
  const readmit = new Map<string, PoolEntry[]>();
  for (const b of disconnected) {
    touched.add(toHex(b.miner));
    for (const tx of b.txs) {
      const e = toEntry(tx);
      touched.add(e.senderHex).add(toHex(tx.to));
      if (mined.has(e.idHex) || !wanted(e)) continue;
      const list = readmit.get(e.senderHex) ?? [];
      list.push(e);
      readmit.set(e.senderHex, list);
    }
  }
  return { touched, mined, readmit };
}

/**
 * A sender's chain after the move: its pending entries `old` and re-admitted `readmit` merged by
 * nonce, cut to what its tip `account` funds without a gap (policy fundableChain).
 */
export function mergeSenderChain(old: PoolEntry[], readmit: PoolEntry[], account: Account, maxNonceAhead: number): PoolEntry[] {
  // A block's transaction wins a nonce slot over a pending one: it is what the old branch agreed on.
  const bySlot = new Map<bigint, PoolEntry>();
  for (const e of [...old, ...readmit]) bySlot.set(e.nonce, e);
  const merged = [...bySlot.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : 1));
  return fundableChain(merged, account, maxNonceAhead);
}
