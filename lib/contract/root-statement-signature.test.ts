import { InvalidArgumentError, PermissionDeniedError } from '../errors/accord-error.js';
import { participantOf, proposedContract } from '../../test/support/test-contracts.js';
import { activateRoot, announceRoot, revokeRoot } from '../../test/support/test-root-rotation.js';
import {
  createTestRoot,
  createTestZone,
  type TestRoot,
  type TestZone,
} from '../../test/support/test-zone.js';
import type { RootAnnouncement } from './root-rotation.js';
import {
  signRootActivation,
  signRootAnnouncementAsApprover,
  verifyRootActivation,
  verifyRootAnnouncement,
  verifyRootRevocation,
} from './root-statement-signature.js';
import type { ContractParticipant, TrustContract } from './trust-contract.js';

const minuteMs = 60_000;
/** Certificates carry whole seconds: a boundary is a second. */
const wholeSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

let a: TestZone;
let b: TestZone;
let mallory: TestZone;
let a1: TestRoot;
let contract: TrustContract;
let zoneA: ContractParticipant;
let a1Root: ContractParticipant;

beforeAll(async () => {
  [a, b, mallory, a1] = await Promise.all([
    createTestZone('zone-a'),
    createTestZone('zone-b'),
    createTestZone('zone-a'),
    createTestRoot('zone-a.example'),
  ]);
  contract = proposedContract('ab', [a, b]);
  zoneA = participantOf(a);
  a1Root = { ...zoneA, rootPem: a1.rootPem, rootSha256: a1.rootSha256, root: a1.root };
});

/** Zone A's first announcement checked with the pinned root as the replaced root and the only root trusted. */
const verify = (announcement: RootAnnouncement, roots: readonly ContractParticipant[] = [zoneA]) =>
  verifyRootAnnouncement(contract, zoneA, announcement, zoneA, roots);

describe('verifyRootAnnouncement', () => {
  it("accepts the replaced root's and a designated approver's signatures, and returns the approver", async () => {
    expect(verify(await announceRoot(contract, a, a1, a.admin)).spiffeId.uri).toBe(
      'spiffe://zone-a.example/accord/admin',
    );
  });

  interface Refusal {
    name: string;
    announcement: () => Promise<RootAnnouncement>;
    previous?: () => ContractParticipant;
    roots?: () => ContractParticipant[];
    message: string | RegExp;
  }
  const refusals: Refusal[] = [
    {
      name: 'signed for the same contract id with other terms',
      announcement: () =>
        announceRoot(contract, a, a1, a.admin, { terms: { contractTermsSha256: '0'.repeat(64) } }),
      message: `root announcement 1 of zone-a rejected: it was signed for another contract (ab, terms ${'0'.repeat(64)})`,
    },
    {
      name: 'signed for another contract id with these terms',
      announcement: () => announceRoot(contract, a, a1, a.admin, { terms: { contractId: 'ac' } }),
      message:
        /^root announcement 1 of zone-a rejected: it was signed for another contract \(ac, terms [0-9a-f]{64}\)$/,
    },
    {
      name: "about another participant's trust domain",
      announcement: () =>
        announceRoot(contract, a, a1, a.admin, { terms: { trustDomain: 'zone-b.example' } }),
      message:
        'root announcement 1 of zone-a rejected: it is about trust domain zone-b.example, not zone-a.example',
    },
    {
      name: 'replacing another root than the one given',
      announcement: () => announceRoot(contract, a, a1, a.admin),
      previous: () => a1Root,
      message: /^root announcement 1 of zone-a rejected: it replaces root [0-9a-f]{64}, not [0-9a-f]{64}$/,
    },
    {
      name: 'whose new root is the root it replaces',
      announcement: () => announceRoot(contract, a, a, a.admin),
      message: 'root announcement 1 of zone-a rejected: the new root is the root it replaces',
    },
    {
      name: 'whose new root is a CA of another trust domain',
      announcement: async () => announceRoot(contract, a, await createTestRoot('zone-b.example'), a.admin),
      message:
        'root announcement 1 of zone-a rejected: the new root does not name trust domain zone-a.example (URI SAN spiffe://zone-a.example)',
    },
    {
      name: 'not signed by the key of the root it replaces',
      announcement: () => announceRoot(contract, a, a1, a.admin, { continuitySigner: mallory }),
      message: `root announcement 1 of zone-a rejected: it is not signed by the key of the root it replaces (<a>)`,
    },
    {
      name: 'whose approver is certified by no root trusted at its time',
      announcement: () => announceRoot(contract, a, a1, a.admin, { approver: mallory.admin }),
      message:
        /^root announcement 1 of zone-a rejected: its approver signature does not come from a designated approver: root announcement rejected: the signer is not an identity of participant zone-a/,
    },
    {
      name: 'with no root trusted at its time',
      announcement: () => announceRoot(contract, a, a1, a.admin),
      roots: () => [],
      message:
        'root announcement 1 of zone-a rejected: its approver signature does not come from a designated approver: ',
    },
  ];

  it.each(refusals)('refuses an announcement $name', async (refusal) => {
    const announcement = await refusal.announcement();
    const check = () =>
      verifyRootAnnouncement(
        contract,
        zoneA,
        announcement,
        refusal.previous?.() ?? zoneA,
        refusal.roots?.() ?? [zoneA],
      );
    expect(check).toThrow(PermissionDeniedError);
    const message =
      typeof refusal.message === 'string' ? refusal.message.replace('<a>', a.rootSha256) : refusal.message;
    if (typeof message === 'string') {
      expect(check).toThrow(new PermissionDeniedError(message));
    } else {
      expect(check).toThrow(message);
    }
  });

  it('names every trusted root that refused the approver, and accepts one certified by a later root', async () => {
    const byMallory = await announceRoot(contract, a, a1, a.admin, { approver: mallory.admin });
    expect(() => verify(byMallory, [a1Root, zoneA])).toThrow(
      /designated approver: root announcement rejected: the signer is not an identity .*; root announcement rejected: the signer is not an identity /,
    );
    const byAdmin = await announceRoot(contract, a, a1, a.admin);
    expect(verify(byAdmin, [a1Root, zoneA]).spiffeId.uri).toBe('spiffe://zone-a.example/accord/admin');
  });

  it('passes a malformed approver chain on as InvalidArgumentError, not as a refusal', async () => {
    const announcement = {
      ...(await announceRoot(contract, a, a1, a.admin)),
      approverCertificateChainDer: [],
    };
    expect(() => verify(announcement)).toThrow(InvalidArgumentError);
    expect(() => verify(announcement)).toThrow('root announcement.certificate_chain: empty');
  });

  it('refuses an approver signature over other bytes, naming the approver', async () => {
    const genuine = await announceRoot(contract, a, a1, a.admin);
    const other = await signRootAnnouncementAsApprover({ ...genuine, sequence: 2 }, a.admin.signer);
    expect(() => verify({ ...genuine, approverSignature: other.signature })).toThrow(
      new PermissionDeniedError(
        "root announcement 1 of zone-a rejected: the approver's signature (spiffe://zone-a.example/accord/admin) does not verify over the canonical bytes",
      ),
    );
  });

  it('checks that the replaced and the new root are valid at the announcement, to the second', async () => {
    const now = Date.now();
    const notBefore = wholeSecond(now - 30 * minuteMs);
    const notAfter = wholeSecond(now + 30 * minuteMs);
    const short = await createTestRoot('zone-a.example', { notBefore, notAfter });
    const at = (announcedAt: Date) => announceRoot(contract, a, short, a.admin, { announcedAt });
    expect(verify(await at(notBefore)).spiffeId.uri).toBe('spiffe://zone-a.example/accord/admin');
    expect(verify(await at(notAfter)).spiffeId.uri).toBe('spiffe://zone-a.example/accord/admin');
    const before = new Date(notBefore.getTime() - 1);
    await expect(at(before).then(verify)).rejects.toThrow(
      `root announcement 1 of zone-a rejected: the new root is not valid at ${before.toISOString()}`,
    );
    const after = new Date(notAfter.getTime() + 1);
    await expect(at(after).then(verify)).rejects.toThrow(
      `root announcement 1 of zone-a rejected: the new root is not valid at ${after.toISOString()}`,
    );
    const beforePinned = new Date(Date.parse(a.root.validFrom) - 1);
    await expect(
      announceRoot(contract, a, a1, a.admin, { announcedAt: beforePinned }).then(verify),
    ).rejects.toThrow(
      `root announcement 1 of zone-a rejected: the replaced root is not valid at ${beforePinned.toISOString()}`,
    );
  });
});

describe('verifyRootActivation', () => {
  const activatedAt = wholeSecond(Date.now());

  it('accepts an activation signed by the new root, the old root retiring at the activation or later', () => {
    expect(() => verifyRootActivation(activateRoot(a, a1, 1, activatedAt, 0), a1.root)).not.toThrow();
    expect(() => verifyRootActivation(activateRoot(a, a1, 1, activatedAt, 1), a1.root)).not.toThrow();
  });

  it('refuses an old root retiring before the activation', () => {
    const activation = signRootActivation(
      {
        trustDomain: 'zone-a.example',
        sequence: 1,
        previousRootSha256: a.rootSha256,
        rootSha256: a1.rootSha256,
        activatedAt,
        previousRootRetireAfter: new Date(activatedAt.getTime() - 1),
      },
      a1.rootKey,
    );
    expect(() => verifyRootActivation(activation, a1.root)).toThrow(
      new PermissionDeniedError(
        `root activation rejected: the previous root would retire (${new Date(activatedAt.getTime() - 1).toISOString()}) before the activation (${activatedAt.toISOString()})`,
      ),
    );
  });

  it('refuses an activation signed by another key than the root it activates', () => {
    expect(() => verifyRootActivation(activateRoot(a, a1, 1, activatedAt, 0), a.root)).toThrow(
      new PermissionDeniedError(
        `root activation rejected: not signed by the key of root ${a1.rootSha256} it activates`,
      ),
    );
  });
});

describe('verifyRootRevocation', () => {
  it("accepts a revocation signed by the revoked root's own key and refuses another key's", () => {
    expect(() => verifyRootRevocation(revokeRoot(a, 'key compromised'), a.root)).not.toThrow();
    expect(() => verifyRootRevocation(revokeRoot(a, 'key compromised', mallory), a.root)).toThrow(
      new PermissionDeniedError(
        `root revocation rejected: not signed by the key of root ${a.rootSha256} it revokes`,
      ),
    );
  });
});
