/**
 * pino logging: JSON lines for machines (files, pipes), pretty single lines on a terminal.
 * pino because it is the fastest structured logger for Node and its JSON is easy to grep and parse.
 */
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { Log } from './log.js';

/** pino-pretty and its dependencies load only for a terminal: a node logging to a pipe never needs them. */
function loadPretty(): typeof import('pino-pretty') {
  return createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
}

export function createLogger(level: string, opts: { pretty?: boolean; base?: Record<string, unknown> } = {}): Log {
  const usePretty = opts.pretty ?? process.stdout.isTTY === true;
  const options = { level, base: opts.base ?? null, timestamp: pino.stdTimeFunctions.isoTime };
  if (usePretty) {
    return pino(options, loadPretty()({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, sync: true })) as unknown as Log;
  }
  return pino(options, pino.destination({ dest: 1, sync: true })) as unknown as Log;
}
