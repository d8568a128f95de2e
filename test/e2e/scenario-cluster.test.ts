/**
 * The runner's process handling: a node that dies without the scenario killing it is recorded (the
 * no-unexpected-death invariant), a kill -9 by the scenario is not, and a restarted node keeps its
 * datadir and node id. And a node started the ordinary way, without --allow-faults, refuses every
 * test-only control. Real node processes on ports 23070 / 23170 and 23080 / 23180.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rpcCall } from '../../node/rpc/client.js';
import { RpcError } from '../../node/rpc/errors.js';
import { Cluster } from '../../node/scenario/cluster.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/** SIGTERM by PID, SIGKILL after graceMs; resolves on exit. */
function stopProcess(p: ChildProcess, graceMs: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('cluster: scenario kills are expected, any other death is recorded with node, signal and log', { timeout: 60_000 }, async () => {
  const tmp = await makeTmpDir('minichain-cluster-');
  cleanups.push(tmp.remove);
  const cluster = new Cluster({ dir: tmp.path, basePort: 23070, logLevel: 'warn' });
  cleanups.push(() => cluster.shutdown(3000));
  const n = cluster.add([]);
  await cluster.start(n);
  const id = n.nodeId;
  assert.match(id, /^0[23][0-9a-f]{64}$/);
  assert.ok((await cluster.rssMb(n))! > 10);
  await cluster.kill(n);
  assert.equal(cluster.unexpectedExits.length, 0);
  assert.equal(cluster.live().length, 0);
  await cluster.start(n);
  assert.equal(n.nodeId, id, 'same datadir, same node key');
  process.kill(n.process!.pid!, 'SIGKILL'); // not the scenario's doing
  await waitFor(() => cluster.unexpectedExits.length === 1, 10_000, 'unexpected exit recorded');
  assert.equal(cluster.unexpectedExits[0]!.node, 1);
  assert.equal(cluster.unexpectedExits[0]!.signal, 'SIGKILL');
  assert.match(cluster.unexpectedExits[0]!.log, /node1\/node\.log$/);
  assert.equal(cluster.live().length, 0);
});

test('minichain-node started without --allow-faults (the default) refuses every test-only control', { timeout: 60_000 }, async () => {
  const tmp = await makeTmpDir('minichain-nofaults-');
  cleanups.push(tmp.remove);
  const main = fileURLToPath(new URL('../../node/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, '--datadir', tmp.path, '--port', '23080', '--rpc-port', '23180', '--seeds', 'none', '--log-level', 'warn'], { stdio: 'ignore' });
  cleanups.push(() => stopProcess(child, 5000));
  const url = 'http://127.0.0.1:23180';
  await waitFor(() => rpcCall(url, 'getInfo', [], 1000).then(() => true, () => false), 20_000, 'node RPC');
  for (const [method, params] of [
    ['setMockTime', [Date.now() + 3 * 3600_000]],
    ['setPeerFilter', [{ deny: ['02' + '11'.repeat(32)] }]],
    ['setLinkFault', [{ delayMs: 100, jitterMs: 0, dropPerMinute: 0 }]],
  ] as [string, unknown[]][]) {
    await assert.rejects(rpcCall(url, method, params), (e: unknown) => e instanceof RpcError && e.code === -32003 && e.data?.reason === 'faults-not-allowed', method);
  }
  // operator RPCs are there
  assert.deepEqual(await rpcCall(url, 'listBanned'), []);
});
