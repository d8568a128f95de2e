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
import { Block } from './core/block.js';
import { fromHex, toHex } from './core/bytes.js';
import { NodeError } from './core/errors.js';
import { addressHashOf, isValidPrivateKey, publicKeyOf } from './core/keys.js';
import { ChainParams } from './core/params.js';
import { Log } from './log.js';
import { Miner } from './miner/miner.js';
import { assembleBlock } from './miner/template.js';
import { loadOrCreateNodeKey, NodeKey } from './p2p/node-key.js';
import { P2PNode } from './p2p/p2p-node.js';
import { makeMethods } from './rpc/methods.js';
import { RpcServer } from './rpc/server.js';
import { VerifyPool } from './verify/verify-pool.js';
import { NodeConfig } from './config.js';
import { packageVersion } from './paths.js';

export class FullNode {
  private miner: Miner | undefined;
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
  ) {}

  /**
   * Opens the datadir, then starts P2P, RPC and (with --mine) the miner. On any failure everything
   * already started is stopped again before the error propagates.
   * @throws NodeError STORAGE_LOCKED / STORAGE_WRONG_GENESIS / CONFIG_ERROR (port in use, bad genesis)
   */
  static async start(config: NodeConfig, params: ChainParams, log: Log): Promise<FullNode> {
    await mkdir(config.datadir, { recursive: true });
    const cleanup: (() => Promise<void>)[] = [];
    try {
      const pool = VerifyPool.create();
      cleanup.push(() => pool.close());
      const state = await openChainState({ dir: join(config.datadir, 'chain'), params, verifier: pool, log });
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
      });
      await p2p.start();
      cleanup.push(() => p2p.stop());
      const node: FullNode = new FullNode(config, params, chain, mempool, p2p, undefined as unknown as RpcServer, nodeKey, pool, log);
      const rpc = new RpcServer(
        makeMethods({
          chain,
          mempool,
          nodeId: nodeKey.nodeId,
          version: packageVersion(),
          peers: () => p2p.peers(),
          syncing: () => p2p.syncing(),
          syncProgress: () => p2p.syncProgress(),
          submitTx: async (tx) => mempool.acceptTx(tx),
        }),
        log.child({ mod: 'rpc' }),
      );
      await rpc.start(config.rpcHost, config.rpcPort);
      cleanup.push(() => rpc.stop());
      (node as { rpc: RpcServer }).rpc = rpc;
      chain.on('tip', () => node.miner?.onTipChanged());
      if (config.mine) await node.startMining();
      return node;
    } catch (e) {
      for (const c of cleanup.reverse()) await c().catch(() => {});
      throw e;
    }
  }

  private async startMining(): Promise<void> {
    const minerHash = this.config.minerAddress ? decodeAddress(this.config.minerAddress) : await loadOrCreateMinerAddress(this.config.datadir);
    const { chain, mempool, params } = this;
    this.miner = new Miner({
      dutyCycle: this.config.mineDuty,
      log: this.log.child({ mod: 'miner' }),
      getTemplate: async (): Promise<Block> => {
        // Select first, then read the tip: the context then matches the state the selection saw
        // unless a block arrived in between, which the miner's onTipChanged abort covers.
        // 200 bytes of the budget are left for the header and body fields.
        const txs = await mempool.selectForBlock(params.maxBlockTxs, params.maxBlockBytes - 200);
        const ctx = chain.nextBlockContext();
        return assembleBlock(params, {
          parentHash: ctx.parentHash,
          parentHeight: ctx.parentHeight,
          bits: ctx.bits,
          timestamp: Math.max(Date.now(), ctx.minTimestamp),
          miner: minerHash,
          txs,
        });
      },
      submit: (b) => chain.acceptBlock(b),
    });
    this.miner.on('block', (b) => this.log.info({ height: b.header.height, txs: b.txs.length }, 'mined block'));
    this.miner.start();
    this.log.info({ miner: encodeAddress(minerHash), duty: this.config.mineDuty }, 'mining started');
  }

  /** Stops mining, closes sockets, flushes and closes the databases. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.miner?.stop().catch((e) => this.log.error({ err: e }, 'miner stop failed'));
      await this.rpc?.stop().catch((e) => this.log.error({ err: e }, 'rpc stop failed'));
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
