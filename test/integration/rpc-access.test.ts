/**
 * The JSON-RPC server against what a web page or a LAN neighbour could send, on a real HTTP socket
 * over a real LevelDB chain: cross-origin and text/plain POSTs, a foreign Host (DNS rebinding), cookie
 * authentication when listening beyond loopback, and a heavy 100-call batch that must neither take
 * long nor hold the event loop. Also `help` (one entry per method) and getInfo's mining fields.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Chain } from '../../node/chain/chain.js';
import { Mempool } from '../../node/chain/mempool.js';
import { BatchSignatureVerifier } from '../../node/chain/sig-check.js';
import { encodeAddress } from '../../node/core/address.js';
import { blockHash } from '../../node/core/block.js';
import { referenceVerifier } from '../../node/core/keys.js';
import { Tx } from '../../node/core/tx.js';
import { makeMethods } from '../../node/rpc/methods.js';
import { METHOD_HELP } from '../../node/rpc/help.js';
import { OperatorOps, addOperatorMethods } from '../../node/rpc/operator-methods.js';
import { COOKIE_FILE, rpcAccessFor } from '../../node/rpc/cookie.js';
import { rpcCall } from '../../node/rpc/client.js';
import { RpcError } from '../../node/rpc/errors.js';
import { authedUrl } from '../../node/testnet/launcher.js';
import { MAX_BATCH, RpcServer, makeAccessPolicy } from '../../node/rpc/server.js';
import { verifyFast } from '../../node/verify/fast-verifier.js';
import { SigCache } from '../../node/verify/sig-cache.js';
import { DEV, COIN, makeBlock, makeTx, testParams, ParentRef } from '../helpers/chain-fixtures.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const params = testParams();
const fastBatch: BatchSignatureVerifier = { verifyAll: async (jobs) => jobs.map((j) => verifyFast(j.msg, j.sig, j.publicKey)) };
let chain: Chain;
let mempool: Mempool;
let tmpPath: string;
const servers: RpcServer[] = [];
let removeDir: () => Promise<void>;
let mining = false;
const HEAVY = encodeAddress(DEV[6]!.addressHash);

function methods() {
  return makeMethods({
    chain,
    mempool,
    nodeId: '02' + '11'.repeat(32),
    version: 'test',
    peers: () => [],
    syncing: () => false,
    submitTx: (tx) => mempool.acceptTx(tx),
    mining: () => mining,
    now: () => chain.tip.timestamp + 7_500,
  });
}

async function serve(access = makeAccessPolicy({ bindHost: '127.0.0.1' })): Promise<number> {
  const s = new RpcServer(methods(), undefined, access);
  servers.push(s);
  return s.start('127.0.0.1', 0);
}

before(async () => {
  const tmp = await makeTmpDir('minichain-rpc-access-');
  removeDir = tmp.remove;
  tmpPath = tmp.path;
  const sigCache = new SigCache();
  chain = await Chain.open({ dir: join(tmp.path, 'chain'), params, sigCache, verifier: fastBatch, clock: () => params.genesisTimestamp + 3_600_000 });
  mempool = new Mempool({ chain, verifier: referenceVerifier, sigCache });
  // 8 blocks of 50 transfers to one address: its history holds 400 entries.
  let parent: ParentRef = { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp };
  for (let b = 0; b < 8; b++) {
    const txs: Tx[] = [];
    for (let s = 0; s < 5; s++) for (let k = 0; k < 10; k++) txs.push(makeTx(params, DEV[s]!, DEV[6]!.addressHash, COIN, BigInt(b * 10 + k)));
    const block = makeBlock(params, parent, txs);
    const v = await chain.acceptBlock(block);
    assert.ok(v.ok, v.ok ? '' : v.reason);
    parent = { hash: blockHash(block.header), height: block.header.height, timestamp: block.header.timestamp };
  }
});

after(async () => {
  for (const s of servers) await s.stop();
  await chain.close();
  await removeDir();
});

/** A raw HTTP POST, so that Host, Origin and Content-Type are exactly what a browser or attacker sends. */
function post(port: number, body: string, headers: Record<string, string>): Promise<{ status: number; json: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const INFO = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getInfo' });
const JSON_CT = { 'content-type': 'application/json' };

test('a cross-origin POST, a text/plain POST and a foreign Host are refused; loopback clients pass', async () => {
  const port = await serve();
  const ok = await post(port, INFO, { ...JSON_CT, host: `127.0.0.1:${port}` });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.result.chainId, params.chainId);
  assert.equal((await post(port, INFO, { ...JSON_CT, host: `localhost:${port}` })).status, 200);
  assert.equal((await post(port, INFO, { 'content-type': 'application/json; charset=utf-8', host: `[::1]:${port}` })).status, 200);

  const cross = await post(port, INFO, { ...JSON_CT, host: `127.0.0.1:${port}`, origin: 'https://evil.example' });
  assert.equal(cross.status, 403);
  assert.equal(cross.json.error.data.reason, 'forbidden-origin');
  assert.equal(cross.headers['access-control-allow-origin'], undefined);

  // A "simple" cross-site form post: no preflight in a browser, so the server itself must refuse it.
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const r = await post(port, INFO, { 'content-type': ct, host: `127.0.0.1:${port}` });
    assert.equal(r.status, 415, ct);
    assert.equal(r.json.error.data.reason, 'bad-content-type');
  }
  const none = await post(port, INFO, { host: `127.0.0.1:${port}` });
  assert.equal(none.status, 415);

  // DNS rebinding: the page's own name now resolves to 127.0.0.1, but the Host header still says it.
  const rebound = await post(port, INFO, { ...JSON_CT, host: `evil.example:${port}` });
  assert.equal(rebound.status, 403);
  assert.equal(rebound.json.error.data.reason, 'forbidden-host');
  assert.equal((await post(port, INFO, { ...JSON_CT, host: `127.0.0.1.nip.io:${port}` })).status, 403);
});

test('--rpc-allow-origin lets exactly that origin in, with CORS headers and a preflight answer', async () => {
  const port = await serve(makeAccessPolicy({ bindHost: '127.0.0.1', allowOrigins: ['http://localhost:3000'] }));
  const r = await post(port, INFO, { ...JSON_CT, host: `127.0.0.1:${port}`, origin: 'http://localhost:3000' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['access-control-allow-origin'], 'http://localhost:3000');
  assert.equal((await post(port, INFO, { ...JSON_CT, host: `127.0.0.1:${port}`, origin: 'http://localhost:3001' })).status, 403);
  const pre = await fetch(`http://127.0.0.1:${port}/`, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:3000');
});

test('beyond loopback a cookie in the datadir is required (bitcoind style); on loopback none is written', async () => {
  const loop = await rpcAccessFor({ datadir: tmpPath, rpcHost: '127.0.0.1' });
  assert.equal(loop.credentials, undefined);
  await assert.rejects(stat(join(tmpPath, COOKIE_FILE)), /ENOENT/);

  // The policy a node listening on all interfaces gets (computed only: tests listen on loopback).
  const wide = await rpcAccessFor({ datadir: tmpPath, rpcHost: '0.0.0.0' });
  const cookie = (await readFile(join(tmpPath, COOKIE_FILE), 'utf8')).trim();
  assert.match(cookie, /^__cookie__:[0-9a-f]{64}$/);
  assert.equal(wide.credentials, cookie);
  assert.equal((await stat(join(tmpPath, COOKIE_FILE))).mode & 0o077, 0, 'cookie readable by its owner only');

  const port = await serve(wide);
  const host = { host: `127.0.0.1:${port}` };
  const anon = await post(port, INFO, { ...JSON_CT, ...host });
  assert.equal(anon.status, 401);
  assert.equal(anon.json.error.data.reason, 'auth-required');
  assert.match(String(anon.headers['www-authenticate']), /^Basic/);
  const wrong = await post(port, INFO, { ...JSON_CT, ...host, authorization: 'Basic ' + Buffer.from('__cookie__:' + '0'.repeat(64)).toString('base64') });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.error.data.reason, 'bad-auth');
  const good = await post(port, INFO, { ...JSON_CT, ...host, authorization: 'Basic ' + Buffer.from(cookie).toString('base64') });
  assert.equal(good.status, 200);
  assert.equal(good.json.result.chainId, params.chainId);

  // The testnet launcher and the node's own client pick the cookie up from the datadir.
  const url = `http://127.0.0.1:${port}`;
  await assert.rejects(rpcCall(url, 'getInfo'), (e: unknown) => e instanceof RpcError && e.data?.reason === 'auth-required');
  assert.equal((await rpcCall<{ chainId: number }>(await authedUrl({ rpc: url, datadir: tmpPath }), 'getInfo')).chainId, params.chainId);
});

test('a 100-call batch of the heaviest calls finishes within 1 s and never holds the event loop', async () => {
  const port = await serve();
  const batch = Array.from({ length: MAX_BATCH }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'getHistory', params: [HEAVY, 1000] }));
  // The event loop must keep turning while the batch works: sample its gaps.
  let maxGap = 0;
  let last = Date.now();
  const sampler = setInterval(() => {
    const now = Date.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 5);
  const t0 = Date.now();
  const r = await post(port, JSON.stringify(batch), { ...JSON_CT, host: `127.0.0.1:${port}` });
  const took = Date.now() - t0;
  clearInterval(sampler);
  assert.equal(r.status, 200);
  assert.equal(r.json.length, MAX_BATCH, 'one reply per call');
  assert.ok(took < 1000, `batch took ${took} ms`);
  const done = r.json.filter((x: any) => x.result);
  const skipped = r.json.filter((x: any) => x.error);
  assert.ok(done.length >= 1, 'at least the first call runs');
  assert.equal(done[0].result.length, 400, 'the full history of the heavy address');
  assert.equal(done[0].result[0].blockHash, chain.tip.hashHex, 'newest first, with its block hash');
  for (const s of skipped) assert.equal(s.error.data.reason, 'batch-time-limit');
  assert.deepEqual(r.json.map((x: any) => x.id), batch.map((b) => b.id), 'replies in order, ids kept');
  assert.ok(maxGap < 500, `event loop blocked for ${maxGap} ms`);
});

test('help lists every method once, with parameters and a line; getInfo says whether the node mines', async () => {
  const port = await serve();
  const call = async (method: string, p: unknown[] = []) => (await post(port, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: p }), { ...JSON_CT, host: `127.0.0.1:${port}` })).json;
  const help = (await call('help')).result as { method: string; params: string; description: string }[];
  assert.deepEqual(help.map((h) => h.method).sort(), [...methods().keys()].sort());
  // A full node also serves the operator methods and the (guarded) test-only controls: each has its help line.
  const full = new Map(methods());
  addOperatorMethods(full, {} as OperatorOps, undefined);
  assert.ok(full.size > methods().size);
  assert.deepEqual(METHOD_HELP.map((h) => h.method).sort(), [...full.keys()].sort());
  for (const h of help) assert.ok(h.params.startsWith('[') && h.description.length > 10, h.method);
  assert.deepEqual((await call('help', ['getAccount'])).result, METHOD_HELP.find((h) => h.method === 'getAccount'));
  assert.equal((await call('help', ['nope'])).error.data.reason, 'method-not-found');
  mining = false;
  const idle = (await call('getInfo')).result;
  assert.equal(idle.mining, false);
  assert.equal(idle.lastBlockAgeSec, 7);
  assert.equal(idle.lastBlockTime, chain.tip.timestamp);
  mining = true;
  assert.equal((await call('getInfo')).result.mining, true);
});
