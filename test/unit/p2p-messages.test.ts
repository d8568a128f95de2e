import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../../node/core/bytes.js';
import { isNodeError } from '../../node/core/errors.js';
import {
  MAX_ADDR,
  MAX_INV,
  MAX_LOCATOR,
  MAX_MESSAGE_BYTES,
  MESSAGE_TYPES,
  Message,
  MessageType,
  decodeMessage,
  describeMessage,
  encodeMessage,
  peekMessageType,
  printable,
} from '../../node/p2p/protocol/messages.js';
import { MAX_FRAME_BYTES } from '../../node/p2p/transport/connection.js';
import { A, TX_HASH, sampleMessages, sampleTx, toJson } from '../helpers/p2p-fixtures.js';
import { seededRandom as prng } from '../helpers/prng.js';

interface Vectors {
  valid: { name: string; type: string; message: unknown; hex: string }[];
  invalid: { name: string; hex: string; error: string }[];
}
const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/p2p-messages.json', import.meta.url), 'utf8')) as Vectors;

function decodeErrorOf(bytes: Uint8Array): string {
  try {
    decodeMessage(bytes);
  } catch (e) {
    assert.ok(isNodeError(e, 'DECODE_ERROR'), `expected DECODE_ERROR, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`decoded ${toHex(bytes)}`);
}

test('every message type has a sample, and every sample round-trips', () => {
  const samples = sampleMessages();
  assert.deepEqual(new Set(samples.map(([, m]) => m.type)), new Set(Object.keys(MESSAGE_TYPES)));
  for (const [name, m] of samples) {
    const bytes = encodeMessage(m);
    assert.equal(bytes[0], MESSAGE_TYPES[m.type], name);
    assert.equal(peekMessageType(bytes), m.type);
    const back = decodeMessage(bytes);
    assert.deepEqual(back, m, name);
    assert.deepEqual(encodeMessage(back), bytes, name);
  }
});

test('vectors: encodings match p2p-messages.json and decode to the listed fields', () => {
  const samples = new Map(sampleMessages());
  assert.equal(vectors.valid.length, samples.size);
  for (const v of vectors.valid) {
    const m = samples.get(v.name);
    assert.ok(m, `no sample for vector ${v.name}`);
    assert.equal(toHex(encodeMessage(m)), v.hex, v.name);
    assert.deepEqual(toJson(decodeMessage(fromHex(v.hex))), v.message, v.name);
    assert.equal(v.type, m.type);
  }
});

test('docs/protocol.md lists every valid vector and the handshake digest', () => {
  const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
  for (const v of vectors.valid) assert.ok(doc.includes(`${v.name}\n${v.hex}\n`), `docs lack vector ${v.name}`);
  const hs = (vectors as unknown as { handshake: { digest: string } }).handshake;
  assert.ok(doc.includes(hs.digest), 'docs lack the handshake digest');
});

test('vectors: every invalid frame is refused with its exact message', () => {
  assert.ok(vectors.invalid.length >= 15);
  for (const v of vectors.invalid) assert.equal(decodeErrorOf(fromHex(v.hex)), v.error, v.name);
});

test('oversize counts are refused from the count alone, before reading or allocating items', () => {
  // Five bytes claiming 70,000 entries: the count check fires, not a truncation error further on.
  assert.equal(decodeErrorOf(fromHex('07fe70110100')), '"inv count" expected <= 1000, got 70000');
  assert.equal(decodeErrorOf(fromHex('08fde903')), `"getdata count" expected <= ${MAX_INV}, got 1001`);
  assert.equal(decodeErrorOf(fromHex('09feffffffff')), '"notfound count" expected <= 1000, got 4294967295');
  assert.equal(decodeErrorOf(fromHex('06fe70110100')), `"addr count" expected <= ${MAX_ADDR}, got 70000`);
  assert.equal(decodeErrorOf(fromHex('0cfd0001')), `"getblocks locator count" expected <= ${MAX_LOCATOR}, got 256`);
  // A legal count with too few bytes behind it fails on the length check before the array is made.
  assert.equal(decodeErrorOf(fromHex('06fde803')), '"addr" expected >= 44000 bytes for 1000 entries, got 0');
  assert.equal(decodeErrorOf(fromHex('0b' + '00'.repeat(92 + 28) + 'fd204e')), '"block.txs" expected 2900000 bytes, got 0');
  assert.equal(decodeErrorOf(fromHex('0b' + '00'.repeat(92 + 28) + 'fd214e')), '"block.txCount" expected <= 20000, got 20001');
});

test('frames above MAX_MESSAGE_BYTES are refused before decoding; the transport limit is the same', () => {
  assert.equal(MAX_FRAME_BYTES, MAX_MESSAGE_BYTES);
  const big = new Uint8Array(MAX_MESSAGE_BYTES + 1);
  big[0] = MESSAGE_TYPES.block;
  assert.equal(decodeErrorOf(big), `"message" expected <= ${MAX_MESSAGE_BYTES} bytes, got ${MAX_MESSAGE_BYTES + 1}`);
});

test('every proper prefix of every sample is refused as truncated', () => {
  for (const [name, m] of sampleMessages()) {
    const bytes = encodeMessage(m);
    for (let len = 0; len < bytes.length; len++) {
      // getaddr is one byte: its only proper prefix is the empty frame.
      const msg = decodeErrorOf(bytes.subarray(0, len));
      assert.match(msg, /needs|expected|trailing/, `${name}[0..${len}]`);
    }
  }
});

test('every sample with one extra byte is refused', () => {
  for (const [name, m] of sampleMessages()) {
    const bytes = encodeMessage(m);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assert.match(decodeErrorOf(longer), /trailing|expected/, name);
  }
});

test('strings: a leading BOM survives the round trip; printable() neutralises control characters', () => {
  const m: Message = { type: 'disconnect', reason: '\uFEFFbye\u00e9' };
  assert.deepEqual(decodeMessage(encodeMessage(m)), m);
  assert.equal(printable('ok\n\x1b[31mfake log line\u202e'), 'ok??[31mfake log line?');
  assert.equal(describeMessage({ type: 'reject', reason: 'x\ny', hash: null }), 'reject(x?y)');
});

test('the encoder refuses what the decoder would refuse', () => {
  const refuses = (m: Message, re: RegExp) =>
    assert.throws(() => encodeMessage(m), (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT') && re.test(e.message));
  const items = Array.from({ length: MAX_INV + 1 }, () => ({ kind: 'tx' as const, hash: TX_HASH }));
  refuses({ type: 'inv', items }, /"inv count" expected <= 1000, got 1001/);
  refuses({ type: 'getblocks', locator: Array.from({ length: MAX_LOCATOR + 1 }, () => TX_HASH), stopHash: null }, /locator count/);
  refuses({ type: 'disconnect', reason: 'x'.repeat(112) }, /"disconnect.reason" expected <= 111 bytes, got 112/);
  refuses({ type: 'reject', reason: '\ud800', hash: null }, /not well-formed/);
  refuses({ type: 'inv', items: [{ kind: 'blob' as 'tx', hash: TX_HASH }] }, /unknown blob/);
  refuses({ type: 'inv', items: [{ kind: 'tx', hash: TX_HASH.subarray(1) }] }, /expected 32 bytes, got 31/);
  refuses({ type: 'addr', addrs: [{ host: 'h', port: 1, nodeId: A.publicKey, lastSeen: 1.5 }] }, /addr.lastSeen/);
  refuses({ type: 'ping', nonce: 1n << 64n }, /u64 out of range/);
  const hello = sampleMessages().find(([n]) => n === 'hello')![1];
  refuses({ ...hello, bestWork: 1n << 256n } as Message, /u256/);
  refuses({ ...hello, userAgent: 'u'.repeat(65) } as Message, /"hello.userAgent" expected <= 64 bytes, got 65/);
  const block = sampleMessages().find(([n]) => n === 'block')![1] as Extract<Message, { type: 'block' }>;
  const huge = { ...block, block: { ...block.block, txs: Array.from({ length: 14_500 }, () => sampleTx) } };
  refuses(huge, /"block" message expected <= 2097152 bytes/);
});

test('getblocks: an all-zero stop hash on the wire is "no stop hash"', () => {
  const bytes = fromHex('0c00' + '00'.repeat(32));
  assert.deepEqual(decodeMessage(bytes), { type: 'getblocks', locator: [], stopHash: null });
  assert.deepEqual(encodeMessage({ type: 'getblocks', locator: [], stopHash: new Uint8Array(32) }), bytes);
});


function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const b = Array.from(src);
  const int = (n: number) => Math.floor(rnd() * n);
  const special = [0x00, 0x01, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff];
  for (let k = 1 + int(4); k > 0; k--) {
    const op = int(6);
    const at = int(b.length + 1);
    if (op === 0 && b.length > 0) b[at % b.length] = int(256);
    else if (op === 1 && b.length > 0) b[at % b.length] = special[int(special.length)]!;
    else if (op === 2) b.splice(at, 0, int(256));
    else if (op === 3 && b.length > 0) b.splice(at % b.length, 1 + int(4));
    else if (op === 4) b.length = Math.min(b.length, at);
    else b.push(...Array.from({ length: 1 + int(40) }, () => int(256)));
  }
  return Uint8Array.from(b);
}

test('fuzz: random and mutated frames either round-trip exactly or throw DECODE_ERROR', () => {
  const seed = 0x6d696e69;
  const rnd = prng(seed);
  const samples = sampleMessages().map(([, m]) => encodeMessage(m));
  const typeCodes = Object.values(MESSAGE_TYPES);
  const decodedTypes = new Set<MessageType>();
  let decoded = 0;
  let refused = 0;
  const runs = 12_000;
  for (let i = 0; i < runs; i++) {
    let input: Uint8Array;
    if (i % 3 === 0) {
      // Random bytes, usually behind a valid type byte so the payload decoders are exercised too.
      input = Uint8Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256));
      if (input.length > 0 && rnd() < 0.9) input[0] = typeCodes[Math.floor(rnd() * typeCodes.length)]!;
    } else {
      input = mutate(samples[Math.floor(rnd() * samples.length)]!, rnd);
    }
    let m: Message;
    try {
      m = decodeMessage(input);
    } catch (e) {
      if (!isNodeError(e, 'DECODE_ERROR')) assert.fail(`seed ${seed} run ${i}: ${toHex(input)} threw ${String(e)}`);
      refused++;
      continue;
    }
    decoded++;
    decodedTypes.add(m.type);
    assert.deepEqual(encodeMessage(m), input, `seed ${seed} run ${i}: ${toHex(input)} re-encodes differently`);
  }
  assert.equal(decoded + refused, runs);
  // Both outcomes must be well represented, or the fuzz loop is not testing anything.
  assert.ok(decoded > 500, `only ${decoded} mutated frames decoded`);
  assert.ok(refused > 500, `only ${refused} frames refused`);
  assert.ok(decodedTypes.size >= 10, `decoded only ${[...decodedTypes].join(',')}`);
});
