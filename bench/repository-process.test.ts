import { readyPort } from './repository-process.js';

describe('readyPort', () => {
  it.each([
    ['the ready line', '{"event":"ready","grpcPort":4321,"opsPort":9}', 4321],
    ['a JSON log line', '{"level":"info","message":"contract repository loaded"}', undefined],
    ['a ready line without a port', '{"event":"ready"}', undefined],
    ['a line that is not JSON', '{not json', undefined],
    ['plain text', 'accord-contract-repo: starting', undefined],
  ])('reads %s', (_name, line, expected) => {
    expect(readyPort(line)).toBe(expected);
  });
});
