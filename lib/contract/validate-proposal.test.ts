import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { derToPem } from '../x509/pem.js';
import { sha256Hex } from '../x509/fingerprint.js';
import { createTestRoot, createTestZone, type TestZone } from '../../test/support/test-zone.js';
import {
  ParticipantCache,
  validateProposal,
  type ContractProposal,
  type ParticipantProposal,
} from './validate-proposal.js';

let zoneA: TestZone;
let zoneB: TestZone;
let leafPem: string;
let notSelfSignedCaPem: string;

beforeAll(async () => {
  [zoneA, zoneB] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
  leafPem = (await zoneA.issue('/workload')).certificatePem;
  const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const otherKeys = await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=intermediate',
    issuer: 'CN=intermediate',
    notBefore: new Date(Date.now() - 1000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: otherKeys.privateKey,
    signingAlgorithm: ecdsa,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  notSelfSignedCaPem = derToPem(new Uint8Array(ca.rawData));
});

function proposal(...participants: ParticipantProposal[]): ContractProposal {
  return { id: 'ab', participants };
}

function withRoot(
  zone: TestZone,
  pem: string,
  hash = sha256Hex(new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'))),
): ParticipantProposal {
  return { ...zone.participant, publicKey: pem, hash };
}

describe('validateProposal', () => {
  it('accepts two distinct zones and parses their roots', () => {
    const result = validateProposal(proposal(zoneA.participant, zoneB.participant));
    expect(result.id).toBe('ab');
    expect(result.participants.map((participant) => participant.rootSha256)).toEqual([
      zoneA.rootSha256,
      zoneB.rootSha256,
    ]);
  });

  it('leaves the id to the repository when it is empty', () => {
    expect(
      validateProposal({ id: '', participants: [zoneA.participant, zoneB.participant] }).id,
    ).toBeUndefined();
  });

  it('accepts an upper-case hash and stores it lower-case', () => {
    const result = validateProposal(
      proposal({ ...zoneA.participant, hash: zoneA.rootSha256.toUpperCase() }, zoneB.participant),
    );
    expect(result.participants[0]?.rootSha256).toBe(zoneA.rootSha256);
  });

  const cases: { name: string; build: () => ContractProposal; message: RegExp }[] = [
    {
      name: 'an id that is not a DNS label',
      build: () => ({ ...proposal(zoneA.participant, zoneB.participant), id: 'Not_A_Label' }),
      message: /^id: /,
    },
    {
      name: 'an id longer than 63 characters',
      build: () => ({ ...proposal(zoneA.participant, zoneB.participant), id: 'a'.repeat(64) }),
      message: /^id: /,
    },
    {
      name: 'a single participant',
      build: () => proposal(zoneA.participant),
      message: /^participants: a contract needs at least 2 participants, got 1/,
    },
    {
      name: 'more than 32 participants',
      build: () => proposal(...Array.from({ length: 33 }, () => zoneA.participant)),
      message: /^participants: a contract has at most 32/,
    },
    {
      name: 'a participant name that is not a DNS label',
      build: () => proposal({ ...zoneA.participant, name: 'Zone A' }, zoneB.participant),
      message: /^participants\[0\]\.name: /,
    },
    {
      name: 'an invalid trust domain',
      build: () => proposal(zoneA.participant, { ...zoneB.participant, trustDomain: 'Zone-B:443' }),
      message: /^participants\[1\]\.trust_domain: /,
    },
    {
      name: 'a missing root',
      build: () => proposal(zoneA.participant, { ...zoneB.participant, publicKey: '' }),
      message: /^participants\[1\]\.public_key: required/,
    },
    {
      name: 'a root that is not PEM',
      build: () => proposal(zoneA.participant, { ...zoneB.participant, publicKey: 'hello' }),
      message: /^participants\[1\]\.public_key: not a PEM certificate/,
    },
    {
      name: 'two certificates in one root',
      build: () =>
        proposal(zoneA.participant, { ...zoneB.participant, publicKey: zoneB.rootPem + zoneA.rootPem }),
      message: /^participants\[1\]\.public_key: must hold exactly one PEM certificate, found 2/,
    },
    {
      name: 'an oversized root',
      build: () =>
        proposal(zoneA.participant, {
          ...zoneB.participant,
          publicKey: zoneB.rootPem + ' '.repeat(17 * 1024),
        }),
      message: /^participants\[1\]\.public_key: larger than 16384 bytes/,
    },
    {
      name: 'a PEM block that is not DER',
      build: () =>
        proposal(zoneA.participant, {
          ...zoneB.participant,
          publicKey: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
        }),
      message: /^participants\[1\]\.public_key: not a valid X.509 certificate/,
    },
    {
      name: 'a leaf certificate as root',
      build: () => proposal(zoneA.participant, withRoot(zoneB, leafPem)),
      message: /^participants\[1\]\.public_key: not a CA certificate/,
    },
    {
      name: 'a CA that is not self-signed',
      build: () => proposal(zoneA.participant, withRoot(zoneB, notSelfSignedCaPem)),
      message: /^participants\[1\]\.public_key: not self-signed/,
    },
    {
      name: 'a missing hash',
      build: () => proposal(zoneA.participant, { ...zoneB.participant, hash: '' }),
      message: /^participants\[1\]\.hash: required/,
    },
    {
      name: 'a hash that is not hex',
      build: () => proposal(zoneA.participant, { ...zoneB.participant, hash: 'xyz' }),
      message: /^participants\[1\]\.hash: must be 64 hex digits/,
    },
    {
      name: 'a hash of another root',
      build: () => proposal(zoneA.participant, { ...zoneB.participant, hash: zoneA.rootSha256 }),
      message: /^participants\[1\]\.hash: [0-9a-f]{64} does not match/,
    },
    {
      name: 'duplicate names',
      build: () => proposal(zoneA.participant, { ...zoneB.participant, name: 'zone-a' }),
      message: /^participants\[1\]\.name: "zone-a" is already used by participants\[0\]/,
    },
    {
      name: 'duplicate trust domains',
      build: () => proposal(zoneA.participant, { ...zoneB.participant, trustDomain: zoneA.trustDomain }),
      message: /^participants\[1\]\.trust_domain: "zone-a.example" is already used/,
    },
    {
      name: 'the same root twice',
      build: () =>
        proposal(zoneA.participant, { ...zoneA.participant, name: 'zone-x', trustDomain: 'zone-x.example' }),
      message: /^participants\[1\]\.hash: /,
    },
  ];

  it.each(cases)('rejects $name with a message naming the field', ({ build, message }) => {
    const input = build();
    expect(() => validateProposal(input)).toThrow(InvalidArgumentError);
    expect(() => validateProposal(input)).toThrow(message);
  });
});

describe('validateProposal: bounds', () => {
  it('accepts a root of exactly 16384 bytes, and refuses a hash of 65 hex digits', () => {
    const padded = zoneB.rootPem + ' '.repeat(16 * 1024 - Buffer.byteLength(zoneB.rootPem, 'utf8'));
    expect(Buffer.byteLength(padded, 'utf8')).toBe(16 * 1024);
    expect(
      validateProposal(proposal(zoneA.participant, { ...zoneB.participant, publicKey: padded }))
        .participants[1]?.rootSha256,
    ).toBe(zoneB.rootSha256);
    for (const hash of [`${zoneB.rootSha256}0`, `x${zoneB.rootSha256.slice(1)}`]) {
      expect(() => validateProposal(proposal(zoneA.participant, { ...zoneB.participant, hash }))).toThrow(
        new InvalidArgumentError("participants[1].hash: must be 64 hex digits (SHA-256 of the root's DER)"),
      );
    }
  });

  it('accepts exactly 32 distinct participants and refuses a 33rd', async () => {
    const roots = await Promise.all(
      Array.from({ length: 30 }, (_, index) => createTestRoot(`zone-${index}.example`)),
    );
    const thirtyTwo = [
      zoneA.participant,
      zoneB.participant,
      ...roots.map((root, index) => ({
        name: `zone-${index}`,
        trustDomain: root.trustDomain,
        publicKey: root.rootPem,
        hash: root.rootSha256,
      })),
    ];
    expect(validateProposal(proposal(...thirtyTwo)).participants).toHaveLength(32);
    expect(() => validateProposal(proposal(...thirtyTwo, { ...zoneA.participant, name: 'zone-x' }))).toThrow(
      new InvalidArgumentError('participants: a contract has at most 32 participants, got 33'),
    );
  });

  it("keeps the parser's error as the cause of a root that is not PEM or not X.509", () => {
    const causeOf = (publicKey: string): unknown => {
      try {
        validateProposal(proposal(zoneA.participant, { ...zoneB.participant, publicKey }));
      } catch (error) {
        return (error as Error).cause;
      }
      throw new Error('the proposal was accepted');
    };
    expect(causeOf('hello')).toEqual(new InvalidArgumentError('invalid PEM: no "CERTIFICATE" block found'));
    // Node's own error, from another realm than the test's: matched by its code.
    const notDer = causeOf('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') as {
      code?: unknown;
    };
    expect(notDer.code).toMatch(/^ERR_OSSL_/);
  });

  it('returns each participant frozen, with its root re-encoded as PEM', () => {
    const [a] = validateProposal(proposal(zoneA.participant, zoneB.participant)).participants;
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toMatchObject({ name: 'zone-a', trustDomain: 'zone-a.example', rootPem: zoneA.rootPem });
  });
});

describe('ParticipantCache', () => {
  it('validates a participant once and hands out the same object, but only for identical input', () => {
    const cache = new ParticipantCache();
    const first = cache.validated(zoneA.participant, 'participants[0]');
    expect(cache.validated({ ...zoneA.participant }, 'participants[0]')).toBe(first);
    const renamed = cache.validated({ ...zoneA.participant, name: 'zone-x' }, 'participants[0]');
    expect(renamed).not.toBe(first);
    expect(renamed.name).toBe('zone-x');
    expect(() =>
      cache.validated({ ...zoneA.participant, hash: zoneB.rootSha256 }, 'participants[3]'),
    ).toThrow(/^participants\[3\]\.hash: /);
  });
});
