/**
 * A minichain-node process on 127.0.0.1 (ports chosen by the OS), with a test genesis, for tests that
 * measure the node itself (its CPU, its RSS, its RPC latency) apart from the test's own work. Stopped
 * with SIGTERM by its PID (SIGKILL if it does not exit); its temp dir is removed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTmpDir } from './tmp-dir.js';
import { waitFor } from './wait-for.js';

const NODE = fileURLToPath(new URL('../../node/main.js', import.meta.url));

export interface NodeProcess {
  pid: number;
  rpc: string;
  ws: string;
  output(): string;
  /** SIGTERM, wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** `dataFrom`: a datadir to copy in first (e.g. a chain prepared in-process). */
export async function startNodeProcess(genesisJson: Record<string, unknown>, extraArgs: string[] = [], dataFrom?: string): Promise<NodeProcess> {
  const tmp = await makeTmpDir('minichain-proc-');
  const genesis = join(tmp.path, 'genesis.json');
  await writeFile(genesis, JSON.stringify(genesisJson));
  if (dataFrom) await cp(dataFrom, join(tmp.path, 'data'), { recursive: true });
  // MINICHAIN_TEST_NODE_ARGS: extra node flags for investigation, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.MINICHAIN_TEST_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, NODE, '--datadir', join(tmp.path, 'data'), '--genesis', genesis, '--port', '0', '--rpc-port', '0', '--seeds', 'none', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let stopping: Promise<number | null> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      await tmp.remove();
      return child.exitCode;
    })());
  try {
    await waitFor(() => out.includes('minichain node started') || child.exitCode !== null, 30_000, 'node start');
    if (child.exitCode !== null) throw new Error(`node exited: ${out}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    pid: child.pid!,
    rpc: /"rpc":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)![1]!,
    ws: /"p2p":"(ws:\/\/127\.0\.0\.1:\d+)"/.exec(out)![1]!,
    output: () => out,
    stop,
  };
}

/** utime + stime of a process, ms (Linux /proc). */
export function processCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Resident set size of a process, bytes (Linux /proc). */
export function processRss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
