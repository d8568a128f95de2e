/**
 * wallet/password.ts: MINICHAIN_PASSWORD wins, no TTY and no env var is a clear error, and the
 * terminal prompt reads a line with echo off (raw mode), handling backspace, confirm and Ctrl-C.
 * The terminal is a PassThrough that claims to be a TTY and records setRawMode calls.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { isWalletError } from '../../wallet/errors.js';
import { PromptIO, passwordSource } from '../../wallet/password.js';

function fakeTerminal(isTTY = true) {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  const rawCalls: boolean[] = [];
  stdin.isTTY = isTTY;
  stdin.setRawMode = (raw: boolean) => rawCalls.push(raw);
  const stderr = new PassThrough();
  let shown = '';
  stderr.setEncoding('utf8').on('data', (d: string) => (shown += d));
  const io: PromptIO = { stdin, stderr };
  return { io, stdin, rawCalls, shown: () => shown };
}

/** Types `keys` once the prompt has been written (the listener is attached synchronously after it). */
function type(stdin: PassThrough, ...keys: string[]): void {
  setImmediate(() => {
    for (const k of keys) stdin.write(k);
  });
}

describe('passwordSource', () => {
  it('uses MINICHAIN_PASSWORD without touching the terminal, even when it is empty', async () => {
    const t = fakeTerminal();
    assert.equal(await passwordSource({ MINICHAIN_PASSWORD: 's3cret' }, t.io)({ prompt: 'pw: ', confirm: true }), 's3cret');
    assert.equal(await passwordSource({ MINICHAIN_PASSWORD: '' }, t.io)({ prompt: 'pw: ' }), '');
    assert.deepEqual(t.rawCalls, []);
    assert.equal(t.shown(), '');
  });

  it('fails clearly with no TTY and no env var', async () => {
    const t = fakeTerminal(false);
    await assert.rejects(passwordSource({}, t.io)({ prompt: 'pw: ' }), (e: unknown) => isWalletError(e, 'USAGE') && /MINICHAIN_PASSWORD/.test(e.message));
  });

  it('reads a hidden line in raw mode, with backspace, and restores the terminal', async () => {
    const t = fakeTerminal();
    type(t.stdin, 'hunx', '\u007f', 'ter2', '\r');
    assert.equal(await passwordSource({}, t.io)({ prompt: 'password for "a": ' }), 'hunter2');
    assert.deepEqual(t.rawCalls, [true, false]);
    assert.equal(t.shown(), 'password for "a": \n', 'nothing typed is echoed');
  });

  it('confirms a new password and refuses a mismatch', async () => {
    const ok = fakeTerminal();
    type(ok.stdin, 'abc\r', 'abc\r');
    assert.equal(await passwordSource({}, ok.io)({ prompt: 'new: ', confirm: true }), 'abc');
    const bad = fakeTerminal();
    type(bad.stdin, 'abc\r', 'abd\r');
    await assert.rejects(passwordSource({}, bad.io)({ prompt: 'new: ', confirm: true }), (e: unknown) => isWalletError(e, 'INVALID_INPUT') && /do not match/.test(e.message));
  });

  it('aborts on Ctrl-C', async () => {
    const t = fakeTerminal();
    type(t.stdin, 'abc\u0003');
    await assert.rejects(passwordSource({}, t.io)({ prompt: 'pw: ' }), (e: unknown) => isWalletError(e, 'USAGE') && e.message === 'aborted');
    assert.deepEqual(t.rawCalls, [true, false]);
  });
});
