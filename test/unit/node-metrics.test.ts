/**
 * NodeMetrics fed by stand-in event sources: a reorg moves the reorg counter and depth histogram,
 * bans and disconnects are counted by reason, and the reason label set is capped (distinct reasons
 * beyond MAX_REASON_LABELS fold into "other", so a peer cannot grow the series count without bound).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { NodeMetrics, MetricsSources, MAX_ANNOUNCED } from '../../node/metrics/node-metrics.js';
import { encodeMessage } from '../../node/p2p/protocol/messages.js';
import { toHex } from '../../node/core/bytes.js';
import { parseExposition, sumOf } from '../../node/dashboard/prom-text.js';

function sources(): { s: MetricsSources; chain: EventEmitter; mempool: EventEmitter; p2p: EventEmitter } {
  const chain = Object.assign(new EventEmitter(), { height: 7, tip: { timestamp: 1_000 } });
  const mempool = Object.assign(new EventEmitter(), { size: 2, bytes: 290 });
  const p2p = Object.assign(new EventEmitter(), {
    peers: () => [
      { direction: 'inbound', height: 9 },
      { direction: 'outbound', height: 8 },
      { direction: 'outbound', height: 7 },
    ],
    syncing: () => true,
  });
  const s = { chain, mempool, p2p, clock: () => 5_000 } as unknown as MetricsSources;
  return { s, chain, mempool, p2p };
}

const block = (timestamp: number) => ({ header: { timestamp } });

test('gauges at scrape time; reorg counter and depth; bans and disconnects by reason', async () => {
  const m = new NodeMetrics();
  const { s, chain, p2p } = sources();
  m.attach(s);
  chain.emit('tip', { connected: [block(1000), block(3000)], disconnected: [block(1), block(2), block(3)] });
  p2p.emit('peer-banned', { nodeId: 'x', reason: 'bad-blk-pow' });
  p2p.emit('peer-disconnected', { nodeId: null, reason: 'handshake-timeout', address: '' });
  const e = parseExposition(await m.text());
  assert.equal(sumOf(e, 'minichain_tip_height'), 7);
  assert.equal(sumOf(e, 'minichain_tip_age_seconds'), 4);
  assert.equal(sumOf(e, 'minichain_peers', { direction: 'outbound' }), 2);
  assert.equal(sumOf(e, 'minichain_peers', { direction: 'inbound' }), 1);
  assert.equal(sumOf(e, 'minichain_sync_active'), 1);
  assert.equal(sumOf(e, 'minichain_sync_best_peer_height'), 9);
  assert.equal(sumOf(e, 'minichain_mempool_bytes'), 290);
  assert.equal(sumOf(e, 'minichain_blocks_connected_total'), 2);
  assert.equal(sumOf(e, 'minichain_blocks_disconnected_total'), 3);
  assert.equal(sumOf(e, 'minichain_reorgs_total'), 1);
  assert.equal(sumOf(e, 'minichain_reorg_depth_blocks_bucket', { le: '2' }), 0);
  assert.equal(sumOf(e, 'minichain_reorg_depth_blocks_bucket', { le: '3' }), 1);
  assert.equal(sumOf(e, 'minichain_block_first_seen_delay_seconds_count'), 2);
  assert.equal(sumOf(e, 'minichain_peer_bans_total', { reason: 'bad-blk-pow' }), 1);
  assert.equal(sumOf(e, 'minichain_peer_disconnects_total', { reason: 'handshake-timeout' }), 1);

  m.detach();
  chain.emit('tip', { connected: [block(1)], disconnected: [] });
  assert.equal(chain.listenerCount('tip'), 0);
});

test('reason labels are capped: the 65th distinct reason and later count as "other"', async () => {
  const m = new NodeMetrics();
  const { s, mempool } = sources();
  m.attach(s);
  for (let i = 0; i < 80; i++) mempool.emit('rejected', `reason-${i}`);
  mempool.emit('rejected', 'reason-3');
  const e = parseExposition(await m.text());
  const labels = e.samples.filter((x) => x.name === 'minichain_txs_rejected_total').map((x) => x.labels.reason!);
  assert.equal(labels.length, 65);
  assert.equal(sumOf(e, 'minichain_txs_rejected_total', { reason: 'other' }), 16);
  assert.equal(sumOf(e, 'minichain_txs_rejected_total', { reason: 'reason-3' }), 2);
  assert.equal(sumOf(e, 'minichain_txs_rejected_total'), 81);
});

test('tx first-seen delay: from the first inv to admission; at most MAX_ANNOUNCED remembered, oldest forgotten', async () => {
  const m = new NodeMetrics();
  const { s, mempool, p2p } = sources();
  m.attach(s);
  const conn = Object.assign(new EventEmitter(), { closed: new Promise(() => {}) });
  p2p.emit('peer-connection', conn);
  const hash = (i: number) => {
    const h = new Uint8Array(32);
    new DataView(h.buffer).setUint32(0, i);
    return h;
  };
  const total = MAX_ANNOUNCED + 1000;
  for (let start = 0; start < total; start += 1000) {
    const items = Array.from({ length: 1000 }, (_, k) => ({ kind: 'tx' as const, hash: hash(start + k) }));
    conn.emit('frame', encodeMessage({ type: 'inv', items }));
  }
  mempool.emit('tx', {}, toHex(hash(0))); // forgotten: the oldest 1000 were evicted
  mempool.emit('tx', {}, toHex(hash(total - 1)));
  mempool.emit('tx', {}, toHex(hash(total - 1))); // a second admission is not timed again
  const e = parseExposition(await m.text());
  assert.equal(sumOf(e, 'minichain_tx_first_seen_delay_seconds_count'), 1);
  assert.equal(sumOf(e, 'minichain_p2p_messages_received_total', { type: 'inv' }), total / 1000);
  assert.equal(sumOf(e, 'minichain_txs_accepted_total'), 3);
});
