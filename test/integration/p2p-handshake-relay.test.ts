/**
 * The handshake relay attack (issue #8, item 1), against real nodes on 127.0.0.1: a man in the middle M
 * gets T to dial it, dials V itself, and forwards each side's frames to the other, so that V would take M
 * for T (and one malformed frame from M would then ban T at V). With protocol 2 the hello says where its
 * sender sees the other socket, and both proofs sign a transcript that contains those views: a verbatim
 * relay is refused as `bad-observed-address`; a relay that rewrites the views to pass that check breaks
 * the signatures (`bad-handshake-proof`). Either way neither node ever holds an established M-as-T peer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { decodeMessage, encodeMessage } from '../../node/p2p/protocol/messages.js';
import { parseIp } from '../../node/p2p/peers/net-address.js';
import { TestNode, startTestNode, stopAll } from '../helpers/p2p-harness.js';
import { waitFor } from '../helpers/wait-for.js';

let v: TestNode;
let t: TestNode;
let server: Server;
let wss: WebSocketServer;
const sockets = new Set<WebSocket>();
/** Close reasons seen by the relay, per side. */
const closes: { side: string; reason: string }[] = [];
let rewrite = false;

function track(ws: WebSocket): WebSocket {
  sockets.add(ws);
  ws.on('close', () => sockets.delete(ws));
  ws.on('error', () => undefined);
  return ws;
}

/** Forwards every frame from `a` to `b`; a hello is rewritten to claim `b`'s socket when `rewrite` is on. */
function pipe(a: WebSocket, b: WebSocket, side: string): void {
  a.on('message', (data: Buffer) => {
    let frame: Uint8Array = new Uint8Array(data);
    if (rewrite && frame[0] === 0x01) {
      const m = decodeMessage(frame);
      if (m.type === 'hello') {
        // The receiver's own end of the socket it reads from: what an honest direct peer would report.
        const peerSide = (b as unknown as { _socket: { remoteAddress: string; remotePort: number } })._socket;
        frame = encodeMessage({ ...m, observedIp: parseIp(peerSide.remoteAddress.replace(/^::ffff:/, ''))!, observedPort: peerSide.remotePort });
      }
    }
    if (b.readyState === WebSocket.OPEN) b.send(frame);
  });
  a.on('close', (_code, reason) => {
    closes.push({ side, reason: reason.toString() });
    b.terminate();
  });
}

before(async () => {
  v = await startTestNode({ name: 'victim' });
  t = await startTestNode({ name: 'target' });
  server = createServer();
  wss = new WebSocketServer({ server, perMessageDeflate: false });
  // T dials M; M dials V and splices the two sockets together.
  wss.on('connection', (fromT: WebSocket) => {
    track(fromT);
    fromT.pause();
    const toV = track(new WebSocket(v.url, { perMessageDeflate: false }));
    toV.once('open', () => {
      pipe(fromT, toV, 'to-victim');
      pipe(toV, fromT, 'to-target');
      fromT.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  for (const s of sockets) s.terminate();
  wss?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await stopAll();
});

const relayUrl = () => `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
const hasPeer = (n: TestNode, id: string) => n.p2p.peers().some((p) => p.nodeId === id);

async function attempt(expected: string): Promise<void> {
  closes.length = 0;
  await assert.rejects(t.p2p.connect(relayUrl()), (e: Error) => new RegExp(expected).test(e.message) || /closed before the handshake/.test(e.message));
  await waitFor(() => sockets.size === 0, 5_000, 'the relay to be torn down');
  assert.equal(hasPeer(v, t.nodeId), false, 'V never took M for T');
  assert.equal(hasPeer(t, v.nodeId), false, 'T never took M for V');
  assert.ok(closes.some((c) => c.reason === expected), `a side refused with ${expected}: ${JSON.stringify(closes)}`);
}

test('a verbatim relay of both hellos is refused: each hello names a socket the receiver does not have', async () => {
  rewrite = false;
  await attempt('bad-observed-address');
});

test('a relay that rewrites the observed addresses breaks the transcript signatures', async () => {
  rewrite = true;
  await attempt('bad-handshake-proof');
});

test('nothing was banned, and T and V still connect directly', async () => {
  assert.deepEqual(v.p2p.bans(), []);
  assert.deepEqual(t.p2p.bans(), []);
  await t.p2p.connect(v.url);
  await waitFor(() => hasPeer(v, t.nodeId) && hasPeer(t, v.nodeId), 5_000, 'a direct connection');
});

test('a node listening on 0.0.0.0 completes handshakes from any local address (the observed check uses the real socket)', async () => {
  const any = await startTestNode({ name: 'any', host: '0.0.0.0' });
  const port = new URL(any.url).port;
  await t.p2p.connect(`ws://127.0.0.1:${port}`);
  await waitFor(() => hasPeer(any, t.nodeId), 5_000, 'a connection to the 0.0.0.0 listener');
  const other = await startTestNode({ name: 'other' });
  await other.p2p.connect(`ws://localhost:${port}`);
  await waitFor(() => hasPeer(any, other.nodeId), 5_000, 'a connection through "localhost"');
});
