import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../../node/core/bytes.js';
import { devAccount } from '../../node/core/dev-accounts.js';
import { isNodeError } from '../../node/core/errors.js';
import { CURVE_N, bytesToBigInt } from '../../node/core/keys.js';
import { penaltyFor } from '../../node/core/verdict.js';
import { HelloMessage } from '../../node/p2p/protocol/messages.js';
import {
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  Transcript,
  checkHello,
  handshakeDigest,
  isObservedAcceptable,
  nodeIdHex,
  signHandshake,
  signHelloProof,
  transcriptOf,
  verifyHandshake,
  verifyHelloProof,
} from '../../node/p2p/protocol/handshake.js';
import { parseIp } from '../../node/p2p/peers/net-address.js';
import { A, B, CHAIN_ID, GENESIS, filled, helloA, helloB, sampleMessages } from '../helpers/p2p-fixtures.js';

const C = devAccount(2);
/** A dialled B; B proves itself as the listener. */
const t: Transcript = transcriptOf(GENESIS, helloA(), helloB(), true);
const proof = signHandshake(t, 'listener', B.privateKey);

test('a proof verifies for exactly the transcript and role it was made for', () => {
  assert.equal(verifyHandshake(t, 'listener', proof), true);
  assert.deepEqual(signHandshake(t, 'listener', B.privateKey), proof, 'RFC 6979: deterministic');
  // Every part of the transcript is bound.
  assert.equal(verifyHandshake({ ...t, genesisHash: filled(0x12) }, 'listener', proof), false);
  assert.equal(verifyHandshake({ ...t, dialer: { ...t.dialer, challenge: filled(0x23) } }, 'listener', proof), false);
  assert.equal(verifyHandshake({ ...t, listener: { ...t.listener, challenge: filled(0x23) } }, 'listener', proof), false);
  assert.equal(verifyHandshake({ ...t, dialer: { ...t.dialer, id: C.publicKey } }, 'listener', proof), false);
  assert.equal(verifyHandshake({ ...t, dialer: { ...t.dialer, observedPort: 9003 } }, 'listener', proof), false);
  assert.equal(verifyHandshake({ ...t, listener: { ...t.listener, observedIp: parseIp('127.0.0.2')! } }, 'listener', proof), false);
  // Role: the same signature does not pass as the dialer's, and A's key cannot make B's proof.
  assert.equal(verifyHandshake({ ...t, dialer: t.listener, listener: t.dialer }, 'dialer', proof), false);
  assert.equal(verifyHandshake(t, 'listener', signHandshake(t, 'listener', C.privateKey)), false);
  assert.equal(verifyHandshake(t, 'listener', signHandshake(t, 'dialer', B.privateKey)), false);
});

test('malformed proofs and parts are invalid, never a throw', () => {
  const flipped = proof.slice();
  flipped[10]! ^= 1;
  assert.equal(verifyHandshake(t, 'listener', flipped), false);
  const s = bytesToBigInt(proof.subarray(32));
  const highS = proof.slice();
  highS.set(fromHex((CURVE_N - s).toString(16).padStart(64, '0')), 32);
  assert.equal(verifyHandshake(t, 'listener', highS), false);
  assert.equal(verifyHandshake(t, 'listener', proof.subarray(0, 63)), false);
  assert.equal(verifyHandshake(t, 'listener', new Uint8Array(64)), false);
  assert.equal(verifyHandshake({ ...t, listener: { ...t.listener, id: B.publicKey.subarray(1) } }, 'listener', proof), false);
  assert.equal(verifyHandshake({ ...t, dialer: { ...t.dialer, challenge: filled(0x22, 31) } }, 'listener', proof), false);
});

test('digest: domain-tagged 221-byte preimage, and the vector in p2p-messages.json', () => {
  const v = (
    JSON.parse(readFileSync(new URL('../../../test/vectors/p2p-messages.json', import.meta.url), 'utf8')) as {
      handshake: Record<string, string>;
    }
  ).handshake;
  assert.equal(v.signerPrivateKey, toHex(B.privateKey));
  assert.equal(v.preimage!.length / 2, 22 + 32 + 33 + 33 + 32 + 32 + 18 + 18 + 1);
  assert.equal(toHex(new TextEncoder().encode('minichain-handshake-v2')), v.preimage!.slice(0, 44));
  assert.equal(v.dialerId, toHex(A.publicKey));
  assert.equal(v.listenerId, toHex(B.publicKey));
  assert.equal(toHex(handshakeDigest(t, 'listener')), v.digest);
  assert.equal(toHex(proof), v.signature);
  assert.equal(verifyHandshake(t, 'listener', fromHex(v.signature!)), true);
  assert.throws(() => handshakeDigest({ ...t, genesisHash: filled(1, 31) }, 'listener'), (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT'));
});

test('isObservedAcceptable: our socket exactly, our external IP, or a public view of a private socket (NAT)', () => {
  const ip = (s: string) => parseIp(s)!;
  const h = (addr: string, port: number): HelloMessage => ({ ...helloA(), observedIp: ip(addr), observedPort: port });
  const local = { ip: ip('198.18.8.2'), port: 9001 };
  assert.equal(isObservedAcceptable(h('198.18.8.2', 9001), local), true);
  assert.equal(isObservedAcceptable(h('198.18.8.2', 9002), local), false, 'another socket of ours: a relayed hello');
  assert.equal(isObservedAcceptable(h('198.18.8.9', 9001), local), false);
  assert.equal(isObservedAcceptable(h('203.0.113.5', 9001), local), true, 'behind a translator');
  assert.equal(isObservedAcceptable(h('203.0.113.5', 9001), { ip: ip('203.0.113.9'), port: 9001 }), false);
  assert.equal(isObservedAcceptable(h('203.0.113.5', 9), { ip: ip('203.0.113.9'), port: 9001 }, [ip('203.0.113.5')]), true);
  assert.equal(isObservedAcceptable(h('127.0.0.1', 5000), { ip: ip('127.0.0.1'), port: 5001 }), false);
});

test('nodeIdHex', () => {
  assert.equal(nodeIdHex(A.publicKey), toHex(A.publicKey));
  assert.equal(nodeIdHex(A.publicKey).length, 66);
  assert.throws(() => nodeIdHex(A.publicKey.subarray(1)), (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT') && /33 bytes, got 32/.test(e.message));
});

test('checkHello: accepts a compatible peer and negotiates min(version)', () => {
  const hello = sampleMessages().find(([n]) => n === 'hello')![1] as HelloMessage;
  const local = { chainId: CHAIN_ID, genesisHash: GENESIS, nodeId: B.publicKey, protocolVersion: PROTOCOL_VERSION };
  assert.deepEqual(checkHello(hello, local), { ok: true, value: { version: PROTOCOL_VERSION } });
  assert.deepEqual(checkHello({ ...hello, protocolVersion: 7 }, local), { ok: true, value: { version: PROTOCOL_VERSION } });
  assert.deepEqual(checkHello(hello, { ...local, protocolVersion: 3 }), { ok: true, value: { version: PROTOCOL_VERSION } });
  assert.equal(checkHello({ ...hello, protocolVersion: 1 }, local).ok, false, 'v1 peers (getblocks sync, old genesis) are refused');
});

test('checkHello: each reason, in order, all policy class with no ban score', () => {
  const hello = sampleMessages().find(([n]) => n === 'hello')![1] as HelloMessage;
  const local = { chainId: CHAIN_ID, genesisHash: GENESIS, nodeId: B.publicKey, protocolVersion: PROTOCOL_VERSION };
  const reasonOf = (h: HelloMessage, l = local) => {
    const v = checkHello(h, l);
    assert.equal(v.ok, false);
    if (v.ok) return '';
    assert.equal(v.class, 'policy');
    assert.equal(penaltyFor(v), 0);
    return v.reason;
  };
  assert.equal(reasonOf({ ...hello, protocolVersion: MIN_PROTOCOL_VERSION - 1 }), 'bad-protocol-version');
  assert.equal(reasonOf({ ...hello, chainId: CHAIN_ID + 1 }), 'wrong-chain');
  assert.equal(reasonOf({ ...hello, genesisHash: filled(0x12) }), 'wrong-genesis');
  assert.equal(reasonOf({ ...hello, nodeId: B.publicKey }), 'self-connection');
  // Order: the first failing check names the rejection.
  assert.equal(reasonOf({ ...hello, protocolVersion: 0, chainId: 1, nodeId: B.publicKey }), 'bad-protocol-version');
  assert.equal(reasonOf({ ...hello, chainId: 1, genesisHash: filled(0x12), nodeId: B.publicKey }), 'wrong-chain');
  assert.equal(reasonOf({ ...hello, genesisHash: filled(0x12), nodeId: B.publicKey }), 'wrong-genesis');
});

test('signHelloProof / verifyHelloProof: each side signs the same transcript in its own role', () => {
  const [a, b] = [helloA(), helloB()];
  // B (listener) answers; A (dialer) checks.
  const fromB = signHelloProof(b, a, false, { genesisHash: GENESIS, privateKey: B.privateKey });
  assert.deepEqual(fromB, proof, 'the same signature as the low-level API with B as the listener');
  assert.equal(verifyHelloProof(fromB, a, b, true, GENESIS), true);
  // A (dialer) answers; B checks.
  const fromA = signHelloProof(a, b, true, { genesisHash: GENESIS, privateKey: A.privateKey });
  assert.equal(verifyHelloProof(fromA, b, a, false, GENESIS), true);
  // Echoed back, or checked with the roles swapped: refused.
  assert.equal(verifyHelloProof(fromA, a, b, true, GENESIS), false);
  assert.equal(verifyHelloProof(fromB, b, a, false, GENESIS), false);
});
