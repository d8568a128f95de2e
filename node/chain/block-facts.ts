/**
 * Facts the chain computed while validating a block (tx ids, senders), kept with the block object so
 * that what follows a tip change (mempool, relay) does not hash every transaction again: at 100 txs a
 * block that was ~14 % of a signed sync's main thread. A WeakMap: an entry lives exactly as long as its
 * block object (the cap is the blocks still referenced). A block the chain did not validate falls back
 * to computing them.
 */
import { Block } from '../core/block.js';
import { txIdHex, txSender } from '../core/tx.js';

interface Facts {
  idsHex: string[];
  senders: Uint8Array[];
}

const facts = new WeakMap<Block, Facts>();

/** Recorded by the chain for a block it validated (ids and senders in tx order). */
export function noteBlockFacts(block: Block, idsHex: string[], senders: Uint8Array[]): void {
  if (idsHex.length === block.txs.length && senders.length === block.txs.length) facts.set(block, { idsHex, senders });
}

/** Hex tx ids of `block`, in order. */
export function txIdsHexOf(block: Block): string[] {
  return facts.get(block)?.idsHex ?? block.txs.map(txIdHex);
}

/** Senders' address hashes of `block`'s txs, in order. */
export function sendersOf(block: Block): Uint8Array[] {
  return facts.get(block)?.senders ?? block.txs.map(txSender);
}
