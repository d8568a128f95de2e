/**
 * The validated state of a node: the chain (ledger) and the mempool, sharing one signature cache, with
 * the mempool following every tip change. FullNode, the P2P test harness and the benchmarks all build
 * their nodes through here, so what is tested and measured is wired exactly like what runs.
 */
import { Chain } from './chain/chain.js';
import { Mempool } from './chain/mempool.js';
import { BatchSignatureVerifier } from './chain/sig-check.js';
import { ChainParams } from './core/params.js';
import { Log, silentLog } from './log.js';
import { BatchingVerifier } from './verify/batching-verifier.js';
import { activeVerifier, verifyActive } from './verify/fast-verifier.js';
import { SigCache } from './verify/sig-cache.js';
import { installNodeHash } from './verify/node-hash.js';

export interface ChainStateOptions {
  dir: string;
  params: ChainParams;
  /** Block signature checks; the worker pool in production, inline when omitted. */
  verifier?: BatchSignatureVerifier;
  sigCacheSize?: number;
  log?: Log;
  clock?: () => number;
}

export interface ChainState {
  chain: Chain;
  mempool: Mempool;
  sigCache: SigCache;
  /** Signatures the mempool verified (cache misses on entry; read by metrics). */
  readonly sigChecks: { mempool: number };
  /** Detaches the mempool and closes the chain database. */
  close(): Promise<void>;
}

/** @throws NodeError STORAGE_LOCKED / STORAGE_WRONG_GENESIS / STORAGE_CORRUPT from Chain.open */
export async function openChainState(o: ChainStateOptions): Promise<ChainState> {
  const log = o.log ?? silentLog;
  installNodeHash();
  const sigCache = new SigCache(o.sigCacheSize ?? 200_000);
  const chain = await Chain.open({ dir: o.dir, params: o.params, verifier: o.verifier, sigCache, log: log.child({ mod: 'chain' }), clock: o.clock });
  // Admission signatures go to the same worker pool as blocks', in small batches (batching-verifier.ts).
  // Both paths are counted for /metrics (sigChecks.mempool).
  const sigChecks = { mempool: 0 };
  const verifier = { verify: (msg: Uint8Array, sig: Uint8Array, pub: Uint8Array) => (sigChecks.mempool++, activeVerifier.verify(msg, sig, pub)) };
  const batching = o.verifier ? new BatchingVerifier({ pool: o.verifier, inline: verifyActive }) : undefined;
  const asyncVerifier = batching ? { verify: (msg: Uint8Array, sig: Uint8Array, pub: Uint8Array) => (sigChecks.mempool++, batching.verify(msg, sig, pub)) } : undefined;
  const mempool = new Mempool({ chain, verifier, sigCache, tipId: () => chain.tip.hashHex, ...(asyncVerifier ? { asyncVerifier } : {}), ...(o.clock ? { waitlist: { clock: o.clock } } : {}) });
  const onTip = (change: Parameters<Mempool['onTipChanged']>[0]) =>
    void mempool.onTipChanged(change).catch((e: unknown) => log.error({ err: e }, 'mempool update failed'));
  chain.on('tip', onTip);
  let closing: Promise<void> | undefined;
  return {
    chain,
    mempool,
    sigCache,
    sigChecks,
    close: () =>
      (closing ??= (async () => {
        chain.off('tip', onTip);
        await chain.close();
      })()),
  };
}
