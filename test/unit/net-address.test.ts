/**
 * Addresses beyond loopback (issue #8): IP parsing and canonical spelling, address classes and who may be
 * told what, netgroups, inbound eviction choice, and seeds from genesis.json / --seeds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGenesisSeeds, parseHostPort, parseSeeds, seedUrl, LOCAL_SEEDS } from '../../node/config.js';
import { isNodeError } from '../../node/core/errors.js';
import { parseGenesis } from '../../node/core/params.js';
import { toHex } from '../../node/core/bytes.js';
import { EvictionCandidate, selectEvictionCandidate } from '../../node/p2p/peers/inbound-eviction.js';
import { admitInbound } from '../../node/p2p/peers/inbound-admission.js';
import { MAX_OBSERVED_IPS, SelfAddress } from '../../node/p2p/peers/self-address.js';
import { parseIp } from '../../node/p2p/peers/net-address.js';
import { addressClass, canReach, canonicalIp, isDnsName, netgroup } from '../../node/p2p/peers/net-address.js';
import { repoRoot } from '../helpers/chain-fixtures.js';
import { seededRandom } from '../helpers/prng.js';

describe('net-address', () => {
  it('parses IPv4 and IPv6 to one canonical spelling, and refuses the rest', () => {
    assert.equal(canonicalIp('198.18.0.1'), '198.18.0.1');
    assert.equal(canonicalIp('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(canonicalIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(canonicalIp('[::1]'), '::1');
    assert.equal(canonicalIp('fe80:0:0:1::'), 'fe80:0:0:1::');
    for (const bad of ['127.1', '010.0.0.1', '1.2.3.256', '1::2::3', '1:2:3:4:5:6:7:8:9', 'example.org', '', 'g::1'])
      assert.equal(canonicalIp(bad), undefined, bad);
  });

  it('classes: loopback, private (incl. 198.18.0.0/15), public, and no address at all', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'], ['127.9.9.9', 'loopback'], ['::1', 'loopback'], ['localhost', 'loopback'],
      ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.32.0.1', 'public'], ['192.168.1.1', 'private'],
      ['198.18.0.1', 'private'], ['198.19.255.1', 'private'], ['198.20.0.1', 'public'], ['100.64.0.1', 'private'],
      ['169.254.1.1', 'private'], ['fd00::1', 'private'], ['fe80::1', 'private'], ['8.8.8.8', 'public'], ['2001:db8::1', 'public'],
      ['0.0.0.0', undefined], ['224.0.0.1', undefined], ['255.255.255.255', undefined], ['::', undefined], ['ff02::1', undefined],
      ['seed.example.org', undefined],
    ];
    for (const [h, c] of cases) assert.equal(addressClass(h), c, h);
    assert.equal(addressClass('seed.example.org', true), 'public', 'a name an operator wrote');
  });

  it('relays only what the receiver could dial: never a loopback address to a remote peer', () => {
    assert.equal(canReach('public', 'loopback'), false);
    assert.equal(canReach('private', 'loopback'), false);
    assert.equal(canReach('public', 'private'), false);
    assert.equal(canReach('private', 'private'), true);
    assert.equal(canReach('loopback', 'loopback'), true);
    assert.equal(canReach('loopback', 'public'), true);
    assert.equal(canReach('public', 'public'), true);
  });

  it('netgroups: IPv4 /16, IPv6 /32, each loopback IP its own', () => {
    assert.equal(netgroup('203.0.113.7'), netgroup('203.0.200.1'));
    assert.notEqual(netgroup('203.0.113.7'), netgroup('203.1.113.7'));
    assert.equal(netgroup('2001:db8:1::1'), netgroup('2001:db8:ffff::2'));
    assert.notEqual(netgroup('2001:db8::1'), netgroup('2001:db9::1'));
    assert.notEqual(netgroup('127.0.0.1'), netgroup('127.0.0.2'));
    assert.equal(isDnsName('seed-1.example.org'), true);
    assert.equal(isDnsName('1.2.3.4'), false);
  });
});

describe('inbound eviction', () => {
  const cand = (i: number, group: string, over: Partial<EvictionCandidate<number>> = {}): EvictionCandidate<number> => ({
    peer: i, netgroup: group, latencyMs: 100 + i, lastBlockAt: 0, lastTxAt: 0, connectedAt: 1000 + i, ...over,
  });

  it('evicts the youngest of the largest netgroup, never the lone honest peer', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const list = [cand(0, 'lo:127.0.0.1', { connectedAt: 5000 }), ...Array.from({ length: 31 }, (_, k) => cand(k + 1, 'lo:127.0.0.2'))];
      const victim = selectEvictionCandidate(list, seededRandom(seed));
      assert.ok(victim !== undefined && victim !== 0, `seed ${seed}: evicted ${victim}`);
      assert.ok(victim >= 24, `seed ${seed}: one of the youngest attacker peers, got ${victim}`);
    }
  });

  it('protects fast, useful and long-standing peers; nothing to evict when all are protected', () => {
    const few = Array.from({ length: 8 }, (_, k) => cand(k, `4:10.${k}`));
    assert.equal(selectEvictionCandidate(few, seededRandom(1)), undefined);
    const list = Array.from({ length: 32 }, (_, k) => cand(k, '4:10.0', { latencyMs: 1000 }));
    list[31]!.lastBlockAt = 99; // the youngest brought us a block
    list[30]!.latencyMs = 1; // and the second youngest is the fastest
    const v = selectEvictionCandidate(list, seededRandom(2));
    assert.ok(v !== undefined && v !== 31 && v !== 30, `evicted ${v}`);
  });
});

describe('inbound admission', () => {
  const view = (host: string, i = 0) => ({ host, latencyMs: 50, lastBlockAt: 0, lastTxAt: 0, connectedAt: i });
  const limits = { maxInbound: 32, maxPerIp: 4, maxPerNetgroup: 8 };
  it('caps one non-loopback IP and one public netgroup; loopback IPs only by the total', () => {
    const r = seededRandom(1);
    assert.deepEqual(admitInbound('203.0.113.5', Array(4).fill(view('203.0.113.5')), limits, r), { ok: false, reason: 'too-many-from-ip' });
    const group = Array.from({ length: 8 }, (_, i) => view(`203.0.${i}.1`));
    assert.deepEqual(admitInbound('203.0.200.1', group, limits, r), { ok: false, reason: 'too-many-from-netgroup' });
    assert.deepEqual(admitInbound('203.1.0.1', group, limits, r), { ok: true });
    // Private addresses: one site, no netgroup cap (a LAN testnet is one /16).
    assert.deepEqual(admitInbound('198.18.0.9', Array.from({ length: 8 }, (_, i) => view(`198.18.0.${i + 1}`)), limits, r), { ok: true });
    assert.deepEqual(admitInbound('127.0.0.1', Array(20).fill(view('127.0.0.1')), limits, r), { ok: true });
  });
  it('when full, evicts from another netgroup, or refuses the newcomer', () => {
    const full = Array.from({ length: 32 }, (_, i) => view('127.0.0.2', i));
    const a = admitInbound('127.0.0.3', full, limits, seededRandom(2));
    assert.ok(a.ok && a.evict && a.evict.host === '127.0.0.2');
    assert.deepEqual(admitInbound('127.0.0.2', full, limits, seededRandom(2)), { ok: false, reason: 'too-many-inbound' });
  });
});

describe('self address', () => {
  it('adopts an IP two outbound peers agree on; never loopback; bounded candidates', () => {
    const s = new SelfAddress();
    assert.equal(s.note(parseIp('127.0.0.1')!, 'a'), undefined);
    assert.equal(s.note(parseIp('198.18.0.7')!, 'a'), undefined);
    assert.equal(s.note(parseIp('198.18.0.7')!, 'a'), undefined, 'one peer twice is one voice');
    assert.equal(s.note(parseIp('198.18.0.7')!, 'b'), '198.18.0.7');
    assert.deepEqual(s.announced(9001), { host: '198.18.0.7', port: 9001 });
    assert.equal(s.announced(0), undefined);
    for (let i = 0; i < 100; i++) s.note(parseIp(`10.0.${i}.1`)!, 'x');
    assert.equal(s.candidates, MAX_OBSERVED_IPS);
    const ext = new SelfAddress({ host: '203.0.113.5', port: 9000 });
    assert.equal(ext.note(parseIp('198.18.0.7')!, 'a'), undefined);
    assert.deepEqual(ext.announced(9001), { host: '203.0.113.5', port: 9000 });
    assert.equal(ext.ips().length, 1);
  });
});

describe('seeds', () => {
  it('accept host:port, [v6]:port, ws:// and DNS names; --seeds overrides genesis, which overrides the hard-coded list', () => {
    assert.equal(seedUrl('198.18.0.1:9001'), 'ws://198.18.0.1:9001');
    assert.equal(seedUrl('seed.example.org:9001'), 'ws://seed.example.org:9001');
    assert.equal(seedUrl('[2001:db8::1]:9001'), 'ws://[2001:db8::1]:9001');
    assert.equal(seedUrl('ws://127.0.0.1:9002'), 'ws://127.0.0.1:9002');
    for (const bad of ['127.0.0.1', 'http://x:1', 'x:99999', 'ws://x:1/path'])
      assert.throws(() => seedUrl(bad), (e) => isNodeError(e, 'CONFIG_ERROR') && e.message.includes(bad), bad);
    assert.deepEqual(parseSeeds(undefined, []), LOCAL_SEEDS);
    assert.deepEqual(parseSeeds(undefined, ['ws://10.0.0.1:9001']), ['ws://10.0.0.1:9001']);
    assert.deepEqual(parseSeeds('a.example:1, 10.0.0.2:2', ['ws://10.0.0.1:9001']), ['ws://a.example:1', 'ws://10.0.0.2:2']);
    assert.deepEqual(parseSeeds('none', ['ws://10.0.0.1:9001']), []);
    assert.deepEqual(parseHostPort('203.0.113.5:9001', 'x'), { host: '203.0.113.5', port: 9001 });
    assert.deepEqual(parseHostPort('[2001:db8::1]:9001', 'x'), { host: '2001:db8::1', port: 9001 });
  });

  it('the bundled genesis.json lists the three local seeds, and seeds never change the genesis hash', async () => {
    const path = join(repoRoot(import.meta.url), 'genesis.json');
    assert.deepEqual(await loadGenesisSeeds(path), LOCAL_SEEDS);
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const { seeds: _s, ...without } = json;
    const other = { ...json, seeds: ['203.0.113.9:9001'] };
    const h = (j: unknown) => toHex(parseGenesis(j).genesisHash);
    assert.equal(h(json), h(without));
    assert.equal(h(json), h(other));
  });
});
