/**
 * GET /metrics on the RPC port of two real full nodes (in-process FullNode: real LevelDB, real ws on
 * 127.0.0.1, real HTTP): the body parses as Prometheus text exposition format, and the counters move
 * after a transaction (accepted on both nodes, rejected with its reason) and a block (connected on both,
 * block messages and bytes counted, accept-time histogram observed).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { NodeConfig } from '../../node/config.js';
import { encodeTx } from '../../node/core/tx.js';
import { toHex } from '../../node/core/bytes.js';
import { parseExposition, sumOf, Exposition } from '../../node/dashboard/prom-text.js';
import { FullNode } from '../../node/full-node.js';
import { silentLog } from '../../node/log.js';
import { rpcCall } from '../../node/rpc/client.js';
import { DEV, COIN, makeBlock, makeTx, testParams } from '../helpers/chain-fixtures.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const params = testParams();
const nodes: FullNode[] = [];
let removeDir: () => Promise<void>;

function config(datadir: string, seeds: string[]): NodeConfig {
  return {
    datadir,
    host: '127.0.0.1',
    port: 0,
    rpcHost: '127.0.0.1',
    rpcPort: 0,
    seeds,
    mine: false,
    mineDuty: 0.1,
    genesisPath: '',
    logLevel: 'silent',
    maxOutbound: 4,
    maxInbound: 8,
    refreshIntervalMs: 400,
  };
}

const rpcUrl = (n: FullNode) => `http://127.0.0.1:${n.rpc.port}`;

async function scrape(n: FullNode): Promise<Exposition> {
  const res = await fetch(`${rpcUrl(n)}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

before(async () => {
  const tmp = await makeTmpDir('minichain-metrics-');
  removeDir = tmp.remove;
  const a = await FullNode.start(config(join(tmp.path, 'a'), []), params, silentLog);
  nodes.push(a);
  const b = await FullNode.start(config(join(tmp.path, 'b'), [a.p2p.url]), params, silentLog);
  nodes.push(b);
});

after(async () => {
  for (const n of nodes.reverse()) await n.stop();
  await removeDir();
});

test('the parser refuses what is not exposition format', () => {
  assert.throws(() => parseExposition('minichain_x 1\n'), /before its TYPE line/);
  assert.throws(() => parseExposition('# TYPE minichain_x counter\nminichain_x{a=1} 1\n'), /not quoted/);
  assert.throws(() => parseExposition('# TYPE minichain_x gauge\nminichain_x one\n'), /bad value/);
  assert.throws(() => parseExposition('# TYPE minichain_x gauge\n{} 1\n'), /not a sample line/);
  const ok = parseExposition('# HELP minichain_x_total X.\n# TYPE minichain_x_total counter\nminichain_x_total{reason="a\\"b"} 2\n');
  assert.deepEqual(ok.samples, [{ name: 'minichain_x_total', labels: { reason: 'a"b' }, value: 2 }]);
});

test('/metrics is valid exposition format and counters move after a tx and a block', { timeout: 30_000 }, async () => {
  const [a, b] = nodes as [FullNode, FullNode];
  // b dials a; a may also dial b back (one connection per direction is allowed), so count b's outbound.
  await waitFor(() => a.p2p.peers().length >= 1 && b.p2p.peers().some((p) => p.direction === 'outbound'), 15_000, 'a and b connected', 50);

  const before = await scrape(b);
  for (const e of [before, await scrape(a)]) {
    // Names: the minichain_ prefix everywhere, _total on every counter, a TYPE for every family.
    for (const [name, type] of e.types) {
      assert.match(name, /^minichain_/, name);
      if (type === 'counter') assert.match(name, /_total$/, name);
    }
    for (const name of ['minichain_peers', 'minichain_tip_height', 'minichain_mempool_txs', 'minichain_mempool_bytes', 'minichain_tip_age_seconds', 'minichain_block_accept_seconds', 'minichain_block_first_seen_delay_seconds', 'minichain_reorg_depth_blocks', 'minichain_nodejs_eventloop_lag_seconds', 'minichain_process_resident_memory_bytes', 'minichain_nodejs_heap_size_used_bytes'])
      assert.ok(e.types.has(name), `missing ${name}`);
  }
  assert.equal(sumOf(before, 'minichain_peers', { direction: 'outbound' }), 1);
  assert.equal(sumOf(before, 'minichain_tip_height'), 0);
  assert.equal(sumOf(before, 'minichain_txs_accepted_total'), 0);

  // A transaction through a's RPC, relayed to b; then the same one again, refused as a duplicate.
  const tx = makeTx(params, DEV[0]!, DEV[6]!.addressHash, 3n * COIN, 0n);
  const hex = toHex(encodeTx(tx));
  await rpcCall(rpcUrl(a), 'sendTransaction', [hex]);
  await assert.rejects(rpcCall(rpcUrl(a), 'sendTransaction', [hex]));
  await waitFor(() => b.mempool.size === 1, 10_000, 'the tx to reach b', 25);
  const afterTx = await scrape(b);
  const aTx = await scrape(a);
  assert.equal(sumOf(aTx, 'minichain_txs_accepted_total'), 1);
  assert.equal(sumOf(afterTx, 'minichain_txs_accepted_total'), 1);
  assert.ok(sumOf(aTx, 'minichain_txs_rejected_total') >= 1);
  assert.equal(aTx.samples.filter((s) => s.name === 'minichain_txs_rejected_total' && s.labels.reason === '').length, 0);
  assert.equal(sumOf(afterTx, 'minichain_mempool_txs'), 1);
  assert.ok(sumOf(afterTx, 'minichain_mempool_bytes') > 0);
  assert.ok(sumOf(afterTx, 'minichain_p2p_messages_received_total', { type: 'tx' }) >= 1);
  assert.ok(sumOf(afterTx, 'minichain_p2p_received_bytes_total', { type: 'tx' }) > 100);
  assert.ok(sumOf(aTx, 'minichain_p2p_messages_sent_total', { type: 'tx' }) >= 1);
  assert.ok(sumOf(afterTx, 'minichain_sig_verifications_total', { path: 'mempool' }) >= 1);
  assert.equal(sumOf(afterTx, 'minichain_tx_first_seen_delay_seconds_count'), 1, 'b timed the announced tx');
  assert.equal(sumOf(aTx, 'minichain_tx_first_seen_delay_seconds_count'), 0, 'a got it over RPC, unannounced');

  // A block with that tx mined on a, relayed to b.
  const tip = a.chain.tip;
  const block = makeBlock(params, { hash: tip.hash, height: tip.height, timestamp: tip.timestamp }, [tx]);
  const r = await a.chain.acceptBlock(block);
  assert.ok(r.ok);
  await waitFor(() => b.chain.height === 1 && b.mempool.size === 0, 10_000, 'the block to reach b', 25);
  const afterBlock = await scrape(b);
  assert.equal(sumOf(afterBlock, 'minichain_blocks_connected_total'), 1);
  assert.equal(sumOf(afterBlock, 'minichain_tip_height'), 1);
  assert.equal(sumOf(afterBlock, 'minichain_mempool_txs'), 0);
  // The block reaches b as a block, or (compact block relay, issue #9) as a cmpctblock rebuilt from b's mempool.
  assert.ok(sumOf(afterBlock, 'minichain_p2p_messages_received_total', { type: 'block' }) + sumOf(afterBlock, 'minichain_p2p_messages_received_total', { type: 'cmpctblock' }) >= 1);
  assert.ok(sumOf(afterBlock, 'minichain_block_accept_seconds_count', { status: 'connected' }) >= 1);
  assert.ok(sumOf(afterBlock, 'minichain_block_first_seen_delay_seconds_count') >= 1);
  // b checked the tx on entry, so the block's signature was a cache hit.
  assert.ok(sumOf(afterBlock, 'minichain_sig_cache_hits_total') >= 1);
  assert.equal(sumOf(afterBlock, 'minichain_reorgs_total'), 0);
  const aBlock = await scrape(a);
  assert.equal(sumOf(aBlock, 'minichain_blocks_connected_total'), 1);
  assert.ok(sumOf(aBlock, 'minichain_p2p_messages_sent_total', { type: 'inv' }) >= 1);

  // HEAD works; POST stays JSON-RPC.
  const head = await fetch(`${rpcUrl(a)}/metrics`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});
