/**
 * PeerStore and PeerTable on a real LevelDB: persistence across restarts (bans included), damaged records
 * skipped and deleted without stopping start-up, the lock, and PeerTable's debounced writes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Level } from 'level';
import { PeerStore, peerDbPath } from '../../node/storage/peer-store.js';
import { type AddrEntry, banDbKey, encodeAddrEntry, peerDbKey } from '../../node/storage/peer-layout.js';
import { PeerTable } from '../../node/p2p/peers/peer-table.js';
import { isNodeError } from '../../node/core/errors.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const nodeId = (i: number) => '03' + i.toString(16).padStart(64, '0');

function entry(i: number, extra: Partial<AddrEntry> = {}): AddrEntry {
  return { host: '127.0.0.1', port: 9000 + i, nodeId: nodeId(i), verified: i % 2 === 0, source: 'seed', firstSeen: T0, lastSeen: T0 + i, lastAttempt: 0, lastSuccess: 0, failures: i % 3, ...extra };
}

const byKey = (a: AddrEntry, b: AddrEntry) => a.port - b.port;
const dirs: { remove: () => Promise<void> }[] = [];
async function tmpPath(): Promise<string> {
  const d = await makeTmpDir('minichain-peers-');
  dirs.push(d);
  return peerDbPath(d.path);
}
after(async () => {
  for (const d of dirs) await d.remove();
});

describe('PeerStore', () => {
  it('keeps entries and bans across close and reopen', async () => {
    const path = await tmpPath();
    let store = await PeerStore.open(path);
    const entries = [entry(1), entry(2, { bannedUntil: T0 + HOUR, banReason: 'bad-tx-signature' }), entry(3, { nodeId: undefined, verified: false })];
    delete entries[2]!.nodeId;
    await store.saveMany(entries);
    await store.save(entry(4));
    await store.saveBan({ key: nodeId(2), until: T0 + HOUR, reason: 'bad-tx-signature' });
    await store.saveBan({ key: '127.0.0.1:9999', until: T0 + HOUR, reason: 'spam' });
    await store.remove('127.0.0.1:9004');
    await store.removeBan('127.0.0.1:9999');
    await store.close();

    store = await PeerStore.open(path);
    const loaded = await store.loadAll();
    await store.close();
    assert.equal(loaded.skipped, 0);
    assert.deepEqual(loaded.entries.sort(byKey), entries);
    assert.deepEqual(loaded.bans, [{ key: nodeId(2), until: T0 + HOUR, reason: 'bad-tx-signature' }]);
  });

  it('skips, counts and deletes damaged records while the rest loads', async () => {
    const path = await tmpPath();
    const store = await PeerStore.open(path);
    await store.saveMany([entry(1), entry(2), entry(3)]);
    await store.saveBan({ key: nodeId(1), until: T0 + HOUR, reason: 'x' });
    await store.close();

    const good = encodeAddrEntry(entry(5));
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
    const damaged = [
      peerDbKey('127.0.0.1:9002'), // overwritten with garbage
      peerDbKey('127.0.0.1:9005'), // a valid value with a trailing byte
      peerDbKey('127.0.0.1:9006'), // a valid value under the wrong key
      banDbKey(nodeId(7)), // a ban of an unknown version
      Uint8Array.of(0x7a, 1, 2), // an unknown prefix
    ];
    await raw.batch([
      { type: 'put', key: damaged[0]!, value: Uint8Array.of(1, 0xff, 0xff) },
      { type: 'put', key: damaged[1]!, value: Uint8Array.of(...good, 0) },
      { type: 'put', key: damaged[2]!, value: good },
      { type: 'put', key: damaged[3]!, value: Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 0, 0, 0) },
      { type: 'put', key: damaged[4]!, value: Uint8Array.of(0) },
    ]);
    await raw.close();

    let s = await PeerStore.open(path);
    const first = await s.loadAll();
    await s.close();
    assert.equal(first.skipped, 5);
    assert.deepEqual(first.entries.sort(byKey), [entry(1), entry(3)]);
    assert.equal(first.bans.length, 1);

    const check = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
    for (const k of damaged) assert.equal(await check.get(k), undefined, 'damaged record deleted');
    assert.equal((await check.keys().all()).length, 3);
    await check.close();

    s = await PeerStore.open(path);
    assert.equal((await s.loadAll()).skipped, 0);
    await s.close();
  });

  it('reports a lock held by another instance as STORAGE_LOCKED', async () => {
    const path = await tmpPath();
    const store = await PeerStore.open(path);
    await assert.rejects(PeerStore.open(path), (e) => isNodeError(e, 'STORAGE_LOCKED'));
    await store.close();
  });
});

describe('PeerTable', () => {
  const clock = () => T0;
  let r = 0;
  const random = () => ((r = (r * 16807 + 11) % 2147483647) / 2147483647);

  it('batches a gossip flood into few writes and flushes on close', async () => {
    const path = await tmpPath();
    const table = await PeerTable.open(path, { clock, random, flushIntervalMs: 20 });
    assert.deepEqual(table.loadReport, { loaded: 0, skipped: 0, dropped: 0 });
    for (let s = 0; s < 10; s++)
      for (let i = 0; i < 100; i++) table.book.add({ host: `127.0.${s}.${i + 1}`, port: 9000, nodeId: nodeId(s * 1000 + i) }, nodeId(s));
    assert.equal(table.book.size, 640, '64 per source');
    assert.equal(table.stats.batches, 0, 'nothing written synchronously');
    await waitFor(() => table.stats.batches > 0, 5000, 'first flush');
    assert.deepEqual(table.stats, { batches: 1, records: 640 });
    table.book.ban(nodeId(5), 'bad-blk-pow', HOUR);
    table.book.markSuccess({ host: '127.0.99.9', port: 9000 }, nodeId(9999));
    await table.close();
    assert.ok(table.stats.batches <= 3, `batches ${table.stats.batches}`);

    const again = await PeerTable.open(path, { clock, random, flushIntervalMs: 20 });
    try {
      assert.deepEqual(again.loadReport, { loaded: 641, skipped: 0, dropped: 0 });
      assert.equal(again.book.isBanned(nodeId(5)), true, 'ban survives restart');
      assert.equal(again.book.get('127.0.99.9:9000')?.verified, true);
      assert.equal(again.book.countBySource(nodeId(3)), 64, 'source counts rebuilt');
    } finally {
      await again.close();
    }
  });

  it('flushes pending changes on close even with a long interval', async () => {
    const path = await tmpPath();
    const table = await PeerTable.open(path, { clock, random, flushIntervalMs: 3_600_000 });
    table.book.add({ host: '127.0.0.1', port: 9100 }, 'manual');
    table.book.ban('127.0.0.1:9200', 'bad-handshake', HOUR);
    await table.close();
    await table.close(); // idempotent
    assert.deepEqual(table.stats, { batches: 1, records: 2 });

    const store = await PeerStore.open(path);
    const loaded = await store.loadAll();
    await store.close();
    assert.deepEqual(loaded.entries.map((e) => `${e.host}:${e.port}`), ['127.0.0.1:9100']);
    assert.deepEqual(loaded.bans, [{ key: '127.0.0.1:9200', until: T0 + HOUR, reason: 'bad-handshake' }]);
  });

  it('deletes on disk what the book drops at load (another network, expired bans)', async () => {
    const path = await tmpPath();
    const store = await PeerStore.open(path);
    await store.saveMany([entry(1), entry(2, { host: 'seed.example.org' })]);
    await store.saveBan({ key: nodeId(8), until: T0 - 1, reason: 'old' });
    await store.close();

    const table = await PeerTable.open(join(path), { clock, random, flushIntervalMs: 3_600_000 });
    assert.deepEqual(table.loadReport, { loaded: 1, skipped: 0, dropped: 1 });
    await table.close();

    const s = await PeerStore.open(path);
    const loaded = await s.loadAll();
    await s.close();
    assert.deepEqual(loaded.entries, [entry(1)]);
    assert.deepEqual(loaded.bans, []);
  });
});
