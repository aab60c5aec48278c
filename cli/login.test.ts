import { UsageError } from '../lib/cli/command-line.js';
import { loginPlan, type HeldSvid } from './login.js';

const held: HeldSvid = {
  spiffeId: 'spiffe://zone-a.example/accord/admin',
  notAfter: new Date('2026-12-31T00:00:00Z'),
  certificatePem: 'CERT',
  privateKeyPem: 'KEY',
};
const expired = {
  problem: 'the certificate at /x/accordctl-svid.pem expired at 2026-01-01T00:00:00.000Z',
  spiffeId: held.spiffeId,
};

describe('loginPlan', () => {
  it.each([
    ['keeps a valid SVID on a re-run, token or not', held, false, true, { kind: 'unchanged', held }],
    ['keeps a valid SVID without a token', held, false, false, { kind: 'unchanged', held }],
    ['renews a valid SVID with itself when asked', held, true, false, { kind: 'renew', held }],
    ['renews with the SVID, not the token, when both are there', held, true, true, { kind: 'renew', held }],
    [
      'enrols with the token when there is no SVID',
      { problem: 'no certificate at /x' },
      false,
      true,
      { kind: 'enrol' },
    ],
    [
      'enrols with the token again once the SVID expired, even on --renew',
      expired,
      true,
      true,
      { kind: 'enrol' },
    ],
  ])('%s', (_, current, isRenewing, hasToken, expected) => {
    expect(loginPlan(current, { isRenewing, hasToken })).toEqual(expected);
  });

  it.each([
    ['there is no SVID', { problem: 'no certificate at /x/accordctl-svid.pem' }],
    ['the SVID expired', expired],
  ])('refuses without a token when %s, saying why and what to pass', (_, current) => {
    expect(() => loginPlan(current, { isRenewing: true, hasToken: false })).toThrow(
      new UsageError(
        `${current.problem}: --token-file is required to log in (the bootstrap token's file, or - for stdin)`,
      ),
    );
  });
});
