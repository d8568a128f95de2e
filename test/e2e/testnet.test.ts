/**
 * End to end, as a user would: a 5-node testnet started by the same launcher code as `npm run testnet`
 * (real node processes; on this test's own ports, P2P 24100-24104 and RPC 24600-24604, via --base-port,
 * so a testnet the user runs on the default ports is never touched), the wallet CLI run as a
 * subprocess, 20 transfers to 3 addresses sent through different nodes, then every node checked over RPC.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { loadGenesis } from '../../node/config.js';
import { bundledGenesisPath } from '../../node/paths.js';
import { rpcCall } from '../../node/rpc/client.js';
import { Testnet, startTestnet } from '../../node/testnet/launcher.js';
import { devAccount } from '../../node/core/dev-accounts.js';
import { toHex } from '../../node/core/bytes.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';

const WALLET = fileURLToPath(new URL('../../wallet/cli.js', import.meta.url));
const NODE = fileURLToPath(new URL('../../node/main.js', import.meta.url));
const COIN = 100_000_000n;
const BASE_PORT = 24100;
const RPC_BASE_PORT = 24600;

let net: Testnet;
let walletDir: string;
const cleanups: (() => Promise<void>)[] = [];
const env = { MINICHAIN_PASSWORD: 'e2e-password', MINICHAIN_SCRYPT_N: '1024' };

before(async () => {
  const tmp = await makeTmpDir('minichain-e2e-');
  cleanups.push(tmp.remove);
  walletDir = join(tmp.path, 'wallet');
  const params = await loadGenesis(bundledGenesisPath());
  net = await startTestnet(
    { nodes: 5, miners: 1, dir: join(tmp.path, 'net'), reset: true, mineDuty: 0.5, basePort: BASE_PORT, rpcBasePort: RPC_BASE_PORT, extraArgs: ['--refresh-interval', '1000'] },
    params,
  );
  cleanups.push(() => net.stop());
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Account {
  balance: string;
  nonce: string;
}

test('5-node testnet: wallet transfers through different nodes agree everywhere', { timeout: 240_000 }, async () => {
  const nodesJson = JSON.parse(await readFile(join(net.dir, 'nodes.json'), 'utf8')) as { rpc: string; p2p: string; pid: number; nodeId: string; command: string[] }[];
  assert.equal(nodesJson.length, 5);
  assert.deepEqual(nodesJson.slice(0, 3).map((n) => n.p2p), ['ws://127.0.0.1:24100', 'ws://127.0.0.1:24101', 'ws://127.0.0.1:24102']);
  assert.deepEqual(nodesJson.map((n) => n.rpc), [0, 1, 2, 3, 4].map((i) => `http://127.0.0.1:${RPC_BASE_PORT + i}`));
  for (const n of nodesJson) {
    // Every node bootstraps from this testnet's seeds, never from the hard-coded default ones.
    assert.equal(n.command[n.command.indexOf('--seeds') + 1], 'ws://127.0.0.1:24100,ws://127.0.0.1:24101,ws://127.0.0.1:24102');
    assert.equal((await rpcCall<{ nodeId: string }>(n.rpc, 'getInfo')).nodeId, n.nodeId);
  }
  const accounts = JSON.parse(await readFile(join(net.dir, 'accounts.json'), 'utf8')) as { address: string; privateKey: string }[];
  assert.equal(accounts[0]!.privateKey, toHex(devAccount(0).privateKey));

  const w = (args: string[], rpc = net.nodes[0]!.rpc) => runCli(WALLET, ['--wallet-dir', walletDir, '--rpc', rpc, ...args], env);
  const imp = await runCli(WALLET, ['--wallet-dir', walletDir, 'import', '--stdin', '--name', 'dev0'], env, 60_000, accounts[0]!.privateKey + '\n');
  assert.equal(imp.code, 0, imp.stderr);
  const sender = accounts[0]!.address;
  const recipients = [accounts[7]!.address, accounts[8]!.address, accounts[9]!.address];
  const startBal = new Map<string, bigint>();
  for (const a of [sender, ...recipients]) startBal.set(a, BigInt((await rpcCall<Account>(net.nodes[0]!.rpc, 'getAccount', [a])).balance));

  // Every node must be connected before transfers start, so the txs have somewhere to go.
  await waitFor(async () => {
    const infos = await Promise.all(net.nodes.map((n) => rpcCall<{ peers: number }>(n.rpc, 'getInfo')));
    return infos.every((i) => i.peers >= 1);
  }, 60_000, 'every node to have a peer', 250);

  const expected = new Map<string, bigint>(recipients.map((r) => [r, 0n]));
  const fee = 2000n;
  let fees = 0n;
  for (let i = 0; i < 20; i++) {
    const to = recipients[i % 3]!;
    const node = net.nodes[i % 5]!;
    const amount = `${1 + i}.5`; // 1.5, 2.5, ... coins
    const r = await w(['send', to, amount, '--fee', '0.00002', '--json'], node.rpc);
    assert.equal(r.code, 0, `send ${i} via ${node.rpc}: ${r.stderr}`);
    const id = JSON.parse(r.stdout).id as string;
    expected.set(to, expected.get(to)! + BigInt(1 + i) * COIN + COIN / 2n);
    fees += fee;
    // The next send goes through another node: wait until it has this tx, so its pending nonce is right.
    const next = net.nodes[(i + 1) % 5]!;
    await waitFor(async () => {
      try {
        await rpcCall(next.rpc, 'getTransaction', [id]);
        return true;
      } catch {
        return false;
      }
    }, 30_000, `tx ${i} to reach ${next.rpc}`, 100);
  }

  // Every transfer confirmed, and every node agrees on balances and nonces.
  await waitFor(async () => {
    for (const n of net.nodes) {
      const s = await rpcCall<Account>(n.rpc, 'getAccount', [sender]);
      if (s.nonce !== '20') return false;
      const mp = await rpcCall<unknown[]>(n.rpc, 'getMempool');
      if (mp.length !== 0) return false;
    }
    return true;
  }, 150_000, 'all 20 transfers confirmed on every node', 500);

  for (const n of net.nodes) {
    const s = await rpcCall<Account>(n.rpc, 'getAccount', [sender]);
    assert.equal(s.nonce, '20');
    const spent = [...expected.values()].reduce((a, b) => a + b, 0n) + fees;
    assert.equal(BigInt(s.balance), startBal.get(sender)! - spent, `sender balance on ${n.rpc}`);
    for (const r of recipients) {
      const a = await rpcCall<Account>(n.rpc, 'getAccount', [r]);
      assert.equal(BigInt(a.balance), startBal.get(r)! + expected.get(r)!, `balance of ${r} on ${n.rpc}`);
    }
  }

  // Peer exchange: a non-seed node is connected to another non-seed node.
  await waitFor(async () => {
    for (const n of net.nodes.slice(3)) {
      const peers = await rpcCall<{ address: string }[]>(n.rpc, 'getPeers');
      if (peers.some((p) => Number(new URL(p.address).port) >= BASE_PORT + 3)) return true;
    }
    return false;
  }, 60_000, 'a non-seed node connected to a non-seed node', 500);
});

test('wallet errors against a real node: insufficient funds and unknown tx id', { timeout: 60_000 }, async () => {
  const w = (args: string[]) => runCli(WALLET, ['--wallet-dir', walletDir, '--rpc', net.nodes[1]!.rpc, ...args], env);
  const poor = await w(['send', devAccount(9).address, '5000000', '--from', 'dev0']);
  assert.notEqual(poor.code, 0);
  assert.match(poor.stderr, /insufficient/i);
  assert.equal(poor.stderr.trim().split('\n').length, 1, 'one line');
  const unknown = await w(['tx', 'ab'.repeat(32)]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /not found|unknown/i);
});

test('a second node on a datadir in use is refused with one clear line', { timeout: 30_000 }, async () => {
  const r = await runCli(NODE, ['--datadir', net.nodes[0]!.datadir, '--port', '0', '--rpc-port', '0', '--seeds', 'none'], {}, 20_000);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /in use by another running node/);
  const port = await runCli(NODE, ['--datadir', join(net.dir, 'fresh'), '--port', String(BASE_PORT), '--rpc-port', '0', '--seeds', 'none'], {}, 20_000);
  assert.equal(port.code, 1);
  assert.match(port.stderr, new RegExp(`port ${BASE_PORT} is already in use`));
  assert.equal(port.stderr.trim().split('\n').length, 1);
  await assert.rejects(stat(join(net.dir, 'fresh')), /ENOENT/, 'a taken port leaves no datadir behind');
});
