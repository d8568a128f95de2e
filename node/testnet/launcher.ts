/**
 * The local testnet: N node processes on loopback, P2P on basePort..basePort+N-1 (default 7001, the
 * hard-coded seed ports) and RPC on rpcBasePort.. (default basePort + 1000), each with its own datadir,
 * all bootstrapping from the first three nodes. Used by `npm run testnet` and by the end-to-end test,
 * so both exercise the same code.
 *
 * It trusts nothing that merely answers on a port: every port is checked free before any node starts,
 * each node's identity key is made before it starts, and a node counts as up only while its own process
 * is alive and its getInfo.nodeId is that key's. So a second testnet, or the tests, can never mistake
 * someone else's node for their own.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile, open, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { encodeAddress } from '../core/address.js';
import { toHex } from '../core/bytes.js';
import { devAccounts } from '../core/dev-accounts.js';
import { ChainParams } from '../core/params.js';
import { DEFAULT_P2P_PORT, RPC_PORT_OFFSET } from '../config.js';
import { packageRoot } from '../paths.js';
import { isPortFree } from '../port-check.js';
import { loadOrCreateNodeKey } from '../p2p/peers/node-key.js';
import { rpcCall } from '../rpc/client.js';
import { readCookie } from '../rpc/cookie.js';
import { NetnsNetwork, netnsNodeLayout } from './netns.js';

export interface TestnetOptions {
  nodes: number;
  miners: number;
  dir: string;
  reset?: boolean;
  /** First P2P port (default 7001); node i listens on basePort + i. */
  basePort?: number;
  /** First RPC port (default basePort + 1000). */
  rpcBasePort?: number;
  /** Called with one line per thing --reset removes. */
  onReset?: (line: string) => void;
  /** Fraction of a core each miner uses. */
  mineDuty?: number;
  /** Extra arguments for every node (e.g. a faster --refresh-interval in tests). */
  extraArgs?: string[];
  logLevel?: string;
  /** Start every node with --allow-faults (the test-only controls the dashboard's split/heal use). `npm run testnet` does unless --no-faults. */
  allowFaults?: boolean;
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
  /** The identity key's public half, which getInfo must report for this node to count as up. */
  nodeId: string;
  /** The exact command that started it: [node binary, script, ...options]. */
  command: string[];
  process: ChildProcess;
}

/** A node is up when its own process runs and the RPC on its port answers with its own nodeId. */
export type NodeHealth = 'ok' | 'exited' | 'no-answer' | 'foreign';

export function isAlive(n: TestnetNode): boolean {
  return n.process.exitCode === null && n.process.signalCode === null;
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
  const basePort = opts.basePort ?? DEFAULT_P2P_PORT;
  const rpcBasePort = opts.rpcBasePort ?? basePort + RPC_PORT_OFFSET;
  // In namespaces every node has its own IP, so loopback ports of this host are not involved.
  if (!opts.netns) await checkPortsFree(opts.nodes, basePort, rpcBasePort);
  if (opts.reset) await resetDir(dir, opts.onReset);
  await mkdir(dir, { recursive: true });
  // A nodes.json from an earlier run would name dead pids until this run is up.
  await rm(join(dir, 'nodes.json'), { force: true });
  const mainJs = join(packageRoot(), 'dist', 'node', 'main.js');
  const minerSet = pickMiners(opts.nodes, opts.miners);
  const seedCount = Math.min(3, opts.nodes);
  const seeds = Array.from({ length: seedCount }, (_, i) => `ws://127.0.0.1:${basePort + i}`).join(',');
  const nodes: TestnetNode[] = [];
  const testnet = new Testnet(dir, nodes, accountsFor(params));
  try {
    for (let i = 0; i < opts.nodes; i++) {
      // The seeds first: a node dialling seeds that do not listen yet would wait a whole refresh
      // interval (10 s) to retry, and a block mined meanwhile would reach nobody.
      if (i === seedCount) await Promise.all(nodes.map((n) => waitForRpc(n)));
      const port = basePort + i;
      const rpcPort = rpcBasePort + i;
      const datadir = join(dir, `node${i + 1}`);
      await mkdir(datadir, { recursive: true });
      // The launcher makes the identity key, so it knows whom to expect on the node's RPC port.
      const { nodeId } = await loadOrCreateNodeKey(datadir);
      const logFile = await open(join(datadir, 'node.log'), 'a');
      const args = [mainJs, '--datadir', datadir, '--port', String(port), '--rpc-port', String(rpcPort), '--seeds', seeds, '--log-level', opts.logLevel ?? 'info', ...(opts.extraArgs ?? [])];
      const miner = minerSet.has(i);
      if (miner) args.push('--mine', '--mine-duty', String(opts.mineDuty ?? 0.3));
      if (opts.allowFaults) args.push('--allow-faults');
      // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops each node
      // once, by PID, so every node gets exactly one SIGTERM and shuts down cleanly.
      const ns = opts.netns ? netnsNodeLayout(opts.netns.net, i, opts.netns.port, opts.netns.rpcPort) : undefined;
      // In a namespace the node listens on its own IP; nodeArgs bring --host, --rpc-host, --rpc-port and --seeds.
      if (ns) args.splice(args.indexOf('--port'), 6, '--port', String(ns.port), ...ns.nodeArgs);
      const command = ns ? [ns.command, ...ns.prefixArgs, ...args] : [process.execPath, ...args];
      const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', logFile.fd, logFile.fd], detached: true });
      await logFile.close();
      const [host, p2pPort, nodeRpcPort] = ns ? [ns.host, ns.port, ns.rpcPort] : ['127.0.0.1', port, rpcPort];
      nodes.push({ index: i + 1, p2p: `ws://${host}:${p2pPort}`, rpc: `http://${host}:${nodeRpcPort}`, pid: child.pid!, datadir, miner, nodeId, command, process: child });
    }
    await Promise.all(nodes.map((n) => waitForRpc(n)));
    await writeFile(join(dir, 'nodes.json'), JSON.stringify(nodes.map(nodeRecord), null, 2) + '\n');
    await writeFile(join(dir, 'accounts.json'), JSON.stringify(testnet.accounts, null, 2) + '\n', { mode: 0o600 });
    return testnet;
  } catch (e) {
    await testnet.stop(3000);
    throw e;
  }
}

/** What nodes.json says about a node: enough to find it, check it and restart it by hand. */
function nodeRecord(n: TestnetNode) {
  return {
    index: n.index,
    p2p: n.p2p,
    rpc: n.rpc,
    pid: n.pid,
    nodeId: n.nodeId,
    datadir: n.datadir,
    log: join(n.datadir, 'node.log'),
    miner: n.miner,
    command: n.command,
    commandLine: n.command.map(shellQuote).join(' '),
  };
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Deletes the testnet directory, saying what goes. */
async function resetDir(dir: string, say?: (line: string) => void): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch {
    return;
  }
  say?.(`--reset: removing ${dir} (${entries.length === 0 ? 'empty' : entries.join(', ')})`);
  await rm(dir, { recursive: true, force: true });
}

/**
 * Fails before anything starts if a P2P or RPC port is taken.
 * @throws Error, one line naming the port, who needed it and the option that moves the testnet.
 */
export async function checkPortsFree(count: number, basePort: number, rpcBasePort: number): Promise<void> {
  if (basePort < 1 || basePort + count - 1 > 65535 || rpcBasePort < 1 || rpcBasePort + count - 1 > 65535)
    throw new Error(`ports ${basePort}.. and ${rpcBasePort}.. do not fit ${count} nodes below 65536`);
  for (let i = 0; i < count; i++) {
    for (const [port, what] of [[basePort + i, 'P2P'], [rpcBasePort + i, 'RPC']] as const) {
      if (!(await isPortFree(port)))
        throw new Error(`port ${port} (node ${i + 1} ${what}) is already in use, perhaps by another testnet; stop it or pick free ports with --base-port <port>`);
    }
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

/** getInfo of a node that is really this node: its process alive and the nodeId its own. */
export async function checkNode<T extends { nodeId: string }>(n: TestnetNode, timeoutMs = 1000): Promise<{ health: NodeHealth; info?: T }> {
  if (!isAlive(n)) return { health: 'exited' };
  let info: T;
  try {
    info = await rpcCall<T>(await authedUrl(n), 'getInfo', [], timeoutMs);
  } catch {
    return { health: isAlive(n) ? 'no-answer' : 'exited' };
  }
  if (info.nodeId !== n.nodeId) return { health: 'foreign', info };
  return { health: isAlive(n) ? 'ok' : 'exited', info };
}

/**
 * The node's RPC URL, with the credentials from its datadir's .cookie when it has one (a node whose RPC
 * listens beyond loopback), so the launcher talks to such nodes as the wallet does with --rpc-cookie.
 */
export async function authedUrl(n: Pick<TestnetNode, 'rpc' | 'datadir'>): Promise<string> {
  const cookie = await readCookie(n.datadir).catch(() => undefined);
  if (!cookie) return n.rpc;
  const u = new URL(n.rpc);
  const colon = cookie.indexOf(':');
  u.username = encodeURIComponent(cookie.slice(0, colon));
  u.password = encodeURIComponent(cookie.slice(colon + 1));
  return u.toString();
}

/** The last line of a node's log, for a one-line error (a node's own error line is its last). */
async function lastLine(path: string): Promise<string> {
  try {
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    return (lines[lines.length - 1] ?? '').slice(0, 300);
  } catch {
    return 'no log';
  }
}

async function waitForRpc(n: TestnetNode, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = join(n.datadir, 'node.log');
  while (Date.now() < deadline) {
    const { health } = await checkNode(n);
    if (health === 'ok') return;
    if (health === 'exited') throw new Error(`node ${n.index} exited with code ${n.process.exitCode ?? n.process.signalCode}: ${await lastLine(log)} (see ${log})`);
    if (health === 'foreign') throw new Error(`another node answers on ${n.rpc} (not node ${n.index}, whose key is in ${n.datadir}); stop it or use --base-port`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`node ${n.index} did not answer on ${n.rpc} within ${timeoutMs} ms; see ${log}`);
}
