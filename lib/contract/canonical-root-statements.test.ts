import {
  canonicalRootActivationBytes,
  canonicalRootAnnouncementBytes,
  canonicalRootRevocationBytes,
} from './canonical-root-statements.js';

// The exact bytes of each root statement, written out: a wire format that the repository, every
// provider and every zone PKI must agree on, so a change must fail here.

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const previous = 'a'.repeat(64);
const next = 'b'.repeat(64);

describe('canonical root statement bytes', () => {
  it('announcement', () => {
    expect(
      text(
        canonicalRootAnnouncementBytes({
          contractId: 'ab',
          contractTermsSha256: 'c'.repeat(64),
          trustDomain: 'zone-a.example',
          sequence: 2,
          previousRootSha256: previous,
          rootSha256: next,
          announcedAt: new Date('2026-12-06T03:00:00.001Z'),
        }),
      ),
    ).toBe(
      `{"type":"accord.dev/root-announcement/v1","contractId":"ab","contractTermsSha256":"${'c'.repeat(64)}","trustDomain":"zone-a.example","sequence":2,"previousRootSha256":"${previous}","rootSha256":"${next}","announcedAt":"2026-12-06T03:00:00.001Z"}`,
    );
  });

  it('activation', () => {
    expect(
      text(
        canonicalRootActivationBytes({
          trustDomain: 'zone-a.example',
          sequence: 2,
          previousRootSha256: previous,
          rootSha256: next,
          activatedAt: new Date('2026-12-06T04:00:00.000Z'),
          previousRootRetireAfter: new Date('2026-12-13T04:00:00.000Z'),
        }),
      ),
    ).toBe(
      `{"type":"accord.dev/root-activation/v1","trustDomain":"zone-a.example","sequence":2,"previousRootSha256":"${previous}","rootSha256":"${next}","activatedAt":"2026-12-06T04:00:00.000Z","previousRootRetireAfter":"2026-12-13T04:00:00.000Z"}`,
    );
  });

  it('revocation, with the SHA-256 of the reason', () => {
    expect(
      text(
        canonicalRootRevocationBytes({
          trustDomain: 'zone-a.example',
          rootSha256: previous,
          revokedAt: new Date('2026-12-06T05:00:00.000Z'),
          reason: 'key compromised',
        }),
      ),
    ).toBe(
      `{"type":"accord.dev/root-revocation/v1","trustDomain":"zone-a.example","rootSha256":"${previous}","revokedAt":"2026-12-06T05:00:00.000Z","reasonSha256":"2a53b432bff215507c5de885210ce7d19e55cb7bdc3539d56fe8d642b1793174"}`,
    );
  });
});
