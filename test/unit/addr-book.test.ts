/**
 * AddrBook policy: bounds, per-source cap, junk rejection, backoff, forgetting, bans keyed by nodeId or
 * host:port (never IP), selection and sampling. Deterministic: a fake clock and a seeded generator.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddrBook, type AddrBookOptions, type AddrEntry, backoffMs, isLoopbackHost, peerKey } from '../../node/p2p/peers/addr-book.js';
import { isNodeError } from '../../node/core/errors.js';
import { seededRandom as seeded } from '../helpers/prng.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;


function nodeId(i: number): string {
  return (i % 2 === 0 ? '02' : '03') + i.toString(16).padStart(64, '0');
}

/** The i-th distinct loopback address. */
function addr(i: number, withId = true): { host: string; port: number; nodeId?: string } {
  const a = { host: `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 9000 + (i % 7) };
  return withId ? { ...a, nodeId: nodeId(i) } : a;
}

function makeBook(opts: Partial<AddrBookOptions> = {}, seed = 1): { book: AddrBook; clock: { now: number } } {
  const clock = { now: T0 };
  const book = new AddrBook({ clock: () => clock.now, random: seeded(seed), ...opts });
  return { book, clock };
}

const keys = (list: AddrEntry[]) => list.map(peerKey);

describe('AddrBook: admission', () => {
  it('caps one source at 64 entries even when it sends 10,000 addresses', () => {
    const { book } = makeBook();
    const flooder = nodeId(999_999);
    let accepted = 0;
    const reasons = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const r = book.add(addr(i), flooder);
      if (r.ok) accepted++;
      else reasons.add(r.reason);
    }
    assert.equal(accepted, 64);
    assert.equal(book.size, 64);
    assert.equal(book.countBySource(flooder), 64);
    assert.deepEqual([...reasons], ['source-limit']);
    // Another source is unaffected, and an operator source is not capped at all.
    assert.equal(book.add(addr(20_000), nodeId(5)).ok, true);
    for (let i = 30_000; i < 30_100; i++) assert.equal(book.add(addr(i), 'manual').ok, true);
    assert.equal(book.size, 64 + 1 + 100);
  });

  it('never holds more than maxEntries, evicting to admit newcomers', () => {
    const { book } = makeBook();
    let i = 0;
    for (let s = 0; s < 60; s++) for (let k = 0; k < 64; k++) book.add(addr(i++), nodeId(100_000 + s));
    assert.equal(i, 3840);
    assert.equal(book.size, 2000);
    // The newest addresses are in: each insertion past the bound evicted someone.
    assert.equal(book.has(peerKey(addr(i - 1))), true);
  });

  it('evicts the worst entry and never a connected or recently verified one', () => {
    const { book, clock } = makeBook({ maxEntries: 4 });
    for (let i = 0; i < 4; i++) assert.equal(book.add(addr(i), 'seed-ish').ok, true);
    book.setConnected(peerKey(addr(0)), true);
    book.markFailure(peerKey(addr(0)));
    book.markFailure(peerKey(addr(0)));
    assert.equal(book.markSuccess(addr(1), nodeId(1)).ok, true);
    book.markFailure(peerKey(addr(1)));
    book.markFailure(peerKey(addr(2))); // the worst unprotected entry
    clock.now += MIN;
    assert.equal(book.add(addr(10), 'other').ok, true);
    assert.equal(book.has(peerKey(addr(2))), false, 'most failures evicted first');
    // Now 0 (connected), 1 (verified recently), 3, 10: oldest lastSeen among 3 and 10 goes.
    assert.equal(book.add(addr(11), 'other').ok, true);
    assert.equal(book.has(peerKey(addr(3))), false);
    assert.equal(book.has(peerKey(addr(0))), true);
    assert.equal(book.has(peerKey(addr(1))), true);
  });

  it('refuses when every entry is protected', () => {
    const { book } = makeBook({ maxEntries: 2 });
    book.add(addr(0), 'x');
    book.add(addr(1), 'x');
    book.setConnected(peerKey(addr(0)), true);
    book.markSuccess(addr(1), nodeId(1));
    assert.deepEqual(book.add(addr(2), 'x'), { ok: false, reason: 'table-full' });
    assert.equal(book.size, 2);
  });

  it('rejects junk for the local network, port 0 and our own address', () => {
    const self = nodeId(77);
    const { book } = makeBook({ selfNodeId: self, selfAddrs: [{ host: '127.0.0.1', port: 7000 }] });
    const cases: [Parameters<AddrBook['add']>[0], string][] = [
      [{ host: '0.0.0.0', port: 9000 }, 'bad-host'],
      [{ host: '224.0.0.1', port: 9000 }, 'bad-host'],
      [{ host: 'seed.example.org', port: 9000 }, 'bad-host'],
      [{ host: '::', port: 9000 }, 'bad-host'],
      [{ host: '127.0.0.01', port: 9000 }, 'bad-host'],
      [{ host: '127.0.0.256', port: 9000 }, 'bad-host'],
      [{ host: '', port: 9000 }, 'bad-host'],
      [{ host: '127.0.0.1', port: 0 }, 'bad-port'],
      [{ host: '127.0.0.1', port: 65536 }, 'bad-port'],
      [{ host: '127.0.0.1', port: 1.5 }, 'bad-port'],
      [{ host: '127.0.0.1', port: 9000, nodeId: '04' + '00'.repeat(32) }, 'bad-node-id'],
      [{ host: '127.0.0.1', port: 9000, nodeId: '02abc' }, 'bad-node-id'],
      [{ host: '127.0.0.1', port: 7000 }, 'self-address'],
      [{ host: '127.0.0.2', port: 9000, nodeId: self }, 'self-address'],
    ];
    for (const [a, reason] of cases) assert.deepEqual(book.add(a, 'x'), { ok: false, reason }, JSON.stringify(a));
    assert.equal(book.size, 0);
    assert.equal(book.add({ host: 'localhost', port: 9000 }, 'x').ok, true);
    assert.equal(book.add({ host: '127.255.0.3', port: 1 }, 'x').ok, true);
    assert.equal(isLoopbackHost('127.1'), false);
    // Beyond loopback: private and public IPv4 and IPv6 are addresses too, kept in one canonical spelling.
    assert.equal(book.add({ host: '10.0.0.1', port: 9000 }, 'x').ok, true);
    assert.equal(book.add({ host: '8.8.8.8', port: 9000 }, 'x').ok, true);
    const v6 = book.add({ host: '2001:DB8:0:0::1', port: 9000 }, 'x');
    assert.ok(v6.ok && v6.entry.host === '2001:db8::1');
  });

  it('takes the accepted-host predicate by injection', () => {
    const { book } = makeBook({ isAcceptableHost: (h) => h.endsWith('.example') });
    assert.equal(book.add({ host: 'a.example', port: 1 }, 'x').ok, true);
    assert.deepEqual(book.add({ host: '127.0.0.1', port: 1 }, 'x'), { ok: false, reason: 'bad-host' });
  });

  it('does not let gossip overwrite an id already held, nor fake freshness', () => {
    const { book, clock } = makeBook();
    book.add(addr(1), 'a', T0 - HOUR);
    const r = book.add({ ...addr(1), nodeId: nodeId(2) }, 'b', T0 + DAY);
    assert.ok(r.ok);
    assert.equal(r.entry.nodeId, nodeId(1));
    assert.equal(r.entry.source, 'a');
    assert.equal(r.entry.lastSeen, T0, 'a future lastSeen is clamped to now');
    clock.now += MIN;
    assert.equal(book.markSuccess(addr(1), nodeId(3)).ok, true);
    const e = book.get(peerKey(addr(1)))!;
    assert.equal(e.nodeId, nodeId(3), 'the handshake-proven id wins');
    assert.equal(e.verified, true);
    assert.equal(e.lastSuccess, T0 + MIN);
  });

  it('learns its own address when a dial reaches its own node id', () => {
    const self = nodeId(77);
    const { book } = makeBook({ selfNodeId: self });
    book.add(addr(5, false), 'x');
    assert.deepEqual(book.markSuccess(addr(5), self), { ok: false, reason: 'self-address' });
    assert.equal(book.has(peerKey(addr(5))), false);
    assert.deepEqual(book.add(addr(5, false), 'x'), { ok: false, reason: 'self-address' });
  });
});

describe('AddrBook: failures, backoff and forgetting', () => {
  it('backs off exponentially, capped', () => {
    assert.deepEqual([0, 1, 2, 3, 4].map((f) => backoffMs(f, 2000, 600_000)), [0, 2000, 4000, 8000, 16000]);
    assert.equal(backoffMs(9, 2000, 600_000), 512_000);
    assert.equal(backoffMs(10, 2000, 600_000), 600_000);
    assert.equal(backoffMs(1000, 2000, 600_000), 600_000);
  });

  it('keeps an entry out of select while it is in backoff', () => {
    const { book, clock } = makeBook();
    book.add(addr(1), 'x');
    const key = peerKey(addr(1));
    book.markAttempt(key);
    assert.equal(book.markFailure(key), 'recorded');
    book.markFailure(key); // 2 failures: 4 s
    assert.deepEqual(book.select(5), []);
    clock.now += 3999;
    assert.deepEqual(book.select(5), []);
    clock.now += 1;
    assert.deepEqual(keys(book.select(5)), [key]);
  });

  it('forgets a never-successful entry after 10 consecutive failures', () => {
    const { book, clock } = makeBook();
    book.add(addr(1), 'x');
    const key = peerKey(addr(1));
    for (let i = 1; i < 10; i++) {
      clock.now += HOUR;
      assert.equal(book.markFailure(key), 'recorded');
    }
    clock.now += HOUR;
    assert.equal(book.markFailure(key), 'forgotten');
    assert.equal(book.has(key), false);
    assert.equal(book.countBySource('x'), 0, 'the source gets its slot back');
    assert.equal(book.markFailure(key), 'unknown');
  });

  it('keeps a failing entry that succeeded recently, forgets it once the success is old', () => {
    const { book, clock } = makeBook();
    book.markSuccess(addr(1), nodeId(1));
    const key = peerKey(addr(1));
    for (let i = 0; i < 12; i++) assert.equal(book.markFailure(key), 'recorded');
    clock.now += 7 * DAY;
    assert.equal(book.markFailure(key), 'forgotten');
  });

  it('resets failures on success', () => {
    const { book } = makeBook();
    book.add(addr(1), 'x');
    const key = peerKey(addr(1));
    book.markFailure(key);
    book.markFailure(key);
    book.markSuccess(addr(1), nodeId(1));
    assert.equal(book.get(key)!.failures, 0);
    assert.deepEqual(keys(book.select(1)), [key]);
  });
});

describe('AddrBook: bans', () => {
  it('bans by nodeId without banning another node on the same IP', () => {
    const { book } = makeBook();
    const a = { host: '127.0.0.1', port: 9001, nodeId: nodeId(1) };
    const b = { host: '127.0.0.1', port: 9002, nodeId: nodeId(2) };
    book.markSuccess(a, nodeId(1)); // our dial proved the id: the ban may be stamped on the address
    book.add(b, 'x');
    book.ban(nodeId(1), 'bad-blk-merkle', HOUR);
    assert.equal(book.isBanned(nodeId(1)), true);
    assert.equal(book.isAddrBanned(a), true);
    assert.equal(book.isAddrBanned(b), false);
    assert.equal(book.isBanned(nodeId(2)), false);
    assert.deepEqual(keys(book.select(10)), ['127.0.0.1:9002']);
    assert.equal(book.get('127.0.0.1:9001')!.banReason, 'bad-blk-merkle');
    assert.equal(book.get('127.0.0.1:9002')!.bannedUntil, undefined);
    // The same banned node may not come back under another address.
    assert.deepEqual(book.add({ host: '127.0.0.1', port: 9003, nodeId: nodeId(1) }, 'y'), { ok: false, reason: 'banned' });
  });

  it('bans an id only where a dial proved it: a claimed address loses the claim, stays dialable and unbanned', () => {
    const { book } = makeBook();
    const honest = { host: '127.0.0.5', port: 9005 };
    book.add({ ...honest, nodeId: nodeId(66) }, nodeId(66)); // an inbound liar claims the honest address
    book.ban(nodeId(66), 'malformed-message', HOUR);
    const e = book.get(peerKey(honest))!;
    assert.equal(e.bannedUntil, undefined);
    assert.equal(e.nodeId, undefined, 'the discredited claim is dropped');
    assert.equal(book.isAddrBanned(honest), false);
    assert.deepEqual(keys(book.select(10)), [peerKey(honest)]);
    // Our dial then proves the honest id: verified, unbanned.
    assert.equal(book.markSuccess(honest, nodeId(5)).ok, true);
    assert.equal(book.get(peerKey(honest))!.verified, true);
    assert.equal(book.isAddrBanned({ ...honest, nodeId: nodeId(5) }), false);
  });

  it('bans a non-loopback IP ("discourage"), never a loopback one', () => {
    const { book } = makeBook();
    book.ban('203.0.113.7', 'malformed-message', HOUR);
    assert.equal(book.isBanned('203.0.113.7'), true);
    assert.throws(() => book.ban('203.000.113.7', 'x', HOUR), (e) => isNodeError(e, 'INVALID_ARGUMENT'));
  });

  it('refuses to ban a bare loopback IP', () => {
    const { book } = makeBook();
    for (const k of ['127.0.0.1', 'localhost', '127.0.0.1:0', '127.0.0.1:99999', ':9000', 'deadbeef'])
      assert.throws(() => book.ban(k, 'x', HOUR), (e) => isNodeError(e, 'INVALID_ARGUMENT'), k);
    assert.throws(() => book.ban(nodeId(1), 'x', 0), (e) => isNodeError(e, 'INVALID_ARGUMENT'));
  });

  it('bans by host:port when the id is unknown', () => {
    const { book } = makeBook();
    book.add(addr(1, false), 'x');
    book.add({ host: addr(1).host, port: addr(1).port + 1 }, 'x');
    book.ban(peerKey(addr(1)), 'bad-handshake', HOUR);
    assert.deepEqual(keys(book.select(10)), [`${addr(1).host}:${addr(1).port + 1}`]);
  });

  it('lets a ban expire', () => {
    const { book, clock } = makeBook();
    book.markSuccess(addr(1), nodeId(1));
    book.takeChanges();
    book.ban(nodeId(1), 'spam', 1000);
    assert.deepEqual(book.takeChanges().bans, [{ key: nodeId(1), until: T0 + 1000, reason: 'spam' }]);
    clock.now += 999;
    assert.equal(book.isBanned(nodeId(1)), true);
    assert.equal(book.select(1).length, 0);
    clock.now += 1;
    assert.equal(book.isBanned(nodeId(1)), false);
    assert.equal(book.select(1).length, 1);
    assert.equal(book.expireBans(), 1);
    assert.deepEqual(book.listBans(), []);
    assert.equal(book.get(peerKey(addr(1)))!.bannedUntil, undefined);
    const ch = book.takeChanges();
    assert.deepEqual(ch.unbans, [nodeId(1)]);
    assert.deepEqual(keys(ch.upserts), [peerKey(addr(1))]);
  });

  it('keeps the longer of two bans and can unban', () => {
    const { book } = makeBook();
    book.ban(nodeId(1), 'long', DAY);
    book.ban(nodeId(1), 'short', MIN);
    assert.equal(book.listBans()[0]!.until, T0 + DAY);
    assert.equal(book.unban(nodeId(1)), true);
    assert.equal(book.isBanned(nodeId(1)), false);
    assert.equal(book.unban(nodeId(1)), false);
  });
});

describe('AddrBook: select and sample', () => {
  function populated(seed: number) {
    const { book, clock } = makeBook({}, seed);
    for (let i = 0; i < 200; i++) book.add(addr(i), `src${i % 10}`);
    for (let i = 0; i < 20; i++) book.markSuccess(addr(i), nodeId(i));
    for (let i = 20; i < 40; i++) book.markSuccess(addr(i), nodeId(i));
    for (let i = 20; i < 40; i++) book.ban(nodeId(i), 'test', HOUR);
    for (let i = 40; i < 60; i++) book.markFailure(peerKey(addr(i)));
    for (let i = 60; i < 65; i++) book.setConnected(peerKey(addr(i)), true);
    const exclude = new Set<string>([...Array(15).keys()].map((i) => peerKey(addr(65 + i))));
    exclude.add(nodeId(80));
    const forbidden = new Set<string>([...Array(61).keys()].map((i) => peerKey(addr(20 + i))));
    return { book, clock, exclude, forbidden };
  }

  it('never returns banned, backoff, connected or excluded entries', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { book, exclude, forbidden } = populated(seed);
      const picks = keys(book.select(50, exclude));
      assert.equal(picks.length, 50);
      assert.equal(new Set(picks).size, 50, 'distinct');
      for (const k of picks) assert.equal(forbidden.has(k), false, `seed ${seed} picked ${k}`);
    }
    const { book, exclude } = populated(7);
    // 200 minus 20 banned, 20 in backoff, 5 connected, 16 excluded.
    assert.equal(book.select(1000, exclude).length, 139);
  });

  it('prefers tried entries but also explores new ones', () => {
    let tried = 0;
    let total = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const { book } = makeBook({}, seed);
      for (let i = 0; i < 110; i++) book.add(addr(i), `src${i % 4}`);
      for (let i = 0; i < 10; i++) book.markSuccess(addr(i), nodeId(i));
      for (const e of book.select(5)) {
        total++;
        if (e.verified) tried++;
      }
    }
    // Uniformly, 10/110 of picks would be tried; with triedBias 0.7 about 70 %.
    assert.ok(tried / total > 0.55 && tried / total < 0.85, `tried share ${tried / total}`);
    assert.ok(total - tried > 50, 'new addresses are still tried');
  });

  it('is deterministic for a seed and varies with it', () => {
    const run = (seed: number) => {
      const { book } = populated(seed);
      return [keys(book.select(10)), keys(book.sample(10))];
    };
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
  });

  it('samples at most 1000, never banned, never stale unproven entries', () => {
    const { book, clock } = makeBook({ maxEntries: 3000, maxPerSource: 3000 });
    for (let i = 0; i < 1500; i++) book.add(addr(i), 'x');
    clock.now += 2 * DAY;
    for (let i = 1500; i < 2500; i++) book.add(addr(i), 'x'); // fresh
    for (let i = 0; i < 100; i++) book.markSuccess(addr(i), nodeId(i)); // proven, though first seen long ago
    for (let i = 1500; i < 1600; i++) book.markSuccess(addr(i), nodeId(i));
    for (let i = 1500; i < 1600; i++) book.ban(nodeId(i), 'x', DAY);
    const s = book.sample(5000);
    assert.equal(s.length, 1000);
    const eligible = new Set([...Array(100).keys(), ...Array.from({ length: 900 }, (_, k) => 1600 + k)].map((i) => peerKey(addr(i))));
    assert.equal(new Set(keys(s)).size, 1000);
    for (const k of keys(s)) assert.ok(eligible.has(k), k);
    assert.equal(book.sample(10).length, 10);
  });
});

describe('AddrBook: changes and load', () => {
  it('reports upserts and removals once', () => {
    const { book } = makeBook();
    book.add(addr(1), 'x');
    book.add(addr(2), 'x');
    let ch = book.takeChanges();
    assert.deepEqual(keys(ch.upserts).sort(), [peerKey(addr(1)), peerKey(addr(2))].sort());
    book.remove(peerKey(addr(1)));
    ch = book.takeChanges();
    assert.deepEqual(ch, { upserts: [], removals: [peerKey(addr(1))], bans: [], unbans: [] });
    assert.equal(book.hasChanges, false);
    book.requeue(ch);
    assert.deepEqual(book.takeChanges().removals, [peerKey(addr(1))]);
  });

  it('loads persisted state, dropping what no longer passes and restoring lost bans from stamps', () => {
    const { book } = makeBook();
    const base = { verified: false, source: 'x', firstSeen: T0, lastSeen: T0, lastAttempt: 0, lastSuccess: 0, failures: 0 };
    const entries: AddrEntry[] = [
      { ...base, host: '127.0.0.1', port: 1 },
      { ...base, host: 'peer.example', port: 1 },
      { ...base, verified: true, host: '127.0.0.2', port: 2, nodeId: nodeId(2), bannedUntil: T0 + HOUR, banReason: 'r' },
      { ...base, host: '127.0.0.3', port: 3, bannedUntil: T0 - 1, banReason: 'old' },
    ];
    const { loaded, dropped } = book.load(entries, [{ key: nodeId(9), until: T0 - 5, reason: 'expired' }]);
    assert.equal(loaded, 3);
    assert.deepEqual(dropped, ['peer.example:1']);
    assert.equal(book.isBanned(nodeId(2)), true, 'ban rebuilt from the stamp');
    assert.equal(book.get('127.0.0.3:3')!.bannedUntil, undefined, 'expired stamp cleared');
    const ch = book.takeChanges();
    assert.deepEqual(ch.removals, ['peer.example:1']);
    assert.deepEqual(ch.unbans, [nodeId(9)]);
    assert.deepEqual(ch.bans.map((b) => b.key), [nodeId(2)]);
    assert.deepEqual(keys(ch.upserts), ['127.0.0.3:3']);
  });
});
