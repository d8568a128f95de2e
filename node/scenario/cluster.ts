/**
 * The scenario runner's node processes: spawned on loopback with --allow-faults, killed with SIGKILL
 * or stopped with SIGTERM by PID, restarted on the same datadir and ports. Every exit the runner did
 * not cause is recorded (the "no node died that the scenario did not kill" invariant).
 * Services ring: spawns dist/node/main.js, talks to nodes over JSON-RPC only; never imported by the node.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { rpcCall } from '../rpc/client.js';

/** RPC port = P2P port + this, so a scenario uses one block of ports: [base, base + 2 * RPC_OFFSET). */
export const SCENARIO_RPC_OFFSET = 100;
/** Most nodes a scenario may start (ports must stay inside the block). */
export const MAX_SCENARIO_NODES = SCENARIO_RPC_OFFSET;

export interface ClusterOptions {
  dir: string;
  basePort: number;
  /** Extra node arguments (e.g. --refresh-interval). */
  extraArgs?: string[];
  logLevel?: string;
}

export interface ClusterNode {
  /** 1-based, as in node1, node2 ... */
  index: number;
  p2pPort: number;
  rpcUrl: string;
  p2pUrl: string;
  datadir: string;
  seeds: string[];
  nodeId: string;
  process: ChildProcess | undefined;
  /** Set while the runner means it to be down (killed, stopped), so its exit is expected. */
  down: boolean;
  /** When the current process was spawned (ms): its arrival log starts there. */
  startedAt: number;
}

export interface UnexpectedExit {
  node: number;
  code: number | null;
  signal: string | null;
  at: number;
  log: string;
}

export class Cluster {
  readonly nodes: ClusterNode[] = [];
  readonly unexpectedExits: UnexpectedExit[] = [];

  constructor(private readonly o: ClusterOptions) {}

  node(index: number): ClusterNode {
    const n = this.nodes[index - 1];
    if (!n) throw new Error(`no node ${index} (the scenario has ${this.nodes.length})`);
    return n;
  }

  live(): ClusterNode[] {
    return this.nodes.filter((n) => !n.down);
  }

  /** Adds node N+1 (not started) with the given seed URLs. */
  add(seeds: string[]): ClusterNode {
    const index = this.nodes.length + 1;
    if (index > MAX_SCENARIO_NODES) throw new Error(`at most ${MAX_SCENARIO_NODES} nodes`);
    const p2pPort = this.o.basePort + index - 1;
    const n: ClusterNode = {
      index,
      p2pPort,
      p2pUrl: `ws://127.0.0.1:${p2pPort}`,
      rpcUrl: `http://127.0.0.1:${p2pPort + SCENARIO_RPC_OFFSET}`,
      datadir: join(this.o.dir, `node${index}`),
      seeds,
      nodeId: '',
      process: undefined,
      down: true,
      startedAt: 0,
    };
    this.nodes.push(n);
    return n;
  }

  /** Starts (or restarts) a node and waits until its RPC answers. @throws naming the node and its log */
  async start(n: ClusterNode, timeoutMs = 30_000): Promise<void> {
    if (n.process && n.process.exitCode === null && n.process.signalCode === null) throw new Error(`node ${n.index} is already running`);
    await mkdir(n.datadir, { recursive: true });
    const log = await open(this.logPath(n), 'a');
    const args = [
      join(packageRoot(), 'dist', 'node', 'main.js'),
      '--datadir', n.datadir,
      '--port', String(n.p2pPort),
      '--rpc-port', String(n.p2pPort + SCENARIO_RPC_OFFSET),
      '--seeds', n.seeds.length > 0 ? n.seeds.join(',') : 'none',
      '--allow-faults',
      '--log-level', this.o.logLevel ?? 'info',
      ...(this.o.extraArgs ?? []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', log.fd, log.fd], detached: true });
    await log.close();
    n.process = child;
    n.down = false;
    n.startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (n.process !== child) return;
      if (!n.down) {
        n.down = true;
        this.unexpectedExits.push({ node: n.index, code, signal, at: Date.now(), log: this.logPath(n) });
      }
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`node ${n.index} exited during start-up (code ${child.exitCode}); see ${this.logPath(n)}: ${await this.tail(n)}`);
      try {
        const info = await rpcCall<{ nodeId: string }>(n.rpcUrl, 'getInfo', [], 1000);
        n.nodeId = info.nodeId;
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`node ${n.index} did not answer on ${n.rpcUrl} within ${timeoutMs} ms; see ${this.logPath(n)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** kill -9 by PID (a crash: no clean shutdown), and waits for the exit. */
  kill(n: ClusterNode): Promise<void> {
    return this.signal(n, 'SIGKILL', 5000);
  }

  /** SIGTERM by PID (clean shutdown), SIGKILL after graceMs. */
  stop(n: ClusterNode, graceMs = 10_000): Promise<void> {
    return this.signal(n, 'SIGTERM', graceMs);
  }

  rpc<T = unknown>(n: ClusterNode, method: string, params: unknown[] = [], timeoutMs = 10_000): Promise<T> {
    return rpcCall<T>(n.rpcUrl, method, params, timeoutMs);
  }

  /** Resident set size of a running node, MiB (Linux /proc), or undefined. */
  async rssMb(n: ClusterNode): Promise<number | undefined> {
    const pid = n.process?.pid;
    if (!pid || n.down) return undefined;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops every running node by PID (SIGTERM, then SIGKILL after graceMs). */
  async shutdown(graceMs = 5000): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stop(n, graceMs)));
  }

  logPath(n: ClusterNode): string {
    return join(n.datadir, 'node.log');
  }

  private async tail(n: ClusterNode): Promise<string> {
    try {
      return (await readFile(this.logPath(n), 'utf8')).trim().split('\n').slice(-3).join(' | ');
    } catch {
      return '';
    }
  }

  private signal(n: ClusterNode, sig: 'SIGKILL' | 'SIGTERM', graceMs: number): Promise<void> {
    n.down = true;
    const p = n.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
      p.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      p.kill(sig);
    });
  }
}
