import { InvalidArgumentError } from '../errors/accord-error.js';
import { parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['1m30s', 90_000],
    ['0s', 0],
    ['0.0005s', 1],
  ])('reads %s as %i ms', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });

  it.each(['', '60', 's', '-5s', '5 s', '5sec', '1d', '1h 30m', '.5s', '5s!', ' 5s'])(
    'rejects "%s" with an InvalidArgumentError naming the accepted form',
    (text) => {
      expect(() => parseDurationMs(text)).toThrow(InvalidArgumentError);
      expect(() => parseDurationMs(text)).toThrow(/is not a duration: use a number and a unit, e\.g\. 30s/);
    },
  );
});
