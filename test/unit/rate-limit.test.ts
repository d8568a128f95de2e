import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNodeError } from '../../node/core/errors.js';
import { RateLimiter, TokenBucket } from '../../node/p2p/transport/rate-limit.js';

function fakeClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

test('a bucket starts full, allows a burst, then refuses', () => {
  const clock = fakeClock();
  const b = new TokenBucket({ ratePerSec: 10, burst: 5 }, clock.now);
  for (let i = 0; i < 5; i++) assert.equal(b.take(), true, `take ${i}`);
  assert.equal(b.take(), false);
  assert.equal(b.available(), 0);
});

test('refill is proportional to elapsed time and capped at burst', () => {
  const clock = fakeClock();
  const b = new TokenBucket({ ratePerSec: 10, burst: 5 }, clock.now);
  for (let i = 0; i < 5; i++) b.take();
  clock.advance(99);
  assert.equal(b.take(), false, '0.99 tokens is not one');
  clock.advance(1);
  assert.equal(b.take(), true, '100 ms at 10/s is one token');
  assert.equal(b.take(), false);
  clock.advance(60_000);
  assert.equal(b.available(), 5, 'a long pause refills to burst, not beyond');
  assert.equal(b.take(3), true);
  assert.equal(b.take(3), false, 'cost is all or nothing');
  assert.equal(b.available(), 2);
});

test('msUntil says when a cost becomes affordable', () => {
  const clock = fakeClock();
  const b = new TokenBucket({ ratePerSec: 4, burst: 2 }, clock.now);
  assert.equal(b.msUntil(), 0);
  b.take(2);
  assert.equal(b.msUntil(), 250);
  assert.equal(b.msUntil(2), 500);
  assert.equal(b.msUntil(3), Infinity, 'more than burst is never affordable');
  clock.advance(250);
  assert.equal(b.take(), true);
  assert.equal(new TokenBucket({ ratePerSec: 0, burst: 1 }, clock.now).take(2), false);
});

test('a clock stepping backwards neither refills nor breaks the bucket', () => {
  const clock = fakeClock(10_000);
  const b = new TokenBucket({ ratePerSec: 1, burst: 2 }, clock.now);
  b.take(2);
  clock.set(0);
  assert.equal(b.take(), false);
  clock.set(10_000);
  assert.equal(b.take(), false, 'returning to the old time is not elapsed time');
  clock.set(11_000);
  assert.equal(b.take(), true);
});

test('invalid specs and costs are refused', () => {
  const clock = fakeClock();
  const bad = (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT');
  assert.throws(() => new TokenBucket({ ratePerSec: -1, burst: 1 }, clock.now), bad);
  assert.throws(() => new TokenBucket({ ratePerSec: 1, burst: 0 }, clock.now), bad);
  assert.throws(() => new TokenBucket({ ratePerSec: Number.NaN, burst: 1 }, clock.now), bad);
  assert.throws(() => new TokenBucket({ ratePerSec: 1, burst: Infinity }, clock.now), bad);
  assert.throws(() => new TokenBucket({ ratePerSec: 1, burst: 1 }, clock.now).take(-1), bad);
});

test('RateLimiter keeps one budget per key; unconfigured keys are unlimited', () => {
  const clock = fakeClock();
  const rl = new RateLimiter<'tx' | 'inv' | 'ping'>({ tx: { ratePerSec: 1, burst: 2 }, inv: { ratePerSec: 100, burst: 1 } }, clock.now);
  assert.equal(rl.take('tx'), true);
  assert.equal(rl.take('tx'), true);
  assert.equal(rl.take('tx'), false);
  assert.equal(rl.take('inv'), true, 'tx exhaustion does not touch inv');
  assert.equal(rl.take('inv'), false);
  for (let i = 0; i < 1000; i++) assert.equal(rl.take('ping'), true);
  assert.equal(rl.has('ping'), false);
  clock.advance(1000);
  assert.equal(rl.take('tx'), true);
  assert.equal(rl.take('tx'), false);
});
