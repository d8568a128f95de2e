/**
 * pino logging: JSON lines for machines (files, pipes), pretty single lines on a terminal.
 * pino because it is the fastest structured logger for Node and its JSON is easy to grep and parse.
 */
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { Log } from './log.js';

export function createLogger(level: string, opts: { pretty?: boolean; base?: Record<string, unknown> } = {}): Log {
  const usePretty = opts.pretty ?? process.stdout.isTTY === true;
  const options = { level, base: opts.base ?? null, timestamp: pino.stdTimeFunctions.isoTime };
  if (usePretty) {
    return pino(options, pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, sync: true })) as unknown as Log;
  }
  return pino(options, pino.destination({ dest: 1, sync: true })) as unknown as Log;
}
