import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, Server, Socket } from 'node:net';
import { WebSocket } from 'ws';
import { isNodeError } from '../../node/core/errors.js';
import { CloseInfo, Connection, MAX_FRAME_BYTES } from '../../node/p2p/transport/connection.js';
import { dial } from '../../node/p2p/transport/dialer.js';
import { ListenOptions, Listener } from '../../node/p2p/transport/listener.js';
import { waitFor } from '../helpers/wait-for.js';

const HOST = '127.0.0.1';
/** Every test awaits events; a bug must fail the test, not hang the run. */
const T = { timeout: 20_000 };
const listeners: Listener[] = [];
const conns: Connection[] = [];
const raws: WebSocket[] = [];
const netServers: Server[] = [];
const netSockets: Socket[] = [];

after(async () => {
  for (const c of conns) c.close('test-end');
  for (const r of raws) r.terminate();
  for (const s of netSockets) s.destroy();
  await Promise.all(conns.map((c) => c.closed));
  await Promise.all(listeners.map((l) => l.stop()));
  await Promise.all(netServers.map((s) => new Promise((r) => s.close(r))));
});

/** A started listener whose inbound connections are collected (and started) as they arrive. */
async function listen(opts: Partial<ListenOptions> = {}, autoStart = true) {
  const listener = new Listener();
  listeners.push(listener);
  const inbound: Connection[] = [];
  listener.on('connection', (c) => {
    inbound.push(c);
    if (autoStart) c.start();
  });
  const { port } = await listener.start({ host: HOST, port: 0, ...opts });
  return { listener, port, inbound, url: `ws://${HOST}:${port}` };
}

async function connect(url: string): Promise<Connection> {
  const c = await dial(url, { timeoutMs: 5_000 });
  conns.push(c);
  return c;
}

/** A raw ws client (not a Connection), to send what a well-behaved peer never would. */
async function rawClient(url: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url);
  raws.push(ws);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => undefined); // surfaced through 'close', asserted by each test
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, closed };
}

function closeEvent(c: Connection): Promise<CloseInfo> {
  return new Promise((resolve) => c.once('close', resolve));
}

test('frames flow both ways, in order, as plain Uint8Arrays; endpoints are described', T, async () => {
  const { port, url, inbound } = await listen();
  const client = await connect(url);
  const got: Uint8Array[] = [];
  client.on('frame', (f) => got.push(f));
  client.start();
  await waitFor(() => inbound.length === 1, 5_000, 'inbound connection');
  const server = inbound[0]!;
  server.on('frame', (f) => server.send(f.slice().reverse()));
  for (let i = 0; i < 20; i++) assert.equal(client.send(Uint8Array.of(i, 100, 200)), true);
  await waitFor(() => got.length === 20, 5_000, '20 echoed frames');
  got.forEach((f, i) => assert.deepEqual(f, Uint8Array.of(200, 100, i)));
  assert.equal(Object.getPrototypeOf(got[0]), Uint8Array.prototype, 'not a Buffer');
  assert.equal(client.direction, 'outbound');
  assert.equal(server.direction, 'inbound');
  assert.equal(client.remoteAddress, HOST);
  assert.equal(client.remotePort, port);
  assert.equal(server.remoteAddress, HOST);
  assert.equal(server.framesIn, 20);
  assert.equal(client.bytesIn, 60);
});

test('frames and the close that arrive before start() are delivered after it, in order', T, async () => {
  const { url, inbound } = await listen({ closeGraceMs: 100 });
  const client = await connect(url);
  await waitFor(() => inbound.length === 1, 5_000, 'inbound connection');
  const server = inbound[0]!;
  for (let i = 1; i <= 3; i++) server.send(Uint8Array.of(i));
  server.close('bye-early', 4001);
  await server.closed; // the peer has sent everything and gone before we listen
  const got: number[] = [];
  client.on('frame', (f) => got.push(f[0]!));
  const closing = closeEvent(client);
  client.start();
  assert.deepEqual(await closing, { code: 4001, reason: 'bye-early', byUs: false });
  assert.deepEqual(got, [1, 2, 3]);
});

test('frames parsed before start() are held, then delivered in order before the close (fake socket)', T, async () => {
  // ws may parse frames that came in the same TCP chunk as the upgrade response before pause() takes
  // effect; a stand-in socket makes that path deterministic.
  const fake = Object.assign(new EventEmitter(), {
    readyState: WebSocket.OPEN,
    binaryType: 'nodebuffer',
    bufferedAmount: 0,
    paused: false,
    pause() { this.paused = true; },
    resume() { this.paused = false; },
    terminate() {},
  });
  const c = new Connection(fake as unknown as WebSocket, { direction: 'outbound', remoteAddress: HOST, remotePort: 1, readyTimeoutMs: 0 });
  assert.equal(fake.paused, true, 'nothing is read before start()');
  fake.emit('message', Buffer.from([1]), true);
  fake.emit('message', Buffer.from([2]), true);
  fake.emit('close', 4002, Buffer.from('gone'));
  const got: number[] = [];
  const infos: CloseInfo[] = [];
  c.on('frame', (f) => got.push(f[0]!));
  c.on('close', (i) => infos.push(i));
  assert.deepEqual(got, []);
  c.start();
  assert.deepEqual(got, [1, 2]);
  assert.deepEqual(infos, [{ code: 4002, reason: 'gone', byUs: false }]);
  assert.deepEqual(await c.closed, infos[0]);
});

test('close(reason, code) reaches the peer; each side knows who closed', T, async () => {
  const { url, inbound } = await listen();
  const client = await connect(url);
  const clientClosed = closeEvent(client);
  client.start();
  await waitFor(() => inbound.length === 1, 5_000, 'inbound connection');
  const server = inbound[0]!;
  server.close('test-reason', 4000);
  assert.equal(server.isOpen, false);
  assert.equal(server.send(Uint8Array.of(1)), false, 'send after close is refused');
  assert.deepEqual(await clientClosed, { code: 4000, reason: 'test-reason', byUs: false });
  assert.deepEqual(await server.closed, { code: 4000, reason: 'test-reason', byUs: true });
  assert.throws(() => client.send(new Uint8Array(MAX_FRAME_BYTES + 1)), (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => client.close('x', 1005), (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT'));
});

test('a frame of exactly the limit is accepted; one byte more closes with frame-too-large (1009)', T, async () => {
  const { url, inbound } = await listen();
  const { ws, closed } = await rawClient(url);
  await waitFor(() => inbound.length === 1, 5_000, 'inbound connection');
  const server = inbound[0]!;
  const sizes: number[] = [];
  server.on('frame', (f) => sizes.push(f.length));
  ws.send(new Uint8Array(MAX_FRAME_BYTES));
  ws.send(new Uint8Array(MAX_FRAME_BYTES + 1));
  assert.deepEqual(await server.closed, { code: 1009, reason: 'frame-too-large', byUs: true });
  assert.deepEqual(sizes, [MAX_FRAME_BYTES]);
  assert.equal((await closed).code, 1009);
});

test('a text frame closes the connection with text-frame (1003)', T, async () => {
  const { url, inbound } = await listen();
  const { ws, closed } = await rawClient(url);
  await waitFor(() => inbound.length === 1, 5_000, 'inbound connection');
  let frames = 0;
  inbound[0]!.on('frame', () => frames++);
  ws.send('hello');
  assert.deepEqual(await closed, { code: 1003, reason: 'text-frame' });
  assert.deepEqual(await inbound[0]!.closed, { code: 1003, reason: 'text-frame', byUs: true });
  assert.equal(frames, 0);
});

test('a connection not marked ready in time is closed with handshake-timeout; a ready one stays', T, async () => {
  const { url, inbound } = await listen({ readyTimeoutMs: 150 });
  const ready = await connect(url);
  ready.start();
  await waitFor(() => inbound.length === 1, 5_000, 'first inbound');
  inbound[0]!.markReady();
  ready.markReady();
  const { closed } = await rawClient(url); // opened later, so its timer fires after the first one's would
  await waitFor(() => inbound.length === 2, 5_000, 'second inbound');
  assert.deepEqual(await inbound[1]!.closed, { code: 1008, reason: 'handshake-timeout', byUs: true });
  assert.deepEqual(await closed, { code: 1008, reason: 'handshake-timeout' });
  assert.equal(inbound[0]!.isOpen, true);
  assert.equal(ready.isOpen, true);
});

test('a peer that does not read is cut off once its send buffer is full', T, async () => {
  const { url, inbound } = await listen({ maxBufferedBytes: 256 * 1024 });
  const { ws, closed } = await rawClient(url);
  ws.pause();
  await waitFor(() => inbound.length === 1, 5_000, 'inbound connection');
  const server = inbound[0]!;
  const frame = new Uint8Array(64 * 1024);
  let sent = 0;
  while (server.send(frame)) if (++sent > 2_000) assert.fail('never hit the buffer limit');
  assert.equal(server.isOpen, false);
  assert.ok(sent * frame.length >= 256 * 1024, `cut after only ${sent} frames`);
  assert.deepEqual(await server.closed, { code: 1006, reason: 'send-buffer-full', byUs: true });
  ws.resume();
  assert.equal((await closed).code, 1006);
});

test('inbound connections beyond the pending-handshake cap are refused with a reason', T, async () => {
  const { listener, url, inbound } = await listen({ maxPendingHandshakes: 2 });
  await connect(url);
  await connect(url);
  await waitFor(() => inbound.length === 2, 5_000, 'two inbound');
  assert.equal(listener.pendingCount, 2);
  await assert.rejects(dial(url, { timeoutMs: 5_000 }), (e: unknown) =>
    isNodeError(e, 'ABORTED') && e.message === `dial ${url} refused: too-many-pending-handshakes (HTTP 503)`);
  assert.equal(listener.refused, 1);
  inbound[0]!.markReady();
  assert.equal(listener.pendingCount, 1);
  await connect(url);
  await waitFor(() => inbound.length === 3, 5_000, 'third inbound after a slot freed');
});

test('inbound connections beyond maxConnections are refused', T, async () => {
  const { listener, url, inbound } = await listen({ maxConnections: 1 });
  await connect(url);
  await waitFor(() => inbound.length === 1, 5_000, 'inbound');
  inbound[0]!.markReady();
  await assert.rejects(dial(url, { timeoutMs: 5_000 }), /refused: too-many-connections \(HTTP 503\)/);
  assert.equal(listener.connectionCount, 1);
});

test('dial: refused port, silent server (timeout), abort and bad URL each fail clearly', T, async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, HOST, r));
  const freePort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  await assert.rejects(dial(`ws://${HOST}:${freePort}`, { timeoutMs: 5_000 }), (e: unknown) =>
    isNodeError(e, 'ABORTED') && /ECONNREFUSED/.test(e.message));

  // Accepts TCP but never answers the upgrade.
  const silent = createServer((s) => netSockets.push(s));
  netServers.push(silent);
  await new Promise<void>((r) => silent.listen(0, HOST, r));
  const silentUrl = `ws://${HOST}:${(silent.address() as { port: number }).port}`;
  const t0 = Date.now();
  await assert.rejects(dial(silentUrl, { timeoutMs: 200 }), (e: unknown) =>
    isNodeError(e, 'TIMEOUT') && e.message === `dial ${silentUrl} timed out after 200 ms`);
  assert.ok(Date.now() - t0 < 3_000);

  const ac = new AbortController();
  const pending = dial(silentUrl, { timeoutMs: 5_000, signal: ac.signal });
  ac.abort();
  await assert.rejects(pending, (e: unknown) => isNodeError(e, 'ABORTED') && /aborted/.test(e.message));
  await assert.rejects(dial('http://127.0.0.1:1'), (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(dial('not a url'), (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT'));
});

test('a port in use is a clear CONFIG_ERROR', T, async () => {
  const { port } = await listen();
  const second = new Listener();
  await assert.rejects(second.start({ host: HOST, port }), (e: unknown) =>
    isNodeError(e, 'CONFIG_ERROR') && e.message === `P2P port ${port} is already in use on ${HOST}`);
  await second.stop();
});

test('plain HTTP gets 426; stop() closes every connection with shutdown (1001)', T, async () => {
  const { listener, url, port } = await listen();
  const res = await fetch(`http://${HOST}:${port}/`);
  assert.equal(res.status, 426);
  await res.text();
  const client = await connect(url);
  const closing = closeEvent(client);
  client.start();
  await waitFor(() => listener.connectionCount === 1, 5_000, 'inbound');
  await listener.stop();
  assert.deepEqual(await closing, { code: 1001, reason: 'shutdown', byUs: false });
  assert.equal(listener.connectionCount, 0);
  await assert.rejects(dial(url, { timeoutMs: 2_000 }), (e: unknown) => isNodeError(e, 'ABORTED'));
});
