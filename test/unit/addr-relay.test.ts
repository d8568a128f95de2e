/**
 * Address relay by reachability (issue #8): a getaddr answer and a relayed addr carry only addresses the
 * receiving peer could dial: never a loopback address to a remote peer, never a private one to a public peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../node/core/bytes.js';
import { silentLog } from '../../node/log.js';
import { AddrBook } from '../../node/p2p/peers/addr-book.js';
import { AddrExchange } from '../../node/p2p/protocol/handlers/addr.js';
import { Message } from '../../node/p2p/protocol/messages.js';
import { Peer } from '../../node/p2p/protocol/peer.js';
import { seededRandom } from '../helpers/prng.js';

const id = (i: number) => '02' + i.toString(16).padStart(64, '0');

function fakePeer(host: string, i: number): Peer & { sent: Message[] } {
  const sent: Message[] = [];
  return { host, nodeIdHex: id(i), lastGetaddrAnswer: -Infinity, addrRequested: false, sent, send: (m: Message) => (sent.push(m), true), limits: { take: () => true } } as unknown as Peer & { sent: Message[] };
}

function setup() {
  const now = 1_800_000_000_000;
  const book = new AddrBook({ clock: () => now, random: seededRandom(1) });
  const hosts = ['127.0.0.5', '10.1.2.3', '198.18.0.9', '203.0.113.7', '2001:db8::7'];
  hosts.forEach((host, i) => assert.ok(book.add({ host, port: 9001, nodeId: id(100 + i) }, 'seed').ok, host));
  const peers: Peer[] = [];
  const ex = new AddrExchange({ book, peers: () => peers, clock: () => now, random: seededRandom(2), refreshIntervalMs: 10_000, log: silentLog, onLearned: () => undefined });
  return { ex, peers };
}

const hostsIn = (p: { sent: Message[] }) => p.sent.flatMap((m) => (m.type === 'addr' ? m.addrs.map((a) => a.host) : [])).sort();

test('getaddr answers hold only what the requester could dial', () => {
  const { ex } = setup();
  const local = fakePeer('127.0.0.1', 1);
  const lan = fakePeer('198.18.0.2', 2);
  const remote = fakePeer('198.51.100.1', 3);
  for (const p of [local, lan, remote]) ex.handleGetAddr(p);
  assert.deepEqual(hostsIn(local), ['10.1.2.3', '127.0.0.5', '198.18.0.9', '2001:db8::7', '203.0.113.7']);
  assert.deepEqual(hostsIn(lan), ['10.1.2.3', '198.18.0.9', '2001:db8::7', '203.0.113.7']);
  assert.deepEqual(hostsIn(remote), ['2001:db8::7', '203.0.113.7']);
});

test('a relayed address goes only to peers that could dial it', () => {
  const { ex, peers } = setup();
  const from = fakePeer('127.0.0.1', 1);
  const remote1 = fakePeer('198.51.100.1', 3);
  const remote2 = fakePeer('198.51.100.2', 4);
  peers.push(from, remote1, remote2);
  ex.handleAddr(from, { type: 'addr', addrs: [{ host: '127.0.0.9', port: 9001, nodeId: fromHex(id(9)), lastSeen: 0 }] });
  assert.deepEqual([...hostsIn(remote1), ...hostsIn(remote2)], [], 'a loopback address never reaches a remote peer');
  ex.handleAddr(from, { type: 'addr', addrs: [{ host: '203.0.113.50', port: 9001, nodeId: fromHex(id(10)), lastSeen: 0 }] });
  assert.deepEqual([...hostsIn(remote1), ...hostsIn(remote2)], ['203.0.113.50', '203.0.113.50']);
});
