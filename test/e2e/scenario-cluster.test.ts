/**
 * The runner's process handling: a node that dies without the scenario killing it is recorded (the
 * no-unexpected-death invariant), a kill -9 by the scenario is not, and a restarted node keeps its
 * datadir and node id. One real node process on ports 23070 / 23170.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../node/scenario/cluster.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

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
