/**
 * Many hosts (issue #8 acceptance): 6 node processes, each in its own network namespace with its own
 * non-loopback address (198.18.8.1-6, the RFC 2544 benchmark range), joined by a bridge, started by the same
 * launcher code as `npm run testnet -- --hosts`. Nodes 1-3 are the seeds.
 *   - every non-seed node gets an outbound peer that is not a seed within 60 s (discovery across hosts);
 *   - a transaction and a block reach every node;
 *   - with every seed stopped, a restarted non-seed node reconnects from its peer database.
 * Runs when this process can create namespaces (root on Linux, as in CI); otherwise it is skipped with the
 * reason. Namespaces are named mc8-* and removed in `after`, and at the start if a previous run died.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGenesis } from '../../node/config.js';
import { toHex } from '../../node/core/bytes.js';
import { devAccount } from '../../node/core/dev-accounts.js';
import { encodeTx, signTx, txIdHex } from '../../node/core/tx.js';
import { bundledGenesisPath } from '../../node/paths.js';
import { rpcCall } from '../../node/rpc/client.js';
import { Testnet, TestnetNode, authedUrl, startTestnet, stopProcess } from '../../node/testnet/launcher.js';
import { NetnsNetwork, createNetnsNetwork, netnsNodeLayout, netnsUnavailable, teardownNetns } from '../../node/testnet/netns.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const PREFIX = 'mc8-';
const SUBNET = '198.18.8';
const PORT = 22001;
const RPC_PORT = 22501;
const NODES = 6;
const MAIN = fileURLToPath(new URL('../../node/main.js', import.meta.url));

const why = await netnsUnavailable(PREFIX);
if (why) process.stdout.write(`# testnet-hosts: skipped: ${why}\n`);

let hosts: NetnsNetwork | undefined;
let net: Testnet | undefined;
let restarted: ChildProcess | undefined;
const cleanups: (() => Promise<void>)[] = [];

interface PeerJson {
  nodeId: string;
  address: string;
  direction: 'inbound' | 'outbound';
}

before(async () => {
  if (why) return;
  const tmp = await makeTmpDir('minichain-hosts-');
  cleanups.push(tmp.remove);
  hosts = await createNetnsNetwork(NODES, { prefix: PREFIX, subnet: SUBNET });
  cleanups.push(() => teardownNetns(PREFIX));
  const params = await loadGenesis(bundledGenesisPath());
  net = await startTestnet(
    {
      nodes: NODES,
      miners: 1,
      dir: join(tmp.path, 'net'),
      reset: true,
      mineDuty: 0.3,
      extraArgs: ['--refresh-interval', '1000'],
      netns: { net: hosts, port: PORT, rpcPort: RPC_PORT },
    },
    params,
  );
  cleanups.push(() => net!.stop());
});

after(async () => {
  if (restarted) await stopProcess(restarted, 5_000);
  for (const c of cleanups.reverse()) await c();
});

const seedUrls = () => [1, 2, 3].map((i) => `ws://${SUBNET}.${i}:${PORT}`);
// RPC on a non-loopback address needs the node's cookie (written to its datadir at start).
const call = async <T>(n: Pick<TestnetNode, 'rpc' | 'datadir'>, method: string, params: unknown[] = [], timeoutMs?: number) =>
  rpcCall<T>(await authedUrl(n), method, params, timeoutMs);
const peersOf = (n: Pick<TestnetNode, 'rpc' | 'datadir'>) => call<PeerJson[]>(n, 'getPeers', [], 2_000);

test('6 hosts: discovery beyond the seeds, a tx and a block reach all, restart without seeds', { skip: why, timeout: 150_000 }, async () => {
  const nodes = net!.nodes;
  assert.deepEqual(nodes.map((n) => n.p2p), [1, 2, 3, 4, 5, 6].map((i) => `ws://${SUBNET}.${i}:${PORT}`));

  // Every non-seed node gets an outbound peer that is not a seed, learnt through the seeds.
  const t0 = Date.now();
  await waitFor(
    async () => {
      for (const n of nodes.slice(3)) {
        const peers = await peersOf(n).catch(() => []);
        if (!peers.some((p) => p.direction === 'outbound' && !seedUrls().includes(p.address))) return false;
      }
      return true;
    },
    60_000,
    'every non-seed node to have a non-seed outbound peer',
    500,
  );
  process.stdout.write(`# non-seed outbound peers everywhere after ${Date.now() - t0} ms\n`);
  // No address a remote node could not dial was ever relayed to it.
  for (const n of nodes) for (const p of await peersOf(n)) assert.doesNotMatch(p.address, /127\.0\.0\.1|localhost/, `${n.rpc}: ${p.address}`);

  // A transaction submitted at the last node reaches every node.
  const params = await loadGenesis(bundledGenesisPath());
  const from = devAccount(0);
  const tx = signTx({ chainId: params.chainId, from: from.publicKey, to: devAccount(5).addressHash, amount: 100_000_000n, fee: 5_000n, nonce: 0n }, from.privateKey);
  const id = txIdHex(tx);
  await call(nodes[5]!, 'sendTransaction', [toHex(encodeTx(tx))]);
  await waitFor(
    async () => (await Promise.all(nodes.map((n) => call(n, 'getTransaction', [id]).then(() => true, () => false)))).every(Boolean),
    30_000,
    'the tx at every node',
    250,
  );
  // A block mined after that reaches every node.
  const miner = nodes.find((n) => n.miner)!;
  const h0 = (await call<{ height: number }>(miner, 'getInfo')).height;
  await waitFor(async () => (await call<{ height: number }>(miner, 'getInfo')).height > h0, 60_000, 'a new block', 250);
  const tip = (await call<{ tip: string }>(miner, 'getInfo')).tip;
  await waitFor(
    async () => (await Promise.all(nodes.map((n) => call(n, 'getBlock', [tip]).then(() => true, () => false)))).every(Boolean),
    30_000,
    `block ${tip} at every node`,
    250,
  );

  // Seeds down; node 4 restarts and finds its peers again from its own peer database.
  await Promise.all(nodes.slice(0, 3).map((n) => stopProcess(n.process, 10_000)));
  const four = nodes[3]!;
  await stopProcess(four.process, 10_000);
  const layout = netnsNodeLayout(hosts!, 3, PORT, RPC_PORT);
  const log = await open(join(four.datadir, 'node.log'), 'a');
  restarted = spawn(layout.command, [...layout.prefixArgs, MAIN, '--datadir', four.datadir, '--port', String(PORT), ...layout.nodeArgs, '--refresh-interval', '1000'], {
    stdio: ['ignore', log.fd, log.fd],
    detached: true,
  });
  await log.close();
  await waitFor(
    async () => {
      const peers = await peersOf(four).catch(() => []);
      return peers.some((p) => !seedUrls().includes(p.address));
    },
    40_000,
    'the restarted node to reconnect to a non-seed node without any seed',
    500,
  );
});
