/**
 * A full node assembled from its parts: chain (ledger), mempool, signature pool, P2P, RPC and an
 * optional miner. Start order follows dependencies; stop runs in reverse. No CLI parsing here.
 */
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Chain } from './chain/chain.js';
import { Mempool } from './chain/mempool.js';
import { openChainState } from './chain-state.js';
import { decodeAddress, encodeAddress } from './core/address.js';
import { blockHashHex } from './core/block.js';
import { fromHex, toHex } from './core/bytes.js';
import { NodeError } from './core/errors.js';
import { addressHashOf, isValidPrivateKey, publicKeyOf } from './core/keys.js';
import { ChainParams } from './core/params.js';
import { Log } from './log.js';
import { Miner } from './miner/miner.js';
import { makeTemplateSource } from './miner/template-source.js';
import { loadOrCreateNodeKey, NodeKey } from './p2p/peers/node-key.js';
import { P2PNode } from './p2p/p2p-node.js';
import { makeMethods } from './rpc/methods.js';
import { RpcServer } from './rpc/server.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { removeCookie, rpcAccessFor } from './rpc/cookie.js';
import { VerifyPool } from './verify/verify-pool.js';
import { activeVerifyPath } from './verify/fast-verifier.js';
import { nativeLoadError } from './verify/native-verifier.js';
import { NodeConfig } from './config.js';
import { Arrivals } from './faults/arrivals.js';
import { NodeClock } from './faults/node-clock.js';
import { makeFaultOps, makeOperatorOps } from './faults/operator-ops.js';
import { packageVersion } from './paths.js';

export class FullNode {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: NodeConfig,
    readonly params: ChainParams,
    readonly chain: Chain,
    readonly mempool: Mempool,
    readonly p2p: P2PNode,
    readonly rpc: RpcServer,
    readonly nodeKey: NodeKey,
    private readonly pool: VerifyPool,
    private readonly log: Log,
    /** The node's clock: real time unless a test moved it (setMockTime, --allow-faults only). */
    readonly clock: NodeClock,
    /** First-seen times of recent blocks and transactions (getArrivals). */
    readonly arrivals: Arrivals,
    /** The miner, with --mine. */
    private readonly miner: Miner | undefined,
  ) {}

  /**
   * Opens the datadir, then starts P2P, RPC and (with --mine) the miner. On any failure everything
   * already started is stopped again before the error propagates.
   * @throws NodeError STORAGE_LOCKED / STORAGE_WRONG_GENESIS / CONFIG_ERROR (port in use, bad genesis)
   */
  static async start(config: NodeConfig, params: ChainParams, log: Log): Promise<FullNode> {
    await mkdir(config.datadir, { recursive: true });
    const cleanup: (() => Promise<void>)[] = [];
    const clock = new NodeClock();
    try {
      const pool = VerifyPool.create();
      cleanup.push(() => pool.close());
      // Which signature path runs (issue #9): native libsecp256k1 when its binding loads, else OpenSSL.
      log.info({ verifyPath: activeVerifyPath, ...(nativeLoadError ? { nativeUnavailable: nativeLoadError } : {}) }, 'signature verification');
      const state = await openChainState({ dir: join(config.datadir, 'chain'), params, verifier: pool, log, clock: clock.now });
      cleanup.push(() => state.close());
      const { chain, mempool } = state;
      const nodeKey = await loadOrCreateNodeKey(config.datadir);
      const p2p = new P2PNode({
        chain,
        mempool,
        nodeKey,
        datadir: config.datadir,
        host: config.host,
        port: config.port,
        seeds: config.seeds,
        log: log.child({ mod: 'p2p' }),
        maxOutbound: config.maxOutbound,
        maxInbound: config.maxInbound,
        refreshIntervalMs: config.refreshIntervalMs,
        ...(config.externalAddress ? { externalAddress: config.externalAddress } : {}),
        ...(config.compact === false ? { compact: false } : {}),
      });
      // Prometheus metrics, served on the RPC port at GET /metrics.
      const metrics = new NodeMetrics();
      metrics.attach({ chain, mempool, p2p, sigCache: state.sigCache, sigChecks: () => ({ block: pool.verified, mempool: state.sigChecks.mempool }) });
      cleanup.push(async () => metrics.detach());
      await p2p.start();
      cleanup.push(() => p2p.stop());
      const arrivals = new Arrivals();
      chain.on('tip', (c) => {
        for (const b of c.connected) arrivals.block(blockHashHex(b.header), b.header.height);
        arrivals.reorg(c.disconnected.length);
      });
      mempool.on('tx', (_tx, id) => arrivals.tx(id));
      mempool.on('removed', (ids, reason) => arrivals.removed(ids, reason));
      let payTo: Uint8Array | undefined;
      const payee = async () => (payTo ??= config.minerAddress ? decodeAddress(config.minerAddress) : await loadOrCreateMinerAddress(config.datadir));
      const template = makeTemplateSource({ params, chain, mempool, now: clock.now, payee });
      const miner = config.mine
        ? new Miner({ dutyCycle: config.mineDuty, log: log.child({ mod: 'miner' }), getTemplate: () => template(), submit: (b) => chain.acceptBlock(b, p2p.pushNewBlock(b)) })
        : undefined;
      const parts = { chain, mempool, p2p, arrivals, clock, template };
      const rpc = new RpcServer(
        makeMethods({
          chain,
          mempool,
          nodeId: nodeKey.nodeId,
          version: packageVersion(),
          peers: () => p2p.peers(),
          syncing: () => p2p.syncing(),
          syncProgress: () => p2p.syncProgress(),
          submitTx: (tx, wire) => mempool.acceptTx(tx, undefined, wire),
          mining: () => miner?.isRunning ?? false,
          ops: makeOperatorOps(parts),
          ...(config.allowFaults ? { faults: makeFaultOps(parts) } : {}),
        }),
        log.child({ mod: 'rpc' }),
        await rpcAccessFor(config),
        metrics,
      );
      await rpc.start(config.rpcHost, config.rpcPort);
      cleanup.push(() => rpc.stop());
      cleanup.push(() => removeCookie(config.datadir));
      if (config.allowFaults) log.warn({}, 'test-only controls enabled (--allow-faults): setMockTime, setPeerFilter, setLinkFault');
      if (miner) {
        chain.on('tip', () => miner.onTipChanged());
        miner.on('block', (b) => log.info({ height: b.header.height, txs: b.txs.length }, 'mined block'));
        const payout = await payee();
        miner.start();
        cleanup.push(() => miner.stop());
        log.info({ miner: encodeAddress(payout), duty: config.mineDuty }, 'mining started');
      }
      return new FullNode(config, params, chain, mempool, p2p, rpc, nodeKey, pool, log, clock, arrivals, miner);
    } catch (e) {
      for (const c of cleanup.reverse()) await c().catch(() => {});
      throw e;
    }
  }

  /** Stops mining, closes sockets, flushes and closes the databases. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.miner?.stop().catch((e) => this.log.error({ err: e }, 'miner stop failed'));
      await this.rpc.stop().catch((e) => this.log.error({ err: e }, 'rpc stop failed'));
      await removeCookie(this.config.datadir).catch((e) => this.log.error({ err: e }, 'removing the RPC cookie failed'));
      await this.p2p.stop().catch((e) => this.log.error({ err: e }, 'p2p stop failed'));
      await this.chain.close().catch((e) => this.log.error({ err: e }, 'chain close failed'));
      await this.pool.close().catch(() => {});
    })();
    return this.stopping;
  }
}

/** The default miner payout: a key kept in the datadir (miner.key, 0600), created on first use. */
async function loadOrCreateMinerAddress(datadir: string): Promise<Uint8Array> {
  const path = join(datadir, 'miner.key');
  let key: Uint8Array;
  try {
    key = fromHex((await readFile(path, 'utf8')).trim());
    if (!isValidPrivateKey(key)) throw new Error('not a valid secp256k1 key');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new NodeError('CONFIG_ERROR', `miner key ${path} is unreadable: ${(e as Error).message}`);
    do key = randomBytes(32);
    while (!isValidPrivateKey(key));
    await writeFile(path + '.tmp', toHex(key) + '\n', { mode: 0o600 });
    await rename(path + '.tmp', path);
  }
  return addressHashOf(publicKeyOf(key));
}
