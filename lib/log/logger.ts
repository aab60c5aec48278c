import winston from 'winston';

/** Structured fields attached to a log line. Never put secrets or PEM bodies here. */
export type LogFields = Record<string, unknown>;

/**
 * The logging interface every component receives as an argument. Messages are constant strings
 * and data goes into fields, so log lines can be searched and counted.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. the zone or the contract id. */
  child(fields: LogFields): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';

export interface LoggerOptions {
  component: string;
  level: LogLevel;
  format: LogFormat;
  /** Where lines go instead of stderr; injected only by tests. */
  destination?: NodeJS.WritableStream;
}

/** Creates the process logger; only entrypoints call this, everything else gets a `Logger`. */
export function createLogger(options: LoggerOptions): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.printf(({ timestamp, level, message, ...fields }) => {
            const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${rest}`;
          }),
        );
  const base = winston.createLogger({
    level: options.level,
    format,
    defaultMeta: { component: options.component },
    transports: [
      options.destination === undefined
        ? // Logs go to stderr so that stdout stays free for a command's output.
          new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })
        : new winston.transports.Stream({ stream: options.destination }),
    ],
  });
  return wrap(base);
}

function wrap(target: winston.Logger): Logger {
  // winston formats every line (timestamp, JSON) before its transports drop those below their
  // level, so a line nobody keeps is asked about first: a debug line per request costs nothing at
  // the default level.
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (target.isLevelEnabled(level)) target.log(level, message, fields);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => wrap(target.child(fields)),
  };
}

/** A logger that drops everything: for tests and for library callers that do not log. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
