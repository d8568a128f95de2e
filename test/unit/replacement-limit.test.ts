/** The per-sender relay budget for replacements: its rate, and its cap on tracked senders (LRU eviction). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPLACEMENT_RELAY_BURST, REPLACEMENT_RELAY_INTERVAL_MS, ReplacementRelayLimit } from '../../node/p2p/protocol/replacement-limit.js';

test('a sender gets its burst, then one replacement per interval', () => {
  let now = 0;
  const lim = new ReplacementRelayLimit(() => now);
  for (let i = 0; i < REPLACEMENT_RELAY_BURST; i++) assert.equal(lim.allow('a'), true);
  assert.equal(lim.allow('a'), false);
  assert.equal(lim.allow('b'), true, 'another sender has its own budget');
  now += REPLACEMENT_RELAY_INTERVAL_MS;
  assert.equal(lim.allow('a'), true);
  assert.equal(lim.allow('a'), false);
});

test('tracks at most maxSenders, forgetting the least recently used', () => {
  const lim = new ReplacementRelayLimit(() => 0, 3);
  for (const s of ['a', 'a', 'b', 'c']) lim.allow(s); // a is out of tokens
  assert.equal(lim.allow('a'), false);
  lim.allow('d'); // evicts b (a was used more recently)
  assert.equal(lim.size, 3);
  lim.allow('e'); // evicts c
  lim.allow('f'); // evicts a: it starts afresh
  assert.equal(lim.size, 3);
  assert.equal(lim.allow('a'), true);
});
