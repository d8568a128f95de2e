/**
 * Block propagation with and without compact block relay (issue #9), on 5 real node processes
 * (dist/node/main.js) on loopback, ports 26300-26304 (P2P) and 26400-26404 (RPC) only.
 *
 * For each mode (default = compact blocks on; then every node with --no-compact) a fresh 5-node network
 * is started (seeds: the first three; every node waits for 4 peers). Each of ROUNDS rounds submits
 * TXS_PER_BLOCK pre-signed transfers (50 senders) to node 0 over JSON-RPC, waits until every mempool holds
 * all of them (the txs were already relayed, as on a live network), then node 0 mines one block holding
 * them (`generate 1`). A block's propagation delay to a node is the node's first-seen time of that
 * block as its tip (getArrivals: wall clock, one machine) minus node 0's. 4 receivers x ROUNDS blocks
 * give the median and p90; the ratio is compact / no-compact (the issue asks <= 0.5).
 * The same is then measured on a line (node i dials only node i-1, one outbound connection each): the
 * last node is 4 hops from the miner, so each hop's cost (announce, request, body, validation and
 * storage before relaying without compact blocks; a rebuild from the mempool with them) adds up.
 * Every process is started and stopped here by its PID; datadirs are temporary and removed.
 * Knobs (env): MINICHAIN_CMPCT_ROUNDS (default 8: the mesh gets that many blocks per mode, in two
 * networks of half as many each; the line half as many), MINICHAIN_CMPCT_TXS (txs per block),
 * MINICHAIN_CMPCT_TOPOLOGY=mesh|line (only that one; the other's figures are NaN),
 * MINICHAIN_CMPCT_PROF_DIR (each node writes a CPU profile to DIR/<run>-n<i>/).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../node/core/address.js';
import { toHex } from '../node/core/bytes.js';
import { devAccounts } from '../node/core/dev-accounts.js';
import { NodeError } from '../node/core/errors.js';
import { encodeTx, signTx } from '../node/core/tx.js';
import { packageRoot } from '../node/paths.js';
import { stopProcess } from '../node/testnet/launcher.js';
import { benchPort, benchRpc, waitUntil } from './bench-rpc.js';
import { cpuMs as processCpuMs } from './proc-stats.js';

export interface CompactBench {
  propagation5ProcP50Ms: number;
  propagation5ProcP90Ms: number;
  propagation5ProcP50MsNoCompact: number;
  propagation5ProcP90MsNoCompact: number;
  /** compact p50 / no-compact p50. */
  propagation5ProcRatio: number;
  /** The same on a line of 5 (1 to 4 hops). */
  propagationLineP50Ms: number;
  propagationLineP50MsNoCompact: number;
  propagationLineRatio: number;
  propagationLineP90Ms: number;
  propagationLineP90MsNoCompact: number;
  /**
   * The same delays counted from the moment the bench asked node 0 to mine (`generate` sent): they
   * include the miner's own template, proof of work and validation, which the figures above start after.
   */
  propagation5ProcFoundP50Ms: number;
  propagation5ProcFoundP50MsNoCompact: number;
  propagation5ProcFoundRatio: number;
  propagationLineFoundP50Ms: number;
  propagationLineFoundP50MsNoCompact: number;
  propagationLineFoundRatio: number;
  /** Median CPU time of all 5 nodes together per block (mesh), from `generate` until every node has it. */
  propagation5ProcCpuMsPerBlock: number;
  propagation5ProcCpuMsPerBlockNoCompact: number;
}

type Topology = 'mesh' | 'line';

const NODES = 5;
const SENDERS = 50;
const TXS_PER_BLOCK = Number(process.env.MINICHAIN_CMPCT_TXS ?? 1_000);
const ROUNDS = Number(process.env.MINICHAIN_CMPCT_ROUNDS ?? 8);
const CLIENTS = 16;
const P2P_BASE = benchPort(26_300);
const RPC_BASE = benchPort(26_400);
const ONLY = process.env.MINICHAIN_CMPCT_TOPOLOGY as Topology | undefined;
const PROF_DIR = process.env.MINICHAIN_CMPCT_PROF_DIR;

const rpc = benchRpc(CLIENTS);
const call = rpc.call;



function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function startNet(root: string, genesis: string, compact: boolean, topology: Topology): Promise<{ rpc: string; child: ChildProcess }[]> {
  const mainJs = join(packageRoot(), 'dist', 'node', 'main.js');
  const meshSeeds = Array.from({ length: 3 }, (_, i) => `ws://127.0.0.1:${P2P_BASE + i}`).join(',');
  const procs: { rpc: string; child: ChildProcess }[] = [];
  for (let i = 0; i < NODES; i++) {
    const prof = PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(PROF_DIR, `${topology}-${compact ? 'on' : 'off'}-${root.split('/').pop()}-n${i}`)}`] : [];
    const args = [...prof, mainJs, '--datadir', join(root, `n${i}`), '--port', String(P2P_BASE + i), '--rpc-port', String(RPC_BASE + i)];
    const seeds = topology === 'mesh' ? meshSeeds : i === 0 ? 'none' : `ws://127.0.0.1:${P2P_BASE + i - 1}`;
    if (topology === 'line') args.push('--max-outbound', i === 0 ? '0' : '1');
    args.push('--genesis', genesis, '--seeds', seeds, '--log-level', 'warn', '--refresh-interval', '1000');
    if (!compact) args.push('--no-compact');
    procs.push({ rpc: `http://127.0.0.1:${RPC_BASE + i}`, child: spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] }) });
    // A line is built one node at a time: each dials its seed before it learns of any other address.
    if (topology === 'line') await waitReady(procs, i, i > 0 ? 1 : 0);
  }
  for (let i = 0; i < NODES; i++) await waitReady(procs, i, 0);
  const want = (i: number) => (topology === 'mesh' ? NODES - 1 : i === 0 || i === NODES - 1 ? 1 : 2);
  try {
    await waitUntil(`the ${topology}`, 90_000, async () => (await Promise.all(procs.map((p) => call<unknown[]>(p.rpc, 'getPeers').catch(() => [])))).every((l, i) => l.length >= want(i)), 200);
  } catch (e) {
    await Promise.all(procs.map((q) => stopProcess(q.child, 10_000)));
    throw e;
  }
  return procs;
}

/** Waits until node i answers RPC with at least `peers` peers; stops every node on failure. */
async function waitReady(procs: { rpc: string; child: ChildProcess }[], i: number, peers: number): Promise<void> {
  const p = procs[i]!;
  try {
    await waitUntil(`node ${i} with ${peers} peers`, 30_000, async () => {
      if (p.child.exitCode !== null) throw new NodeError('INTERNAL', `bench: node ${i} exited with ${p.child.exitCode}`);
      return call<unknown[]>(p.rpc, 'getPeers').then(
        (l) => l.length >= peers,
        () => false,
      );
    }, 100);
  } catch (e) {
    await Promise.all(procs.map((q) => stopProcess(q.child, 10_000)));
    throw e;
  }
}

/** Sends the transfers through CLIENTS concurrent clients, each sender's in nonce order. */
async function submit(rpc: string, perSender: string[][]): Promise<void> {
  const queues = Array.from({ length: CLIENTS }, (_, c) => perSender.filter((_, k) => k % CLIENTS === c));
  await Promise.all(
    queues.map(async (senders) => {
      const longest = Math.max(0, ...senders.map((s) => s.length));
      for (let n = 0; n < longest; n++) for (const s of senders) if (n < s.length) await call(rpc, 'sendTransaction', [s[n]]);
    }),
  );
}

interface Delays {
  /** Receiver's first-seen time minus the miner's (its tip change), per receiver and block. */
  fromMiner: number[];
  /** Receiver's first-seen time minus the moment the bench asked node 0 to mine (`generate` sent). */
  fromAsk: number[];
  /** CPU time of all 5 node processes (every thread) per block, from `generate` until every node has it. */
  cpuMs: number[];
}

/** Pause after the last tip before CPU is read (see measure). */
const CPU_SETTLE_MS = 500;

async function measure(root: string, genesis: string, compact: boolean, topology: Topology, rounds: string[][][], log: (s: string) => void): Promise<Delays> {
  const procs = await startNet(root, genesis, compact, topology);
  const delays: number[] = [];
  const fromAsk: number[] = [];
  const cpuMs: number[] = [];
  const cpuNow = async () => procs.map((p) => processCpuMs(p.child.pid)).reduce((a, b) => a + b, 0);
  try {
    const [origin] = procs;
    // Warm-up: one empty block everywhere (connections and code paths hot).
    const [warm] = await call<string[]>(origin!.rpc, 'generate', [1]);
    await waitUntil('warm-up block everywhere', 30_000, async () => (await Promise.all(procs.map((p) => call<{ tip: string }>(p.rpc, 'getInfo')))).every((i) => i.tip === warm));
    for (const perSender of rounds) {
      const count = perSender.reduce((k, s) => k + s.length, 0);
      await submit(origin!.rpc, perSender);
      await waitUntil('every mempool full', 60_000, async () => (await Promise.all(procs.map((p) => call<{ mempool: number }>(p.rpc, 'getInfo')))).every((i) => i.mempool >= count), 20);
      const cpuBefore = await cpuNow();
      const asked = Date.now();
      const [hash] = await call<string[]>(origin!.rpc, 'generate', [1]);
      // Polled with the cheap getInfo (getArrivals serialises thousands of entries: CPU the nodes need now).
      await waitUntil(`block ${hash!.slice(0, 8)} everywhere`, 60_000, async () => (await Promise.all(procs.map((p) => call<{ tip: string }>(p.rpc, 'getInfo')))).every((i) => i.tip === hash), 20);
      // CPU is read after a settling pause, so work that follows a tip change (mempool clean-up,
      // announcements) counts in both modes, whichever finished its tip first.
      await new Promise((r) => setTimeout(r, CPU_SETTLE_MS));
      cpuMs.push((await cpuNow()) - cpuBefore);
      const seenAt = async (rpc: string) => (await call<{ blocks: { hash: string; t: number }[] }>(rpc, 'getArrivals')).blocks.find((b) => b.hash === hash)?.t;
      const times = await Promise.all(procs.map((p) => seenAt(p.rpc)));
      if (times.some((t) => t === undefined)) throw new NodeError('INTERNAL', `bench: block ${hash} is a tip without an arrival`);
      const t0 = times[0]!;
      delays.push(...times.slice(1).map((t) => t! - t0));
      fromAsk.push(...times.slice(1).map((t) => t! - asked));
    }
    log(`  ${topology}, ${compact ? 'compact   ' : 'no-compact'}: ${rounds.length} blocks of ${TXS_PER_BLOCK} txs to ${NODES - 1} nodes, delays ${[...delays].sort((a, b) => a - b).join(' ')} ms; from the generate call ${[...fromAsk].sort((a, b) => a - b).join(' ')} ms; CPU of all nodes per block ${cpuMs.map((c) => c.toFixed(0)).join(' ')} ms`);
  } finally {
    await Promise.all(procs.map((p) => stopProcess(p.child, 10_000)));
  }
  return { fromMiner: delays.sort((a, b) => a - b), fromAsk: fromAsk.sort((a, b) => a - b), cpuMs: cpuMs.sort((a, b) => a - b) };
}

export async function benchCompact(log: (s: string) => void): Promise<CompactBench> {
  const root = await mkdtemp(join(tmpdir(), 'minichain-cmpctbench-'));
  try {
    const senders = devAccounts(SENDERS, 'minichain bench sender');
    const base = JSON.parse(await readFile(join(packageRoot(), 'genesis.json'), 'utf8')) as Record<string, unknown>;
    const genesisJson = {
      ...base,
      // Easy proof of work: `generate` is instant, so the figures are relay, not mining.
      bits: '0x207fffff',
      devAccounts: { seed: 'minichain bench sender', count: SENDERS, derivation: 'bench only' },
      allocations: senders.map((s) => ({ address: encodeAddress(s.addressHash), balance: '10000000000000' })),
    };
    const genesis = join(root, 'genesis.json');
    await writeFile(genesis, JSON.stringify(genesisJson, null, 2));
    const chainId = Number(base.chainId);
    const perRound = Math.ceil(TXS_PER_BLOCK / SENDERS);
    log(`  signing ${ROUNDS * perRound * SENDERS} transfers ...`);
    const rounds = Array.from({ length: ROUNDS }, (_, r) =>
      senders.map((s, k) =>
        Array.from({ length: perRound }, (_, n) =>
          toHex(encodeTx(signTx({ chainId, from: s.publicKey, to: senders[(k + 1) % SENDERS]!.addressHash, amount: 1_000_000n, fee: 1_000n, nonce: BigInt(r * perRound + n) }, s.privateKey))),
        ),
      ),
    );
    // Alternated (off, on, off, on), so a change in the machine's load hits both modes alike.
    const half = rounds.slice(0, Math.ceil(rounds.length / 2));
    const off: Delays = { fromMiner: [], fromAsk: [], cpuMs: [] };
    const on: Delays = { fromMiner: [], fromAsk: [], cpuMs: [] };
    const add = (to: Delays, d: Delays) => {
      to.fromMiner.push(...d.fromMiner);
      to.fromAsk.push(...d.fromAsk);
      to.cpuMs.push(...d.cpuMs);
    };
    for (const k of ONLY === 'line' ? [] : [0, 1]) {
      add(off, await measure(join(root, `off${k}`), genesis, false, 'mesh', half, log));
      add(on, await measure(join(root, `on${k}`), genesis, true, 'mesh', half, log));
    }
    for (const d of [off, on]) for (const a of [d.fromMiner, d.fromAsk, d.cpuMs]) a.sort((x, y) => x - y);
    const ratio = (a: number, b: number) => Number((a / Math.max(1, b)).toFixed(2));
    const p50 = percentile(on.fromMiner, 50);
    const p50Off = percentile(off.fromMiner, 50);
    const found = percentile(on.fromAsk, 50);
    const foundOff = percentile(off.fromAsk, 50);
    const none: Delays = { fromMiner: [], fromAsk: [], cpuMs: [] };
    const line = async (compact: boolean) => (ONLY === 'mesh' ? none : measure(join(root, `line-${compact ? 'on' : 'off'}`), genesis, compact, 'line', half, log));
    const lineOff = await line(false);
    const lineOn = await line(true);
    return {
      propagation5ProcP50Ms: p50,
      propagation5ProcP90Ms: percentile(on.fromMiner, 90),
      propagation5ProcP50MsNoCompact: p50Off,
      propagation5ProcP90MsNoCompact: percentile(off.fromMiner, 90),
      propagation5ProcRatio: ratio(p50, p50Off),
      propagation5ProcFoundP50Ms: found,
      propagation5ProcFoundP50MsNoCompact: foundOff,
      propagation5ProcFoundRatio: ratio(found, foundOff),
      propagation5ProcCpuMsPerBlock: Math.round(percentile(on.cpuMs, 50)),
      propagation5ProcCpuMsPerBlockNoCompact: Math.round(percentile(off.cpuMs, 50)),
      propagationLineP50Ms: percentile(lineOn.fromMiner, 50),
      propagationLineP50MsNoCompact: percentile(lineOff.fromMiner, 50),
      propagationLineP90Ms: percentile(lineOn.fromMiner, 90),
      propagationLineP90MsNoCompact: percentile(lineOff.fromMiner, 90),
      propagationLineRatio: ratio(percentile(lineOn.fromMiner, 50), percentile(lineOff.fromMiner, 50)),
      propagationLineFoundP50Ms: percentile(lineOn.fromAsk, 50),
      propagationLineFoundP50MsNoCompact: percentile(lineOff.fromAsk, 50),
      propagationLineFoundRatio: ratio(percentile(lineOn.fromAsk, 50), percentile(lineOff.fromAsk, 50)),
    };
  } finally {
    rpc.destroy();
    await rm(root, { recursive: true, force: true });
  }
}
