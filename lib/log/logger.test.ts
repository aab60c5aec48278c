import { PassThrough } from 'node:stream';
import { createLogger, type LogFormat, type LoggerOptions, type Logger } from './logger.js';

/** A logger writing into memory, and the lines it wrote so far. */
function capturedLogger(options: Omit<LoggerOptions, 'destination' | 'component'>): {
  logger: Logger;
  lines: () => string[];
} {
  const destination = new PassThrough();
  let written = '';
  destination.on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
  return {
    logger: createLogger({ component: 'test', destination, ...options }),
    lines: () => written.split('\n').filter(Boolean),
  };
}

/** Lets the logger's streams pass what was written on. */
const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe.each<LogFormat>(['json', 'text'])('createLogger (%s)', (format) => {
  it('writes lines at and above its level, with their fields and the child fields', async () => {
    const { logger, lines } = capturedLogger({ level: 'info', format });
    logger.child({ zone: 'zone-a' }).info('contract accepted', { contract: 'c-1' });
    logger.warn('repository slow', { ms: 1200 });
    await flushed();
    expect(lines()).toHaveLength(2);
    expect(lines()[0]).toContain('contract accepted');
    expect(lines()[0]).toContain('zone-a');
    expect(lines()[0]).toContain('c-1');
    expect(lines()[1]).toContain('repository slow');
  });

  it('writes nothing below its level, from a child logger either', async () => {
    const { logger, lines } = capturedLogger({ level: 'warn', format });
    logger.debug('request allowed', { caller: 'alice' });
    logger.child({ zone: 'zone-a' }).info('contract accepted');
    logger.error('repository down');
    await flushed();
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toContain('repository down');
  });

  it('writes debug lines when its level is debug', async () => {
    const { logger, lines } = capturedLogger({ level: 'debug', format });
    logger.debug('request allowed', { caller: 'alice' });
    await flushed();
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toContain('alice');
  });
});
