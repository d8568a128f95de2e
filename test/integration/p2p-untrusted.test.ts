/**
 * Untrusted peers on an open network (issue #8, items 2-4), against a real node over ws on loopback, where
 * each loopback IP is its own "host" and netgroup: the attacker connects from 127.0.0.2, honest nodes from
 * 127.0.0.1.
 *   - Inbound slots: 64 node ids and then 64 half-open sockets from one IP do not keep an honest node from
 *     connecting, and the target's outbound peer is never evicted.
 *   - Address hijack: an inbound peer claiming an honest node's listening port and then misbehaving gets
 *     banned itself; the honest address stays in the table, unbanned, and is dialled.
 *   - Table flood: one node id reconnecting with ever new listening ports holds at most its per-source
 *     share of the table, and a verified honest entry stays.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADDR_BOOK_DEFAULTS } from '../../node/p2p/peers/addr-policy.js';
import { TestNode, startTestNode, stopAll } from '../helpers/p2p-harness.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { waitFor } from '../helpers/wait-for.js';

const T = { timeout: 60_000 };
const ATTACKER_IP = '127.0.0.2';
let target: TestNode;
let outboundPeer: TestNode;
let honest: TestNode;

before(async () => {
  target = await startTestNode({ name: 'target', refreshIntervalMs: 1_000 });
  outboundPeer = await startTestNode({ name: 'outbound' });
  honest = await startTestNode({ name: 'honest' });
  await target.p2p.connect(outboundPeer.url);
});

after(async () => {
  await RawPeer.closeAll();
  await stopAll();
});

const opts = () => ({ chainId: target.chain.params.chainId, genesisHash: target.chain.params.genesisHash, localAddress: ATTACKER_IP, openTimeoutMs: 2_000 });
const peersOf = (n: TestNode) => n.p2p.peers();
const outboundId = () => outboundPeer.nodeId;

test('64 node ids and 64 half-open sockets from one IP do not keep an honest node out; no outbound peer is evicted', T, async () => {
  const sybils: RawPeer[] = [];
  let refused = 0;
  for (let i = 0; i < 64; i++) {
    try {
      sybils.push(await RawPeer.connectAndHandshake(target.url, opts(), 3_000));
    } catch {
      refused++; // the inbound slots of this netgroup are full: refused, or evicted for one of its own
    }
  }
  const inbound = () => peersOf(target).filter((p) => p.direction === 'inbound').length;
  assert.ok(inbound() >= 16, `the attacker holds ${inbound()} inbound slots`);
  assert.ok(refused > 0, 'beyond the slots the attacker is refused');
  // Half-open sockets that never send a hello: capped per IP before the upgrade.
  const halfOpen: RawPeer[] = [];
  let halfRefused = 0;
  for (let i = 0; i < 64; i++) {
    try {
      halfOpen.push(await RawPeer.connect(target.url, opts()));
    } catch {
      halfRefused++;
    }
  }
  assert.ok(halfRefused >= 64 - 8, `half-open sockets from one IP are capped (${halfRefused} of 64 refused)`);
  // The honest node (127.0.0.1) still gets in, by evicting one of the attacker's peers.
  await honest.p2p.connect(target.url);
  await waitFor(() => peersOf(target).some((p) => p.nodeId === honest.nodeId), 5_000, 'the honest node at the target');
  assert.ok(peersOf(target).some((p) => p.nodeId === outboundId() && p.direction === 'outbound'), 'the outbound peer is kept');
  const evicted = sybils.filter((s) => s.disconnectReason === 'evicted').length;
  assert.ok(evicted >= 1, `an attacker peer was evicted (${evicted})`);
  for (const p of [...sybils, ...halfOpen]) await p.close(200);
  await waitFor(() => inbound() <= 2, 10_000, 'the attacker gone');
});

test('an inbound peer claiming an honest node\'s port and misbehaving cannot get the honest address banned', T, async () => {
  // A node the target has never heard of, so the liar's claim is the first word on its address.
  const victim = await startTestNode({ name: 'victim' });
  const honestPort = Number(new URL(victim.url).port);
  const honestKey = `127.0.0.1:${honestPort}`;
  assert.equal(target.p2p.knownAddresses().some((e) => `${e.host}:${e.port}` === honestKey), false);
  // The liar connects from 127.0.0.1 (the honest node's IP) and claims the honest node's listening port.
  const liar = await RawPeer.connect(target.url, { ...opts(), localAddress: '127.0.0.1', listenPort: honestPort });
  await liar.handshake();
  await waitFor(() => target.p2p.knownAddresses().some((e) => `${e.host}:${e.port}` === honestKey), 5_000, 'the claim recorded');
  const claimed = target.p2p.knownAddresses().find((e) => `${e.host}:${e.port}` === honestKey)!;
  assert.equal(claimed.verified, false, 'a claim is not verified');
  liar.sendBytes(new Uint8Array([0xff])); // malformed: 100 points, banned
  await liar.waitForClose();
  await waitFor(() => target.p2p.isBanned(liar.nodeIdHex), 5_000, 'the liar banned');
  const entry = target.p2p.knownAddresses().find((e) => `${e.host}:${e.port}` === honestKey);
  assert.ok(entry, 'the honest address stays in the table');
  assert.equal(entry.bannedUntil, undefined, 'and is not banned');
  assert.notEqual(entry.nodeId, liar.nodeIdHex, 'the liar\'s claim on it is gone');
  // Dialable: the target's own dialling reaches the honest node there and verifies the entry.
  await waitFor(
    () => target.p2p.knownAddresses().some((e) => `${e.host}:${e.port}` === honestKey && e.verified && e.nodeId === victim.nodeId),
    15_000,
    'the target to dial and verify the honest address',
  );
});

test('one node id reconnecting with 100 listening ports holds at most its per-source share', T, async () => {
  const honestKey = `127.0.0.1:${new URL(honest.url).port}`;
  // The target dials the honest node it heard from (an inbound peer is also an outbound candidate): verified.
  await waitFor(() => target.p2p.knownAddresses().some((e) => `${e.host}:${e.port}` === honestKey && e.verified), 15_000, 'a verified honest entry');
  const key = new Uint8Array(32).fill(7);
  let id = '';
  for (let i = 0; i < 100; i++) {
    const p = await RawPeer.connect(target.url, { ...opts(), privateKey: key, listenPort: 30_000 + i });
    id = p.nodeIdHex;
    await p.handshake();
    await p.close(200);
  }
  const fromFlooder = target.p2p.knownAddresses().filter((e) => e.source === id);
  assert.ok(fromFlooder.length <= ADDR_BOOK_DEFAULTS.maxPerSource, `${fromFlooder.length} entries from one source`);
  assert.ok(fromFlooder.every((e) => !e.verified), 'none of them verified');
  assert.ok(target.p2p.knownAddresses().some((e) => `${e.host}:${e.port}` === honestKey && e.verified), 'the honest entry stays');
});
