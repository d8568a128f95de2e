/**
 * The mempool's outer shape: what it sees of the chain (MempoolChainView: no import of chain.ts),
 * its options, the signature verifier it may be given, and the events it emits. Types only.
 * Imports core and sibling chain modules only.
 */
import { Block } from '../core/block.js';
import { SignatureVerifier } from '../core/keys.js';
import { ChainParams } from '../core/params.js';
import { Account } from '../core/state-view.js';
import { Tx } from '../core/tx.js';
import { SigCache } from '../verify/sig-cache.js';
import { NonceWaitlistOptions } from './nonce-waitlist.js';

export interface MempoolChainView {
  readonly params: ChainParams;
  /** Accounts at the current tip, keyed by hex address hash; missing -> EMPTY_ACCOUNT. */
  getAccounts(addresses: Uint8Array[]): Promise<Map<string, Account>>;
}

export interface MempoolOptions {
  chain: MempoolChainView;
  verifier: SignatureVerifier;
  sigCache: SigCache;
  maxCount?: number;
  maxBytes?: number;
  maxNonceAhead?: number;
  /** Verifies admission signatures concurrently (batched on the worker pool); inline when omitted. */
  asyncVerifier?: AsyncSignatureVerifier;
  /**
   * Identifies the chain's current tip (its hash): tip accounts read for admission are cached until it
   * changes. Without it every admission reads its sender's account from the chain view.
   */
  tipId?: () => string;
  /** Tip accounts cached (default 20,000); when full the cache is cleared. */
  accountCacheMax?: number;
  /** The waiting area's bounds; its clock defaults to Date.now (the mempool itself reads no clock). */
  waitlist?: Partial<NonceWaitlistOptions>;
}

export interface AsyncSignatureVerifier {
  /** Resolves with the verdict; never rejects. */
  verify(msg: Uint8Array, sig: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
}

/** Why transactions left the pool: included in a block, no longer valid at the tip, outbid, or pushed out. */
export type RemovalReason = 'mined' | 'stale' | 'replaced' | 'evicted';

export type MempoolEvents = {
  /** A transaction accepted by acceptTx (not re-admissions after a reorg: peers already saw those). */
  tx: [tx: Tx, idHex: string, id: Uint8Array];
  removed: [idHexes: string[], reason: RemovalReason];
  /** A transaction acceptTx refused (any source: RPC or a peer), with the verdict's reason. */
  rejected: [reason: string];
};

export interface TipChange {
  connected: Block[];
  disconnected: Block[];
}
