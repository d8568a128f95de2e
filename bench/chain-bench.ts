/**
 * Ledger benchmarks: connecting a 1,000-tx block cold (signatures unverified, checked on the worker
 * pool) and warm (all txs already verified by the mempool), mempool admission, and reopening a
 * 10,000-block datadir. Real LevelDB in temp dirs, node:crypto's sha256d as in the node. Each connect
 * also reports its CPU time per tx (process.cpuUsage: all threads, so cold includes the workers').
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chain } from '../node/chain/chain.js';
import { Mempool } from '../node/chain/mempool.js';
import { blockHash, Block } from '../node/core/block.js';
import { Tx } from '../node/core/tx.js';
import { fastVerifier } from '../node/verify/fast-verifier.js';
import { SigCache } from '../node/verify/sig-cache.js';
import { VerifyPool } from '../node/verify/verify-pool.js';
import { installNodeHash } from '../node/verify/node-hash.js';
import { DEV, COIN, makeBlock, makeTx, testParams } from '../test/helpers/chain-fixtures.js';
import { devAccounts } from '../node/core/dev-accounts.js';

/** 25 funded senders x 40 nonces: within the mempool's per-sender nonce window. */
const SENDERS = devAccounts(25);
const params = testParams({
  maxBlockTxs: 5000,
  allocations: SENDERS.map((a) => ({ address: a.address, balance: (1000n * COIN).toString() })),
});
const genesisRef = { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp };

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'minichain-bench-'));
}

/** 1,000 transfers: 25 senders x 40 consecutive nonces, to 8 recipients. */
function makeTxs(n = 1000): Tx[] {
  const txs: Tx[] = [];
  for (let i = 0; i < n; i++) {
    const s = i % SENDERS.length;
    txs.push(makeTx(params, SENDERS[s]!, DEV[i % 8]!.addressHash, COIN + BigInt(i), BigInt(Math.floor(i / SENDERS.length)), 1000n + BigInt(i % 7)));
  }
  return txs;
}

export interface ChainBench {
  blockConnectColdTxPerSec: number;
  blockConnectWarmTxPerSec: number;
  /** CPU time of the whole process (main thread, workers, GC, LevelDB threads) per tx, best run. */
  blockConnectColdCpuUsPerTx: number;
  /** CPU time per tx of a warm connect (no signature left to check: the main thread's own cost), best run. */
  blockConnectWarmCpuUsPerTx: number;
  mempoolAcceptTxPerSec: number;
  reopenMs: number;
}

export async function benchChain(log: (s: string) => void = () => {}): Promise<ChainBench> {
  installNodeHash(); // as every node runs (openChainState): node:crypto's sha256d
  const txs = makeTxs();
  const block = makeBlock(params, genesisRef, txs);
  const pool = VerifyPool.create();
  let cold = 0;
  let warm = 0;
  let coldCpu = Infinity;
  let warmCpu = Infinity;
  let mempoolRate = 0;
  try {
    for (let run = 0; run < 3; run++) {
      const dir = await tmp();
      const chain = await Chain.open({ dir, params, verifier: pool, sigCache: new SigCache() });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await chain.acceptBlock(block);
      const dt = performance.now() - t0;
      coldCpu = Math.min(coldCpu, cpuUsPerTx(c0, txs.length));
      if (!r.ok) throw new Error(`bench block rejected: ${r.reason}`);
      cold = Math.max(cold, txs.length / (dt / 1000));
      await chain.close();
      await rm(dir, { recursive: true, force: true });
    }
    log(`  cold connect: ${cold.toFixed(0)} tx/s, CPU ${coldCpu.toFixed(1)} us/tx (all threads)`);
    for (let run = 0; run < 3; run++) {
      const dir = await tmp();
      const sigCache = new SigCache();
      const chain = await Chain.open({ dir, params, verifier: pool, sigCache });
      const mempool = new Mempool({ chain, verifier: fastVerifier, sigCache });
      const m0 = performance.now();
      for (const tx of txs) {
        const v = await mempool.acceptTx(tx);
        if (!v.ok) throw new Error(`bench tx rejected: ${v.reason}`);
      }
      mempoolRate = Math.max(mempoolRate, txs.length / ((performance.now() - m0) / 1000));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await chain.acceptBlock(block);
      const dt = performance.now() - t0;
      warmCpu = Math.min(warmCpu, cpuUsPerTx(c0, txs.length));
      if (!r.ok) throw new Error(`bench block rejected: ${r.reason}`);
      warm = Math.max(warm, txs.length / (dt / 1000));
      await chain.close();
      await rm(dir, { recursive: true, force: true });
    }
    log(`  warm connect: ${warm.toFixed(0)} tx/s, CPU ${warmCpu.toFixed(1)} us/tx; mempool accept: ${mempoolRate.toFixed(0)} tx/s`);
  } finally {
    await pool.close();
  }
  const reopenMs = await benchReopen(10_000, log);
  return {
    blockConnectColdTxPerSec: Math.round(cold),
    blockConnectWarmTxPerSec: Math.round(warm),
    blockConnectColdCpuUsPerTx: round1(coldCpu),
    blockConnectWarmCpuUsPerTx: round1(warmCpu),
    mempoolAcceptTxPerSec: Math.round(mempoolRate), reopenMs };
}

function cpuUsPerTx(since: NodeJS.CpuUsage, n: number): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / n;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Builds an n-block datadir once, then times Chain.open on it (best of 3). */
async function benchReopen(n: number, log: (s: string) => void): Promise<number> {
  const dir = await tmp();
  try {
    const chain = await Chain.open({ dir, params });
    let parent = genesisRef;
    for (let h = 1; h <= n; h++) {
      const b: Block = makeBlock(params, parent, []);
      const r = await chain.acceptBlock(b);
      if (!r.ok) throw new Error(`reopen bench block rejected: ${r.reason}`);
      parent = { hash: blockHash(b.header), height: h, timestamp: b.header.timestamp };
      if (h % 2500 === 0) log(`  building ${n}-block datadir: ${h}`);
    }
    await chain.close();
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const c = await Chain.open({ dir, params });
      best = Math.min(best, performance.now() - t0);
      if (c.height !== n) throw new Error(`reopened at ${c.height}, expected ${n}`);
      await c.close();
    }
    log(`  reopen ${n}-block datadir: ${best.toFixed(0)} ms`);
    return Math.round(best);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
