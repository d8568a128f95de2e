/**
 * minichain-wallet end to end as a user runs it: the built CLI (dist/wallet/cli.js) in a subprocess,
 * a temp --wallet-dir, MINICHAIN_PASSWORD and a cheap MINICHAIN_SCRYPT_N. Asserts stdout, the one-line
 * `error: …` on stderr and the exit code.
 *
 * Cases that need a node talk to CONTRACT STUB below: a tiny JSON-RPC server on 127.0.0.1 port 0 that
 * implements getInfo / getAccount / sendTransaction / getTransaction exactly as the RPC contract states.
 * It is not the node; the lead's e2e test repeats these cases against a real node.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../../node/core/bytes.js';
import { devAccount } from '../../node/core/dev-accounts.js';
import { encodeAddress } from '../../node/core/address.js';
import { verifyReference } from '../../node/core/keys.js';
import { decodeTx, txIdHex, txSender, txSigningHash } from '../../node/core/tx.js';
import { isWalletError } from '../../wallet/errors.js';
import { NodeUnreachableError, RpcClient, RpcError } from '../../wallet/rpc-client.js';

const CLI = fileURLToPath(new URL('../../wallet/cli.js', import.meta.url));
const PASSWORD = 'correct horse battery staple';
const dev0 = devAccount(0);
const dev1 = devAccount(1);

// ---------------------------------------------------------------- subprocess runner

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
let root: string;
let walletCount = 0;

function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MINICHAIN_')) env[k] = v;
  env.HOME = root; // never touch the real ~/.minichain
  env.MINICHAIN_SCRYPT_N = '1024';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs the CLI with stdin from /dev/null or `input` (so never a TTY) and a hard 20 s limit. */
function run(args: string[], env: Record<string, string | undefined> = { MINICHAIN_PASSWORD: PASSWORD }, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: baseEnv(env), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin!.end(input);
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

async function newWallet(): Promise<string> {
  return path.join(root, `wallet-${walletCount++}`);
}

/** A wallet holding dev account 0 as "dev0" (the default key). */
async function walletWithDev0(): Promise<string> {
  const dir = await newWallet();
  const r = await run(['--wallet-dir', dir, 'import', '--stdin', '--name', 'dev0'], undefined, toHex(dev0.privateKey) + '\n');
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

/** One-line error on stderr, no stack trace. */
function assertError(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, /^error: [^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

/** Changes one data character of a bech32m address (keeps it in the charset). */
function flipChar(address: string): string {
  const i = address.length - 8;
  return address.slice(0, i) + (address[i] === 'q' ? 'p' : 'q') + address.slice(i + 1);
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

// ---------------------------------------------------------------- CONTRACT STUB (not the node)

interface StubAccount {
  balance: bigint;
  nonce: bigint;
  pendingNonce: bigint;
}

const stub = {
  chainId: 4242,
  accounts: new Map<string, StubAccount>(),
  txs: new Map<string, { hex: string; polls: number; confirmAfterPolls: number }>(),
  received: [] as string[],
  historyParams: [] as unknown[][],
  rejectReason: undefined as string | undefined,
  mining: true,
  lastBlockAgeSec: 1,
  confirmAfterPolls: 1,
  reset() {
    this.mining = true;
    this.lastBlockAgeSec = 1;
    this.confirmAfterPolls = 1;
    this.accounts.clear();
    this.txs.clear();
    this.received = [];
    this.historyParams = [];
    this.rejectReason = undefined;
  },
};

type RpcReply = { result: unknown } | { error: { code: number; message: string; data?: { reason: string } } };

function stubHandle(method: string, params: unknown[]): RpcReply {
  switch (method) {
    case 'getInfo':
      return {
        result: { chainId: stub.chainId, genesisHash: '00'.repeat(32), height: 10, tip: '11'.repeat(32), peers: 0, mempool: stub.txs.size, nodeId: 'stub', version: 'contract-stub', syncing: false, mining: stub.mining, lastBlockTime: 0, lastBlockAgeSec: stub.lastBlockAgeSec },
      };
    case 'getAccount': {
      const address = String(params[0]);
      const a = stub.accounts.get(address) ?? { balance: 0n, nonce: 0n, pendingNonce: 0n };
      return { result: { address, balance: a.balance.toString(), nonce: a.nonce.toString(), pendingNonce: a.pendingNonce.toString() } };
    }
    case 'sendTransaction': {
      const hex = String(params[0]);
      stub.received.push(hex);
      if (stub.rejectReason) return { error: { code: -32000, message: `transaction rejected: ${stub.rejectReason}`, data: { reason: stub.rejectReason } } };
      const id = txIdHex(decodeTx(fromHex(hex)));
      stub.txs.set(id, { hex, polls: 0, confirmAfterPolls: stub.confirmAfterPolls });
      return { result: { id } };
    }
    case 'getTransaction': {
      const id = String(params[0]);
      const t = stub.txs.get(id);
      if (!t) return { error: { code: -32001, message: 'transaction not found', data: { reason: 'tx-not-found' } } };
      t.polls++;
      const tx = decodeTx(fromHex(t.hex));
      const fields = { from: encodeAddress(txSender(tx)), to: encodeAddress(tx.to), amount: tx.amount.toString(), fee: tx.fee.toString(), nonce: tx.nonce.toString() };
      if (t.polls <= t.confirmAfterPolls) return { result: { id, status: 'pending', tx: fields } };
      return { result: { id, status: 'confirmed', height: 11, blockHash: 'bb'.repeat(32), confirmations: 1, tx: fields } };
    }
    case 'getHistory': {
      stub.historyParams.push(params);
      const entries = [...stub.txs.entries()].map(([id, t]) => {
        const tx = decodeTx(fromHex(t.hex));
        const from = encodeAddress(txSender(tx));
        return { id, height: 11, from, to: encodeAddress(tx.to), amount: tx.amount.toString(), fee: tx.fee.toString(), nonce: tx.nonce.toString() };
      });
      return { result: entries.filter((e) => e.from === params[0] || e.to === params[0]).reverse() };
    }
    default:
      return { error: { code: -32601, message: 'Method not found' } };
  }
}

let server: http.Server;
let rpcUrl: string;
const STUB_COOKIE = '__cookie__:' + 'c0'.repeat(32);

function startStub(): Promise<void> {
  server = http.createServer((req, res) => {
    // Not part of the contract: paths that misbehave, for RpcClient's error handling.
    if (req.url === '/html') return void res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
    if (req.url === '/hang') return; // never answers; closed by closeAllConnections in after()
    if (req.url === '/auth' && req.headers.authorization !== 'Basic ' + Buffer.from(STUB_COOKIE).toString('base64')) {
      const reason = req.headers.authorization ? 'bad-auth' : 'auth-required';
      return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'authentication required', data: { reason } } }));
    }
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const msg = JSON.parse(body) as { id: number; method: string; params?: unknown[] };
      const reply = stubHandle(msg.method, msg.params ?? []);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: req.url === '/wrong-id' ? msg.id + 1 : msg.id, ...reply }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      rpcUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      resolve();
    }),
  );
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'minichain-wallet-cli-'));
  await startStub();
});

after(async () => {
  for (const c of children) if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await fs.rm(root, { recursive: true, force: true });
});

beforeEach(() => stub.reset());

// ---------------------------------------------------------------- tests

describe('minichain-wallet (no node needed)', () => {
  it('--help lists every command, and each command has its own help', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['create', 'import', 'list', 'address', 'balance', 'send', 'tx', 'history', 'rpc']) assert.match(r.stdout, new RegExp(`\\n  ${c}\\b`));
    const s = await run(['send', '--help']);
    assert.equal(s.code, 0);
    assert.match(s.stdout, /--fee <coins>/);
    assert.match(s.stdout, /--wait/);
    assert.match(s.stdout, /--rpc <address>/);
  });

  it('create + list + address', async () => {
    const dir = await newWallet();
    const c = await run(['--wallet-dir', dir, 'create', '--name', 'alice']);
    assert.equal(c.code, 0, c.stderr);
    const m = /^key "alice" created: (mc1[02-9ac-hj-np-z]+) \(default\)\n$/.exec(c.stdout);
    assert.ok(m, c.stdout);
    const address = m[1]!;

    const c2 = await run(['--wallet-dir', dir, '--json', 'create']);
    assert.equal(c2.code, 0, c2.stderr);
    const second = JSON.parse(c2.stdout) as { name: string; address: string; isDefault: boolean };
    assert.equal(second.name, 'key1');
    assert.equal(second.isDefault, false);
    assert.notEqual(second.address, address);

    const l = await run(['--wallet-dir', dir, 'list', '--json']);
    assert.equal(l.code, 0, l.stderr);
    assert.deepEqual(JSON.parse(l.stdout), [
      { name: 'alice', address, isDefault: true },
      { name: 'key1', address: second.address, isDefault: false },
    ]);
    const lh = await run(['--wallet-dir', dir, 'list']);
    assert.match(lh.stdout, new RegExp(`^\\* alice\\s+${address}$`, 'm'));

    assert.equal((await run(['--wallet-dir', dir, 'address'])).stdout, address + '\n');
    assert.equal((await run(['--wallet-dir', dir, 'address', 'key1'])).stdout, second.address + '\n');
    assertError(await run(['--wallet-dir', dir, 'address', 'nobody']), 7, /no key named "nobody"/);
    assertError(await run(['--wallet-dir', dir, 'create', '--name', 'alice']), 4, /a key named "alice" already exists/);
    assert.equal((await fs.stat(path.join(dir, 'alice.json'))).mode & 0o777, 0o600);
  });

  it('the wallet dir also comes from MINICHAIN_WALLET_DIR', async () => {
    const dir = await newWallet();
    const c = await run(['create', '--json'], { MINICHAIN_PASSWORD: PASSWORD, MINICHAIN_WALLET_DIR: dir });
    assert.equal(c.code, 0, c.stderr);
    const files = await fs.readdir(dir);
    assert.ok(files.includes('key1.json'), files.join(','));
  });

  it('imports a dev key and derives its address', async () => {
    const dir = await newWallet();
    const r = await run(['--wallet-dir', dir, '--json', 'import', '--stdin', '--name', 'dev0'], undefined, toHex(dev0.privateKey) + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { name: 'dev0', address: dev0.address, isDefault: true });
    const again = await run(['--wallet-dir', dir, 'import', '--stdin', '--name', 'other'], undefined, toHex(dev0.privateKey));
    assertError(again, 4, /already in the wallet as "dev0"/);
    const badHex = 'zz' + toHex(dev1.privateKey).slice(2);
    const bad = await run(['--wallet-dir', dir, 'import', '--stdin'], undefined, badHex);
    assertError(bad, 4, /invalid private key/);
    assert.ok(!bad.stderr.includes(badHex), 'the key must not be echoed');
    // From a file, too.
    const keyFile = path.join(root, 'dev1.key');
    await fs.writeFile(keyFile, toHex(dev1.privateKey) + '\n', { mode: 0o600 });
    const f = await run(['--wallet-dir', dir, '--json', 'import', '--file', keyFile, '--name', 'dev1']);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(JSON.parse(f.stdout).address, dev1.address);
  });

  it('import with the key in the arguments is refused with a hint, and nothing is stored', async () => {
    const dir = await newWallet();
    const key = toHex(dev0.privateKey);
    const r = await run(['--wallet-dir', dir, 'import', key, '--name', 'dev0']);
    assertError(r, 1, /refusing a private key on the command line .*import --stdin.*import --file <path>/);
    assert.ok(!r.stderr.includes(key), 'the key must not be echoed');
    await assert.rejects(fs.readdir(dir), /ENOENT/);
    // Neither a terminal nor --stdin/--file: say where the key can come from instead of hanging.
    assertError(await run(['--wallet-dir', dir, 'import']), 1, /no private key given: pipe it with "import --stdin"/);
  });

  it('refuses to run without a password source when stdin is not a terminal', async () => {
    const r = await run(['--wallet-dir', await newWallet(), 'create'], {});
    assertError(r, 1, /set MINICHAIN_PASSWORD or run in a terminal/);
  });

  it('bad address checksum', async () => {
    const dir = await walletWithDev0();
    const bad = flipChar(dev1.address);
    assert.notEqual(bad, dev1.address);
    const s = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'send', bad, '1']);
    assertError(s, 4, new RegExp(`invalid address "${bad}": bad checksum or format`));
    assertError(await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'balance', bad]), 4, /bad checksum/);
    assert.deepEqual(stub.received, []);
  });

  it('amount with too many decimals, negative or zero', async () => {
    const dir = await walletWithDev0();
    const base = ['--wallet-dir', dir, '--rpc', rpcUrl, 'send', dev1.address];
    assertError(await run([...base, '1.123456789']), 4, /invalid amount "1\.123456789": at most 8 decimal places/);
    assertError(await run([...base, '-1']), 4, /amount must not be negative: "-1"/);
    assertError(await run([...base, '0']), 4, /must be greater than zero/);
    assertError(await run([...base, '1', '--fee', '0.000000001']), 4, /at most 8 decimal places/);
    assert.deepEqual(stub.received, []);
  });

  it('node unreachable names the URL', async () => {
    const dir = await walletWithDev0();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const b = await run(['--wallet-dir', dir, '--rpc', url, 'balance']);
    assertError(b, 2, new RegExp(`^error: cannot reach node at ${url} \\(ECONNREFUSED\\); is a node running there\\? Point the wallet at another with --rpc host:port or MINICHAIN_RPC`));
    assertError(await run(['--wallet-dir', dir, '--rpc', url, 'send', dev1.address, '1']), 2, /cannot reach node at .* \(ECONNREFUSED\)/);
    assertError(await run(['--wallet-dir', dir, '--rpc', url, 'tx', 'ab'.repeat(32)]), 2, /cannot reach node/);
  });
});

describe('minichain-wallet against the CONTRACT STUB', () => {
  it('balance prints coins, and base units with --json', async () => {
    const dir = await walletWithDev0();
    stub.accounts.set(dev0.address, { balance: 150_000_000n, nonce: 2n, pendingNonce: 3n });
    const h = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'balance']);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^balance\s+1\.5 coins$/m);
    assert.match(h.stdout, new RegExp(`^address\\s+${dev0.address}$`, 'm'));
    const j = await run(['--wallet-dir', dir, '--rpc', rpcUrl, '--json', 'balance', 'dev0']);
    assert.deepEqual(JSON.parse(j.stdout), { address: dev0.address, balance: '150000000', balanceCoins: '1.5', nonce: '2', pendingNonce: '3' });
  });

  it('send signs locally for the node chainId and pendingNonce and prints the id', async () => {
    const dir = await walletWithDev0();
    stub.accounts.set(dev0.address, { balance: 10n * 100_000_000n, nonce: 4n, pendingNonce: 5n });
    const r = await run(['--wallet-dir', dir, '--rpc', rpcUrl, '--json', 'send', dev1.address, '1.5']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { id: string; amount: string; fee: string; nonce: string; chainId: number };
    assert.equal(stub.received.length, 1);
    const tx = decodeTx(fromHex(stub.received[0]!));
    assert.equal(txIdHex(tx), out.id);
    assert.equal(tx.chainId, stub.chainId);
    assert.equal(tx.nonce, 5n);
    assert.equal(tx.amount, 150_000_000n);
    assert.equal(tx.fee, 1000n);
    assert.deepEqual(tx.to, dev1.addressHash);
    assert.deepEqual(tx.from, dev0.publicKey);
    assert.ok(verifyReference(txSigningHash(tx), tx.sig, tx.from));
    assert.deepEqual({ amount: out.amount, fee: out.fee, nonce: out.nonce, chainId: out.chainId }, { amount: '150000000', fee: '1000', nonce: '5', chainId: 4242 });
  });

  it('send --wait polls until confirmed', async () => {
    const dir = await walletWithDev0();
    stub.accounts.set(dev0.address, { balance: 100_000_000n, nonce: 0n, pendingNonce: 0n });
    const r = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'send', dev1.address, '0.5', '--fee', '0.0001', '--wait']);
    assert.equal(r.code, 0, r.stderr);
    const [id, done] = r.stdout.trim().split('\n');
    assert.match(id!, /^[0-9a-f]{64}$/);
    assert.equal(done, `confirmed at height 11 in block ${'bb'.repeat(32)}`);
    assert.match(r.stderr, /waiting for confirmation/);
    assert.equal(stub.txs.get(id!)!.polls, 2);
    assert.equal(decodeTx(fromHex(stub.received[0]!)).fee, 10_000n);
  });

  it('wrong password on send', async () => {
    const dir = await walletWithDev0();
    stub.accounts.set(dev0.address, { balance: 100n * 100_000_000n, nonce: 0n, pendingNonce: 0n });
    const r = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'send', dev1.address, '1'], { MINICHAIN_PASSWORD: 'not the password' });
    assertError(r, 3, /wrong password for key "dev0"/);
    assert.deepEqual(stub.received, []);
  });

  it('insufficient funds: checked locally before anything is sent', async () => {
    const dir = await walletWithDev0();
    stub.accounts.set(dev0.address, { balance: 100_000_000n, nonce: 0n, pendingNonce: 0n });
    const r = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'send', dev1.address, '1']);
    assertError(r, 6, /insufficient funds: .* has 1 coins, needs 1\.00001 coins \(amount 1 \+ fee 0\.00001\)/);
    assert.deepEqual(stub.received, []);
  });

  it("insufficient funds: the node's 'insufficient-balance' reason; other rejections exit 5", async () => {
    const dir = await walletWithDev0();
    stub.accounts.set(dev0.address, { balance: 100n * 100_000_000n, nonce: 0n, pendingNonce: 0n });
    stub.rejectReason = 'insufficient-balance';
    assertError(await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'send', dev1.address, '1']), 6, /insufficient funds: .*insufficient-balance/);
    stub.rejectReason = 'tx-fee-too-low';
    const fee = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'send', dev1.address, '1', '--fee', '0']);
    assertError(fee, 5, /node rejected the transaction: tx-fee-too-low; pass a higher --fee \(in coins\)/);
    assert.equal(fee.stderr.split('tx-fee-too-low').length, 2, 'the reason once');
    assert.equal(stub.received.length, 2);
  });

  it('tx: unknown id exits 7, a known id is shown, a malformed id exits 4', async () => {
    const dir = await walletWithDev0();
    const unknown = 'ab'.repeat(32);
    assertError(await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'tx', unknown]), 7, new RegExp(`unknown transaction ${unknown}`));
    assertError(await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'tx', 'xyz']), 4, /invalid transaction id "xyz"/);

    stub.accounts.set(dev0.address, { balance: 100_000_000n, nonce: 0n, pendingNonce: 0n });
    const s = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'send', dev1.address, '0.25']);
    assert.equal(s.code, 0, s.stderr);
    const id = s.stdout.trim();
    const t = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'tx', id]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^status\s+pending$/m);
    assert.match(t.stdout, /^amount\s+0\.25 coins$/m);
    const tj = await run(['--wallet-dir', dir, '--rpc', rpcUrl, '--json', 'tx', id]);
    const view = JSON.parse(tj.stdout) as { status: string; height: number; tx: { from: string; to: string } };
    assert.equal(view.status, 'confirmed');
    assert.equal(view.height, 11);
    assert.deepEqual([view.tx.from, view.tx.to], [dev0.address, dev1.address]);
  });
});

describe('RpcClient against the CONTRACT STUB and misbehaving endpoints', () => {
  it('returns results and turns JSON-RPC errors into RpcError with the reason', async () => {
    const rpc = new RpcClient(rpcUrl);
    assert.equal((await rpc.call<{ chainId: number }>('getInfo')).chainId, 4242);
    await assert.rejects(rpc.call('getTransaction', ['00'.repeat(32)]), (e: unknown) => e instanceof RpcError && e.code === -32001 && e.reason === 'tx-not-found');
    await assert.rejects(rpc.call('noSuchMethod'), (e: unknown) => e instanceof RpcError && e.code === -32601 && e.reason === undefined);
  });

  it('names the URL when the answer is not JSON-RPC', async () => {
    await assert.rejects(new RpcClient(rpcUrl + '/html').call('getInfo'), (e: unknown) => isWalletError(e, 'BAD_RESPONSE') && e.message === `unexpected answer from node at ${rpcUrl}/html (HTTP 404, not JSON)`);
    await assert.rejects(new RpcClient(rpcUrl + '/wrong-id').call('getInfo'), (e: unknown) => isWalletError(e, 'BAD_RESPONSE'));
  });

  it('times out a node that never answers, and refuses a URL that is not http', async () => {
    const url = rpcUrl + '/hang';
    await assert.rejects(new RpcClient(url, { timeoutMs: 200 }).call('getInfo'), (e: unknown) => e instanceof NodeUnreachableError && e.url === url && e.message === `cannot reach node at ${url} (timed out after 200 ms)`);
    assert.throws(() => new RpcClient('ftp://127.0.0.1'), (e: unknown) => isWalletError(e, 'INVALID_INPUT'));
    assert.throws(() => new RpcClient('not a url'), (e: unknown) => isWalletError(e, 'INVALID_INPUT'));
  });
});

describe('minichain-wallet history against the CONTRACT STUB', () => {
  it('passes address and limit and prints newest first', async () => {
    const dir = await walletWithDev0();
    stub.accounts.set(dev0.address, { balance: 100_000_000n, nonce: 0n, pendingNonce: 0n });
    for (const [amount, nonce] of [['0.1', 0n], ['0.2', 1n]] as const) {
      stub.accounts.get(dev0.address)!.pendingNonce = nonce;
      const s = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'send', dev1.address, amount]);
      assert.equal(s.code, 0, s.stderr);
    }
    const h = await run(['--wallet-dir', dir, '--rpc', rpcUrl, '--json', 'history', '--limit', '5']);
    assert.equal(h.code, 0, h.stderr);
    assert.deepEqual(stub.historyParams, [[dev0.address, 5]]);
    const rows = JSON.parse(h.stdout) as { amount: string; nonce: string }[];
    assert.deepEqual(rows.map((r) => [r.amount, r.nonce]), [['20000000', '1'], ['10000000', '0']]);
    const hh = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'history', dev1.address]);
    assert.match(hh.stdout.split('\n')[0]!, new RegExp(`^11  [0-9a-f]{64}  ${dev0.address} -> ${dev1.address}  0\\.2 coins \\(fee 0\\.00001 coins\\)$`));
    assertError(await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'history', '--limit', '0']), 4, /invalid limit "0"/);
  });
});

describe('minichain-wallet: finding the node, raw RPC and what --wait explains (CONTRACT STUB)', () => {
  it('--rpc takes host:port or a URL, also from MINICHAIN_RPC; a bad one names the accepted forms', async () => {
    const dir = await walletWithDev0();
    stub.accounts.set(dev0.address, { balance: 150_000_000n, nonce: 0n, pendingNonce: 0n });
    const hostPort = rpcUrl.replace(/^http:\/\//, '');
    const a = await run(['--wallet-dir', dir, '--rpc', hostPort, 'balance']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /^balance\s+1\.5 coins$/m);
    const e = await run(['--wallet-dir', dir, 'balance'], { MINICHAIN_PASSWORD: PASSWORD, MINICHAIN_RPC: hostPort });
    assert.equal(e.code, 0, e.stderr);
    assertError(await run(['--wallet-dir', dir, '--rpc', 'ftp://x:1', 'balance']), 4, /invalid RPC address "ftp:\/\/x:1": must be http:\/\/ or https:\/\/; expected host:port \(e\.g\. 127\.0\.0\.1:\d+\) or a URL/);
    assertError(await run(['--wallet-dir', dir, '--rpc', 'http://[nope', 'balance']), 4, /expected host:port/);
  });

  it('balance <key name> works; an unknown name says so instead of "bad address"', async () => {
    const dir = await walletWithDev0();
    const ok = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'balance', 'dev0']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`^address\\s+${dev0.address}$`, 'm'));
    assertError(await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'balance', 'dev7']), 7, /no key named "dev7" in .* \(keys: dev0\), and it is not an address/);
  });

  it('send --wait says when the node is not mining and its last block is old; --json has block hash and confirmations', async () => {
    const dir = await walletWithDev0();
    stub.accounts.set(dev0.address, { balance: 100n * 100_000_000n, nonce: 0n, pendingNonce: 0n });
    const j = await run(['--wallet-dir', dir, '--rpc', rpcUrl, '--json', 'send', dev1.address, '1', '--wait']);
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout);
    assert.deepEqual([out.status, out.height, out.blockHash, out.confirmations], ['confirmed', 11, 'bb'.repeat(32), 1]);

    stub.mining = false;
    stub.lastBlockAgeSec = 600;
    stub.confirmAfterPolls = 1_000_000;
    const r = await run(['--wallet-dir', dir, '--rpc', rpcUrl, '--json', 'send', dev1.address, '1', '--wait', '--wait-timeout', '1']);
    assertError(r, 8, /still pending after 1 s; it may confirm later; node .* is not mining and its last block is 600 s old: is any node mining\? \(start one with minichain-node --mine/);
  });

  it('rpc <method> [params...] prints the JSON result; an unknown method points at "rpc help"', async () => {
    const dir = await newWallet();
    stub.accounts.set(dev0.address, { balance: 7n, nonce: 1n, pendingNonce: 2n });
    const r = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'rpc', 'getAccount', dev0.address]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { address: dev0.address, balance: '7', nonce: '1', pendingNonce: '2' });
    const i = await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'rpc', 'getInfo']);
    assert.equal(JSON.parse(i.stdout).chainId, 4242);
    assertError(await run(['--wallet-dir', dir, '--rpc', rpcUrl, 'rpc', 'nope']), 5, /nope failed: code -32601 \(Method not found\); "rpc help" lists the methods/);
  });

  it('--rpc-cookie authenticates; without it a 401 says which option to pass (exit 9)', async () => {
    const dir = await newWallet();
    const cookie = path.join(root, 'stub.cookie');
    await fs.writeFile(cookie, STUB_COOKIE + '\n', { mode: 0o600 });
    const ok = await run(['--wallet-dir', dir, '--rpc', rpcUrl + '/auth', '--rpc-cookie', cookie, 'rpc', 'getInfo']);
    assert.equal(ok.code, 0, ok.stderr);
    const viaEnv = await run(['--wallet-dir', dir, '--rpc', rpcUrl + '/auth', 'rpc', 'getInfo'], { MINICHAIN_RPC_COOKIE: cookie });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assertError(await run(['--wallet-dir', dir, '--rpc', rpcUrl + '/auth', 'rpc', 'getInfo']), 9, /refused access \(auth-required: authentication required\); pass --rpc-cookie <datadir>\/\.cookie/);
    assertError(await run(['--wallet-dir', dir, '--rpc', rpcUrl + '/auth', '--rpc-cookie', path.join(root, 'none'), 'rpc', 'getInfo']), 1, /cannot read the RPC cookie/);
  });
});
