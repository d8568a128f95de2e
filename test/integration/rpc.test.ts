/**
 * JSON-RPC on a real HTTP socket over a real LevelDB chain and mempool: the envelope's standard
 * errors and limits, and every method's result shape, with rejections carrying the ledger's reason.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Chain } from '../../node/chain/chain.js';
import { Mempool } from '../../node/chain/mempool.js';
import { encodeAddress } from '../../node/core/address.js';
import { blockHash } from '../../node/core/block.js';
import { toHex } from '../../node/core/bytes.js';
import { referenceVerifier } from '../../node/core/keys.js';
import { encodeTx, txIdHex } from '../../node/core/tx.js';
import { makeMethods } from '../../node/rpc/methods.js';
import { RpcServer } from '../../node/rpc/server.js';
import { SigCache } from '../../node/verify/sig-cache.js';
import { DEV, COIN, makeBlock, makeTx, testParams } from '../helpers/chain-fixtures.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const params = testParams();
let chain: Chain;
let mempool: Mempool;
let server: RpcServer;
let url: string;
let removeDir: () => Promise<void>;

before(async () => {
  const tmp = await makeTmpDir('minichain-rpc-');
  removeDir = tmp.remove;
  const sigCache = new SigCache();
  chain = await Chain.open({ dir: tmp.path, params, sigCache, clock: () => params.genesisTimestamp + 3_600_000 });
  mempool = new Mempool({ chain, verifier: referenceVerifier, sigCache });
  chain.on('tip', (c) => void mempool.onTipChanged(c));
  server = new RpcServer(
    makeMethods({ chain, mempool, nodeId: '02' + '11'.repeat(32), version: 'test', peers: () => [], syncing: () => false, submitTx: (tx, wire) => mempool.acceptTx(tx, undefined, wire) }),
  );
  url = `http://127.0.0.1:${await server.start('127.0.0.1', 0)}`;
});

after(async () => {
  await server.stop();
  await chain.close();
  await removeDir();
});

async function post(body: string, method = 'POST'): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method, body: method === 'POST' ? body : undefined, headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  return { status: res.status, json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

async function call(method: string, params: unknown[] = []): Promise<any> {
  const { json } = await post(JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }));
  assert.equal(json.id, 7);
  return json;
}

test('envelope: parse error, invalid request, unknown method, bad params, body limit, GET, batch', async () => {
  assert.equal((await post('{nope')).json.error.code, -32700);
  assert.equal((await post('{"jsonrpc":"1.0","id":1,"method":"getInfo"}')).json.error.code, -32600);
  assert.equal((await post('{"jsonrpc":"2.0","id":1,"method":"getInfo","params":{}}')).json.error.code, -32600);
  assert.equal((await call('noSuchMethod')).error.code, -32601);
  const bad = await call('getAccount', ['mc1notanaddress']);
  assert.equal(bad.error.code, -32602);
  assert.equal(bad.error.data.reason, 'bad-address');
  const big = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getInfo', params: ['x'.repeat(1_100_000)] }));
  assert.equal(big.status, 413);
  assert.equal((await post('', 'GET')).status, 405);
  const batch = await post(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'getInfo' }, { jsonrpc: '2.0', id: 2, method: 'nope' }]));
  assert.equal(batch.json.length, 2);
  assert.equal(batch.json[0].result.chainId, params.chainId);
  assert.equal(batch.json[1].error.code, -32601);
});

test('methods: send, pending, mined, confirmed, history, blocks, rejections with reasons', async () => {
  const info = (await call('getInfo')).result;
  assert.deepEqual(Object.keys(info).sort(), ['chainId', 'genesisHash', 'height', 'lastBlockAgeSec', 'lastBlockTime', 'mempool', 'mining', 'network', 'nodeId', 'peers', 'syncing', 'tip', 'version', 'work', 'headerHeight', 'blocksPerSec', 'etaSec'].sort());
  assert.equal(info.genesisHash, toHex(params.genesisHash));

  const from = DEV[0]!;
  const to = encodeAddress(DEV[6]!.addressHash);
  const tx = makeTx(params, from, DEV[6]!.addressHash, 2n * COIN, 0n, 5000n);
  const sent = await call('sendTransaction', [toHex(encodeTx(tx))]);
  assert.equal(sent.result.id, txIdHex(tx));
  const again = await call('sendTransaction', [toHex(encodeTx(tx))]);
  assert.equal(again.error.code, -32000);
  assert.equal(again.error.data.reason, 'txn-already-known');
  const poor = makeTx(params, DEV[6]!, from.addressHash, COIN, 0n);
  assert.equal((await call('sendTransaction', [toHex(encodeTx(poor))])).error.data.reason, 'insufficient-balance');
  const cheap = makeTx(params, DEV[1]!, from.addressHash, COIN, 0n, 1n);
  assert.equal((await call('sendTransaction', [toHex(encodeTx(cheap))])).error.data.reason, 'tx-fee-too-low');
  assert.equal((await call('sendTransaction', ['00ff'])).error.data.reason, 'bad-tx-encoding');

  const pending = (await call('getTransaction', [sent.result.id])).result;
  assert.equal(pending.status, 'pending');
  assert.equal(pending.tx.amount, (2n * COIN).toString());
  const acct = (await call('getAccount', [encodeAddress(from.addressHash)])).result;
  assert.deepEqual([acct.nonce, acct.pendingNonce], ['0', '1']);
  assert.equal((await call('getMempool')).result.length, 1);

  const block = makeBlock(params, { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp }, [tx]);
  assert.ok((await chain.acceptBlock(block)).ok);
  const confirmed = (await call('getTransaction', [sent.result.id])).result;
  assert.equal(confirmed.status, 'confirmed');
  assert.equal(confirmed.height, 1);
  assert.equal(confirmed.confirmations, 1);
  assert.equal((await call('getAccount', [to])).result.balance, (2n * COIN).toString());
  const hist = (await call('getHistory', [to, 10])).result;
  assert.equal(hist.length, 1);
  assert.equal(hist[0].id, sent.result.id);
  const byHeight = (await call('getBlock', [1])).result;
  const byHash = (await call('getBlock', [toHex(blockHash(block.header))])).result;
  assert.deepEqual(byHeight, byHash);
  assert.equal(byHeight.txs.length, 1);
  assert.equal(byHeight.reward, (50n * COIN + 5000n).toString());
  assert.equal((await call('getBlock')).result.height, 1);
  assert.equal((await call('getBlockHash', [0])).result, toHex(params.genesisHash));
  const unknown = await call('getTransaction', ['ab'.repeat(32)]);
  assert.equal(unknown.error.code, -32001);
  assert.equal(unknown.error.data.reason, 'tx-not-found');
  assert.equal((await call('getBlock', [99])).error.data.reason, 'block-not-found');
  assert.deepEqual((await call('getPeers')).result, []);
});

test('sendTransaction hex: 0x and upper case accepted; a bad digit is bad params; an odd length and a wrong size are rejected encodings', async () => {
  const tx = makeTx(params, DEV[3]!, DEV[4]!.addressHash, COIN, 0n);
  const hex = toHex(encodeTx(tx));
  // A bad digit anywhere: in the first pair, in the middle, in the last (odd-length) digit.
  for (const bad of ['zz' + hex.slice(2), hex.slice(0, 100) + 'g' + hex.slice(101), hex + 'x', '0X' + hex, 12, null]) {
    const r = await call('sendTransaction', [bad]);
    assert.equal(r.error.code, -32602, String(bad).slice(0, 8));
    assert.equal(r.error.data.reason, 'bad-tx-encoding');
  }
  const odd = await call('sendTransaction', [hex + 'a']);
  assert.equal(odd.error.code, -32000);
  assert.equal(odd.error.data.reason, 'bad-tx-encoding');
  assert.match(odd.error.message, /not valid hex/);
  const short = await call('sendTransaction', [hex.slice(0, -2)]);
  assert.equal(short.error.code, -32000);
  assert.equal(short.error.data.reason, 'bad-tx-encoding');
  assert.equal((await call('sendTransaction', [''])).error.data.reason, 'bad-tx-encoding');
  const sent = await call('sendTransaction', ['0x' + hex.toUpperCase()]);
  assert.equal(sent.result.id, txIdHex(tx));
  assert.equal(mempool.get(txIdHex(tx))?.nonce, 0n);
  // The same transaction again, in lower case: the same id, already known.
  assert.equal((await call('sendTransaction', [hex])).error.data.reason, 'txn-already-known');
});

test('a batch of sendTransaction: all start at once, in order (one sender\'s nonces in one batch), a bad one gets its own error', async () => {
  const from = DEV[2]!; // funded, not used by the tests above
  const txs = Array.from({ length: 40 }, (_, n) => makeTx(params, from, DEV[7]!.addressHash, COIN / 100n, BigInt(n)));
  const calls: { jsonrpc: string; id: number | string; method: string; params: string[] }[] = txs.map((tx, i) => ({ jsonrpc: '2.0', id: i, method: 'sendTransaction', params: [toHex(encodeTx(tx))] }));
  // Call 20 is garbage and call 21 a cheap duplicate nonce: each fails alone, the rest are admitted in order.
  calls.splice(20, 0, { jsonrpc: '2.0', id: 'bad', method: 'sendTransaction', params: ['00ff'] });
  calls.splice(21, 0, { jsonrpc: '2.0', id: 'dup', method: 'sendTransaction', params: [toHex(encodeTx(makeTx(params, from, DEV[6]!.addressHash, COIN, 3n)))] });
  const { json } = await post(JSON.stringify(calls));
  assert.deepEqual(json.map((r: any) => r.id), calls.map((c) => c.id), 'one reply per call, in order');
  assert.equal(json[20].error.data.reason, 'bad-tx-encoding');
  assert.equal(json[21].error.data.reason, 'txn-replacement-fee-too-low');
  const ok = json.filter((r: any) => r.result);
  assert.equal(ok.length, 40);
  assert.deepEqual(ok.map((r: any) => r.result.id), txs.map((tx) => txIdHex(tx)));
  const acct = (await call('getAccount', [encodeAddress(from.addressHash)])).result;
  assert.equal(acct.pendingNonce, '40');
});
