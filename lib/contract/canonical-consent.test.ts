import { createHash } from 'node:crypto';
import {
  canonicalApprovalBytes,
  canonicalRevocationBytes,
  contractTermsSha256,
} from './canonical-consent.js';
import type { ContractParticipant, ContractTerms } from './trust-contract.js';

// The exact bytes every approval and revocation signs, written out: they are a wire format
// (accordctl, the console and every provider must produce and check the same bytes), so a change
// must fail here, not only make signer and verifier agree with each other.

const rootOf = (letter: string) => letter.repeat(64);

/** Only the fields the canonical bytes read; the certificate itself never enters them. */
function participant(name: string, letter: string): ContractParticipant {
  return {
    name,
    trustDomain: `${name}.example`,
    rootSha256: rootOf(letter),
  } as unknown as ContractParticipant;
}

// Out of name order on purpose: the bytes list participants sorted by name.
const terms: ContractTerms = {
  id: 'ab',
  createdAt: new Date('2026-12-06T03:00:00.000Z'),
  participants: [participant('zone-c', 'c'), participant('zone-a', 'a'), participant('zone-b', 'b')],
};
const termsJson =
  '"contractId":"ab","createdAt":"2026-12-06T03:00:00.000Z","participants":[' +
  `{"name":"zone-a","trustDomain":"zone-a.example","rootSha256":"${rootOf('a')}"},` +
  `{"name":"zone-b","trustDomain":"zone-b.example","rootSha256":"${rootOf('b')}"},` +
  `{"name":"zone-c","trustDomain":"zone-c.example","rootSha256":"${rootOf('c')}"}]`;
const signedAt = new Date('2026-12-06T03:01:02.345Z');

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('canonical consent bytes', () => {
  it('approval: type tag, the terms with participants sorted by name, the participant and signed_at', () => {
    expect(text(canonicalApprovalBytes(terms, 'zone-b', signedAt))).toBe(
      `{"type":"accord.dev/contract-approval/v1",${termsJson},"participant":"zone-b","signedAt":"2026-12-06T03:01:02.345Z"}`,
    );
  });

  it('revocation: the approval shape with its own tag and the SHA-256 of the reason last', () => {
    expect(text(canonicalRevocationBytes(terms, 'zone-b', signedAt, 'leaving'))).toBe(
      `{"type":"accord.dev/contract-revocation/v1",${termsJson},"participant":"zone-b","signedAt":"2026-12-06T03:01:02.345Z","reasonSha256":"b353c86ecca83ccdef0116ec587373193bc1526943db793d6daa4330e52a2bd7"}`,
    );
  });

  it('terms: the SHA-256 of the tagged terms document, the same whatever order the participants come in', () => {
    const expected = createHash('sha256')
      .update(`{"type":"accord.dev/contract-terms/v1",${termsJson}}`)
      .digest('hex');
    expect(contractTermsSha256(terms)).toBe(expected);
    expect(contractTermsSha256({ ...terms, participants: [...terms.participants].reverse() })).toBe(expected);
  });
});
