/**
 * The local testnet: N node processes on loopback, the first three on the hard-coded seed ports
 * 7001-7003, each with its own datadir, all bootstrapping from the hard-coded seeds alone.
 * Used by `npm run testnet` and by the end-to-end test, so both exercise the same code.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { encodeAddress } from '../core/address.js';
import { toHex } from '../core/bytes.js';
import { devAccounts } from '../core/dev-accounts.js';
import { ChainParams } from '../core/params.js';
import { DEFAULT_P2P_PORT, RPC_PORT_OFFSET } from '../config.js';
import { packageRoot } from '../paths.js';
import { rpcCall } from '../rpc/client.js';
import { NetnsNetwork, netnsNodeLayout } from './netns.js';

export interface TestnetOptions {
  nodes: number;
  miners: number;
  dir: string;
  reset?: boolean;
  basePort?: number;
  /** RPC port = P2P port + this (default RPC_PORT_OFFSET, 1000). */
  rpcPortOffset?: number;
  /** Fraction of a core each miner uses. */
  mineDuty?: number;
  /** Extra arguments for every node (e.g. a faster --refresh-interval in tests). */
  extraArgs?: string[];
  logLevel?: string;
  /** Multi-host mode (`--hosts`): one network namespace per node, created by the caller (netns.ts). */
  netns?: { net: NetnsNetwork; port: number; rpcPort: number };
}

export interface TestnetNode {
  index: number;
  p2p: string;
  rpc: string;
  pid: number;
  datadir: string;
  miner: boolean;
  process: ChildProcess;
}

export interface DevAccountInfo {
  address: string;
  privateKey: string;
}

export class Testnet {
  private stopping: Promise<void> | undefined;
  constructor(readonly dir: string, readonly nodes: TestnetNode[], readonly accounts: DevAccountInfo[]) {}

  /** SIGTERM to every node by PID, SIGKILL after a grace period. Data is kept. */
  stop(graceMs = 10_000): Promise<void> {
    this.stopping ??= Promise.all(this.nodes.map((n) => stopProcess(n.process, graceMs))).then(() => {});
    return this.stopping;
  }
}

export function stopProcess(p: ChildProcess, graceMs: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    p.kill('SIGTERM');
  });
}

export function accountsFor(params: ChainParams): DevAccountInfo[] {
  const dev = params.devAccounts;
  if (!dev) return [];
  return devAccounts(dev.count, dev.seed).map((a) => ({ address: encodeAddress(a.addressHash), privateKey: toHex(a.privateKey) }));
}

/**
 * Starts the nodes and waits until every RPC answers. Miners are spread over the nodes (every
 * ceil(N/K)-th node, starting with the first non-seed node when there is one).
 * @throws Error naming the node that failed to start (its log path included).
 */
export async function startTestnet(opts: TestnetOptions, params: ChainParams): Promise<Testnet> {
  const dir = resolve(opts.dir);
  if (opts.reset) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const basePort = opts.basePort ?? DEFAULT_P2P_PORT;
  const mainJs = join(packageRoot(), 'dist', 'node', 'main.js');
  const minerSet = pickMiners(opts.nodes, opts.miners);
  const nodes: TestnetNode[] = [];
  const testnet = new Testnet(dir, nodes, accountsFor(params));
  try {
    for (let i = 0; i < opts.nodes; i++) {
      const port = basePort + i;
      const datadir = join(dir, `node${i + 1}`);
      await mkdir(datadir, { recursive: true });
      const logFile = await open(join(datadir, 'node.log'), 'a');
      const rpcPort = port + (opts.rpcPortOffset ?? RPC_PORT_OFFSET);
      const args = [mainJs, '--datadir', datadir, '--port', String(port), '--rpc-port', String(rpcPort), '--log-level', opts.logLevel ?? 'info', ...(opts.extraArgs ?? [])];
      const miner = minerSet.has(i);
      if (miner) args.push('--mine', '--mine-duty', String(opts.mineDuty ?? 0.3));
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops each node
      // once, by PID, so every node gets exactly one SIGTERM and shuts down cleanly.
      const ns = opts.netns ? netnsNodeLayout(opts.netns.net, i, opts.netns.port, opts.netns.rpcPort) : undefined;
      if (ns) args.splice(args.indexOf('--port'), 2, '--port', String(ns.port), ...ns.nodeArgs);
      const child = ns
        ? spawn(ns.command, [...ns.prefixArgs, ...args], { stdio: ['ignore', logFile.fd, logFile.fd], detached: true })
        : spawn(process.execPath, args, { stdio: ['ignore', logFile.fd, logFile.fd], detached: true });
      await logFile.close();
      const [host, p2pPort, nodeRpcPort] = ns ? [ns.host, ns.port, ns.rpcPort] : ['127.0.0.1', port, rpcPort];
      nodes.push({ index: i + 1, p2p: `ws://${host}:${p2pPort}`, rpc: `http://${host}:${nodeRpcPort}`, pid: child.pid!, datadir, miner, process: child });
    }
    await Promise.all(nodes.map((n) => waitForRpc(n)));
    await writeFile(join(dir, 'nodes.json'), JSON.stringify(nodes.map(({ p2p, rpc, pid, datadir, miner }) => ({ p2p, rpc, pid, datadir, miner })), null, 2) + '\n');
    await writeFile(join(dir, 'accounts.json'), JSON.stringify(testnet.accounts, null, 2) + '\n', { mode: 0o600 });
    return testnet;
  } catch (e) {
    await testnet.stop(3000);
    throw e;
  }
}

function pickMiners(n: number, k: number): Set<number> {
  const out = new Set<number>();
  const count = Math.max(0, Math.min(k, n));
  if (count === 0) return out;
  const start = n > 3 ? 3 : 0;
  for (let j = 0; out.size < count && j < n * 2; j++) out.add((start + Math.floor((j * n) / count)) % n);
  return out;
}

async function waitForRpc(n: TestnetNode, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (n.process.exitCode !== null) throw new Error(`node ${n.index} exited with code ${n.process.exitCode}; see ${join(n.datadir, 'node.log')}`);
    try {
      await rpcCall(n.rpc, 'getInfo', [], 1000);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`node ${n.index} did not answer on ${n.rpc} within ${timeoutMs} ms; see ${join(n.datadir, 'node.log')}`);
}
