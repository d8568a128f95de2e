/**
 * Link faults in the transport (Connection.setLinkFault, used by the test-only setLinkFault RPC) over a
 * real ws socket on 127.0.0.1: frames are held delayMs ± jitterMs, never reordered, counted against the
 * send-buffer cap, dropped on close; drop() cuts the socket; clearing the fault sends at once again.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../node/p2p/transport/connection.js';
import { dial } from '../../node/p2p/transport/dialer.js';
import { Listener } from '../../node/p2p/transport/listener.js';
import { seededRandom } from '../helpers/prng.js';
import { waitFor } from '../helpers/wait-for.js';

const listeners: Listener[] = [];
const conns: Connection[] = [];
after(async () => {
  for (const c of conns) c.close('test-end');
  await Promise.all(conns.map((c) => c.closed));
  await Promise.all(listeners.map((l) => l.stop()));
});

async function pair(): Promise<{ out: Connection; inb: Connection; got: { n: number; t: number }[] }> {
  const listener = new Listener();
  listeners.push(listener);
  const inbound: Connection[] = [];
  const got: { n: number; t: number }[] = [];
  listener.on('connection', (c) => {
    inbound.push(c);
    conns.push(c);
    c.on('frame', (f) => got.push({ n: new DataView(f.buffer, f.byteOffset).getUint32(0), t: Date.now() }));
    c.start();
  });
  const { port } = await listener.start({ host: '127.0.0.1', port: 0 });
  const out = await dial(`ws://127.0.0.1:${port}`, { timeoutMs: 5000 });
  conns.push(out);
  out.start();
  await waitFor(() => inbound.length === 1, 5000, 'inbound');
  return { out, inb: inbound[0]!, got };
}

const frame = (n: number) => {
  const b = new Uint8Array(64);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

test('delayed frames arrive after at least delay - jitter, all of them, in order', { timeout: 20_000 }, async () => {
  const { out, got } = await pair();
  out.setLinkFault({ delayMs: 150, jitterMs: 100, random: seededRandom(7) });
  const sentAt = Date.now();
  for (let i = 0; i < 40; i++) assert.equal(out.send(frame(i)), true);
  assert.ok(out.bufferedAmount >= 40 * 64, 'held frames count against the send buffer');
  await waitFor(() => got.length === 40, 10_000, '40 frames');
  assert.deepEqual(got.map((g) => g.n), Array.from({ length: 40 }, (_, i) => i));
  assert.ok(got[0]!.t - sentAt >= 45, `first frame held (${got[0]!.t - sentAt} ms)`);
  // cleared: the next frame is not held behind a timer
  out.setLinkFault(undefined);
  out.send(frame(40));
  await waitFor(() => got.length === 41, 5000, 'frame 41');
  assert.equal(got[40]!.n, 40);
});

test('close drops held frames and clears the timer; drop() cuts the socket with the given reason', { timeout: 20_000 }, async () => {
  const a = await pair();
  a.out.setLinkFault({ delayMs: 5000, jitterMs: 0, random: Math.random });
  a.out.send(frame(1));
  a.out.close('bye');
  const info = await a.out.closed;
  assert.equal(info.reason, 'bye');
  assert.equal(a.out.bufferedAmount, 0);
  assert.equal(a.got.length, 0);

  const b = await pair();
  b.out.drop('link-fault-drop');
  assert.deepEqual({ ...(await b.out.closed) }, { code: 1006, reason: 'link-fault-drop', byUs: true });
  const far = await b.inb.closed;
  assert.equal(far.code, 1006);
});
