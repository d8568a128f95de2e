/**
 * The testnet launcher trusts nothing that merely answers on a port: a port held by a foreign process
 * stops it with one line before anything starts; a node counts as up only while its own process runs
 * and answers with its own nodeId; two testnets side by side (the user's and a test's) never touch
 * each other's chain; nodes.json's command line restarts a node by hand; --reset says what it removes.
 * Ports: 24200-24239 (P2P) and 24240-24279 (RPC), this file's own.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile, stat } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGenesis } from '../../node/config.js';
import { bundledGenesisPath } from '../../node/paths.js';
import { rpcCall } from '../../node/rpc/client.js';
import { Testnet, TestnetNode, checkNode, startTestnet, stopProcess } from '../../node/testnet/launcher.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';

const TESTNET_CLI = fileURLToPath(new URL('../../node/testnet/cli.js', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function tmp(): Promise<string> {
  const t = await makeTmpDir('minichain-isolation-');
  cleanups.push(t.remove);
  return t.path;
}

async function hold(port: number): Promise<net.Server> {
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => srv.close(() => r())));
  return srv;
}

test('a port held by a foreign process stops the launcher with one line, before anything is created', { timeout: 30_000 }, async () => {
  const dir = join(await tmp(), 'net');
  const p2p = await hold(24201);
  const r = await runCli(TESTNET_CLI, ['--nodes', '3', '--base-port', '24200', '--rpc-base-port', '24240', '--dir', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^minichain-testnet: error: port 24201 \(node 2 P2P\) is already in use.*--base-port/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  await assert.rejects(stat(dir), /ENOENT/, 'nothing created');
  await new Promise<void>((res) => p2p.close(() => res()));

  await hold(24242);
  const rpc = await runCli(TESTNET_CLI, ['--nodes', '3', '--base-port', '24200', '--rpc-base-port', '24240', '--dir', dir]);
  assert.equal(rpc.code, 1);
  assert.match(rpc.stderr, /port 24242 \(node 3 RPC\) is already in use/);
});

test("two testnets side by side: neither touches the other's chain; a foreign or dead node never counts as up", { timeout: 90_000 }, async () => {
  const root = await tmp();
  const params = await loadGenesis(bundledGenesisPath());
  // The "user's" testnet: 2 nodes, nobody mining, so its chain must stay at genesis.
  const user: Testnet = await startTestnet({ nodes: 2, miners: 0, dir: join(root, 'user'), basePort: 24210, rpcBasePort: 24250, extraArgs: ['--refresh-interval', '500'] }, params);
  cleanups.push(() => user.stop());
  // The "test's" testnet: 1 node mining.
  const mine: Testnet = await startTestnet({ nodes: 1, miners: 1, dir: join(root, 'test'), basePort: 24220, rpcBasePort: 24260, mineDuty: 0.5 }, params);
  cleanups.push(() => mine.stop());
  // Up means up: when startTestnet returns, every node's own process answers with its own nodeId.
  for (const n of [...user.nodes, ...mine.nodes]) assert.equal((await checkNode(n)).health, 'ok', `node ${n.index} in ${n.datadir}`);

  await waitFor(async () => (await rpcCall<{ height: number }>(mine.nodes[0]!.rpc, 'getInfo')).height >= 3, 60_000, 'the test testnet to mine 3 blocks', 200);
  await waitFor(async () => (await rpcCall<{ peers: number }>(user.nodes[1]!.rpc, 'getInfo')).peers >= 1, 20_000, "the user's nodes to connect", 100);
  const userIds = new Set(user.nodes.map((n) => n.nodeId));
  for (const n of user.nodes) {
    assert.equal((await rpcCall<{ height: number }>(n.rpc, 'getInfo')).height, 0, "the user's chain is untouched");
    for (const p of await rpcCall<{ nodeId: string }[]>(n.rpc, 'getPeers')) assert.ok(userIds.has(p.nodeId), `user node ${n.index} peers only with its own testnet`);
  }
  assert.deepEqual(await rpcCall<unknown[]>(mine.nodes[0]!.rpc, 'getPeers'), []);

  // Identity, not the port, decides: the test's record of a node pointed at the user's RPC port is 'foreign'.
  const impostor: TestnetNode = { ...mine.nodes[0]!, rpc: user.nodes[0]!.rpc };
  assert.equal((await checkNode(impostor)).health, 'foreign');
  assert.equal((await checkNode(user.nodes[0]!)).health, 'ok');

  // nodes.json's command line restarts a node by hand, with the same identity.
  const recs = JSON.parse(await readFile(join(user.dir, 'nodes.json'), 'utf8')) as { command: string[]; rpc: string; nodeId: string; log: string }[];
  const rec = recs[1]!;
  assert.match((await stat(rec.log)).isFile() ? rec.log : '', /node2\/node\.log$/);
  await stopProcess(user.nodes[1]!.process, 10_000);
  assert.equal((await checkNode(user.nodes[1]!)).health, 'exited', 'a stopped node is not up, whatever answers');
  const again: ChildProcess = spawn(rec.command[0]!, rec.command.slice(1), { stdio: 'ignore' });
  cleanups.push(() => stopProcess(again, 5000));
  await waitFor(async () => {
    try {
      return (await rpcCall<{ nodeId: string }>(rec.rpc, 'getInfo', [], 500)).nodeId === rec.nodeId;
    } catch {
      return false;
    }
  }, 20_000, 'the restarted node to answer with its own nodeId', 100);
  await stopProcess(again, 10_000);
  assert.equal(again.exitCode, 0, 'clean stop');
});

test('--reset says what it removes; the CLI prints where every node is and how long start-up took', { timeout: 60_000 }, async () => {
  const dir = join(await tmp(), 'net');
  await mkdir(join(dir, 'node1'), { recursive: true });
  await writeFile(join(dir, 'stale.txt'), 'x');
  const child = spawn(process.execPath, [TESTNET_CLI, '--nodes', '1', '--miners', '0', '--base-port', '24230', '--rpc-base-port', '24270', '--dir', dir, '--reset'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => stopProcess(child, 5000));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await waitFor(() => out.includes('Press Ctrl-C') || child.exitCode !== null, 30_000, 'the testnet to start');
  assert.match(out, new RegExp(`--reset: removing ${dir.replace(/[/.]/g, '\\$&')} \\(node1, stale\\.txt\\)`));
  assert.match(out, /1 nodes up in \d+\.\d s/);
  assert.match(out, /node1 {2}p2p ws:\/\/127\.0\.0\.1:24230 {2}rpc http:\/\/127\.0\.0\.1:24270/);
  assert.match(out, /MINICHAIN_RPC=http:\/\/127\.0\.0\.1:24270/, 'the wallet hint points at this testnet');
  await assert.rejects(stat(join(dir, 'stale.txt')), /ENOENT/);
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.match(out, /stopped; data kept/);
});
