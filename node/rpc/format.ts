/**
 * JSON views of chain objects for RPC: hex at the edge, amounts and nonces as decimal strings of
 * base units (never JSON numbers: they would lose precision above 2^53).
 */
import { Block, blockHash } from '../core/block.js';
import { toHex } from '../core/bytes.js';
import { encodeAddress } from '../core/address.js';
import { compactToTarget } from '../core/pow.js';
import { Tx, txId, txSender } from '../core/tx.js';

/** What `getInfo` answers: one type for the node that answers it and the tools that read it. */
export interface InfoJson {
  chainId: number;
  network: string;
  genesisHash: string;
  height: number;
  tip: string;
  /** Cumulative chain work, decimal string. */
  work: string;
  peers: number;
  mempool: number;
  nodeId: string;
  version: string;
  syncing: boolean;
  mining: boolean;
  lastBlockTime: number;
  lastBlockAgeSec: number;
  /** Headers-first sync: best header height, download rate, seconds to reach it. */
  headerHeight: number;
  blocksPerSec: number;
  etaSec: number | null;
}

export interface TxJson {
  id: string;
  from: string;
  to: string;
  amount: string;
  fee: string;
  nonce: string;
}

export function txToJson(tx: Tx, id = txId(tx)): TxJson {
  return {
    id: toHex(id),
    from: encodeAddress(txSender(tx)),
    to: encodeAddress(tx.to),
    amount: tx.amount.toString(),
    fee: tx.fee.toString(),
    nonce: tx.nonce.toString(),
  };
}

export function blockToJson(b: Block, confirmations?: number) {
  const h = b.header;
  return {
    hash: toHex(blockHash(h)),
    height: h.height,
    prevHash: toHex(h.prevHash),
    merkleRoot: toHex(h.merkleRoot),
    timestamp: h.timestamp,
    bits: '0x' + h.bits.toString(16).padStart(8, '0'),
    target: compactToTarget(h.bits).toString(16).padStart(64, '0'),
    nonce: h.nonce.toString(),
    miner: encodeAddress(b.miner),
    reward: b.reward.toString(),
    ...(confirmations === undefined ? {} : { confirmations }),
    txs: b.txs.map((t) => txToJson(t)),
  };
}
