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
  HandshakeParams,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  checkHello,
  handshakeDigest,
  nodeIdHex,
  signHandshake,
  signHelloProof,
  verifyHandshake,
  verifyHelloProof,
} from '../../node/p2p/protocol/handshake.js';
import { A, B, CHAIN_ID, CHALLENGE_A, GENESIS, filled, sampleMessages } from '../helpers/p2p-fixtures.js';

const C = devAccount(2);
/** B proves itself to A by signing A's challenge. */
const params: HandshakeParams = { genesisHash: GENESIS, challenge: CHALLENGE_A, signerId: B.publicKey, verifierId: A.publicKey };
const proof = signHandshake(params, B.privateKey);

test('a proof verifies for exactly the parameters it was made for', () => {
  assert.equal(verifyHandshake(params, proof), true);
  assert.deepEqual(signHandshake(params, B.privateKey), proof, 'RFC 6979: deterministic');
});

test('a proof does not verify for another verifier, genesis, challenge or signer', () => {
  // Relayed to a third node C: the verifier id is bound.
  assert.equal(verifyHandshake({ ...params, verifierId: C.publicKey }, proof), false);
  assert.equal(verifyHandshake({ ...params, genesisHash: filled(0x12) }, proof), false);
  assert.equal(verifyHandshake({ ...params, challenge: filled(0x23) }, proof), false);
  // Claimed by someone else (C announces B's proof as its own).
  assert.equal(verifyHandshake({ ...params, signerId: C.publicKey }, proof), false);
  // Reflected: A's own proof for B cannot be passed off as B's proof for A.
  const reflected = signHandshake({ ...params, signerId: A.publicKey, verifierId: B.publicKey }, A.privateKey);
  assert.equal(verifyHandshake(params, reflected), false);
  // Signed with the wrong key.
  assert.equal(verifyHandshake(params, signHandshake(params, C.privateKey)), false);
});

test('a tampered, high-s or malformed proof is invalid, never an exception', () => {
  const flipped = proof.slice();
  flipped[10]! ^= 1;
  assert.equal(verifyHandshake(params, flipped), false);
  // The malleable twin (r, n - s) is a valid ECDSA signature but not low-s: refused.
  const highS = proof.slice();
  let s = CURVE_N - bytesToBigInt(proof.subarray(32));
  for (let i = 63; i >= 32; i--, s >>= 8n) highS[i] = Number(s & 0xffn);
  assert.equal(verifyHandshake(params, highS), false);
  assert.equal(verifyHandshake(params, proof.subarray(0, 63)), false);
  assert.equal(verifyHandshake(params, new Uint8Array(64)), false);
  assert.equal(verifyHandshake({ ...params, signerId: B.publicKey.subarray(1) }, proof), false);
  assert.equal(verifyHandshake({ ...params, signerId: filled(0x05, 33) }, proof), false);
  assert.equal(verifyHandshake({ ...params, challenge: filled(0x22, 31) }, proof), false);
});

test('digest: domain-tagged preimage, and the vector in p2p-messages.json', () => {
  const v = (
    JSON.parse(readFileSync(new URL('../../../test/vectors/p2p-messages.json', import.meta.url), 'utf8')) as {
      handshake: Record<string, string>;
    }
  ).handshake;
  assert.equal(toHex(new TextEncoder().encode('minichain-handshake-v1')), v.preimage!.slice(0, 44));
  assert.equal(v.preimage!.length / 2, 22 + 32 + 32 + 33 + 33);
  assert.equal(v.signerPrivateKey, toHex(B.privateKey));
  const p = { genesisHash: fromHex(v.genesisHash!), challenge: fromHex(v.challenge!), signerId: fromHex(v.signerId!), verifierId: fromHex(v.verifierId!) };
  assert.equal(toHex(handshakeDigest(p)), v.digest);
  assert.equal(toHex(signHandshake(p, B.privateKey)), v.signature);
  assert.equal(verifyHandshake(p, fromHex(v.signature!)), true);
  assert.throws(() => handshakeDigest({ ...p, genesisHash: filled(1, 31) }), (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT'));
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

test('signHelloProof / verifyHelloProof: each side signs the other\'s challenge, and the roles cannot be mixed up', () => {
  const helloA = sampleMessages().find(([n]) => n === 'hello')![1] as HelloMessage;
  const helloB: HelloMessage = { ...helloA, nodeId: B.publicKey, challenge: filled(0x66) };
  // B answers A's hello; A checks it with the challenge A sent.
  const fromB = signHelloProof(helloA, { genesisHash: GENESIS, nodeId: B.publicKey, privateKey: B.privateKey });
  assert.deepEqual(fromB, proof, 'the same signature as the low-level API with B as signer, A as verifier');
  assert.equal(verifyHelloProof(fromB, helloB, { genesisHash: GENESIS, nodeId: A.publicKey, challenge: CHALLENGE_A }), true);
  // A answers B's hello; B checks it.
  const fromA = signHelloProof(helloB, { genesisHash: GENESIS, nodeId: A.publicKey, privateKey: A.privateKey });
  assert.equal(verifyHelloProof(fromA, helloA, { genesisHash: GENESIS, nodeId: B.publicKey, challenge: helloB.challenge }), true);
  // Checked against the wrong challenge (the peer's instead of ours), or echoed back: refused.
  assert.equal(verifyHelloProof(fromB, helloB, { genesisHash: GENESIS, nodeId: A.publicKey, challenge: helloB.challenge }), false);
  assert.equal(verifyHelloProof(fromA, helloB, { genesisHash: GENESIS, nodeId: A.publicKey, challenge: CHALLENGE_A }), false);
});
