import { createTestZone, type TestZone } from '../../test/support/test-zone.js';
import {
  participantSpec,
  rootsFrom,
  trustContractObject,
} from '../../test/operator/trust-contract-builders.js';
import {
  InvalidSpecError,
  parseTrustContractSpec,
  readTrustContractObject,
  revokeOnDeleteFinalizer,
} from './trust-contract-spec.js';

let a: TestZone;
let b: TestZone;
let bIntermediate: string;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
  bIntermediate = (await b.issue('/leaf')).certificatePem;
});

const secretRef = { secretKeyRef: { namespace: 'accord', name: 'zone-b-root', key: 'ca.crt' } };
const configMapRef = { configMapKeyRef: { namespace: 'accord', name: 'zone-b-root', key: 'ca.crt' } };

describe('readTrustContractObject', () => {
  it('reads name, generation, finalizers and whether the object is being deleted', () => {
    const object = readTrustContractObject(
      trustContractObject('ab', [], { generation: 3, deletionTimestamp: '2026-01-01T00:00:00Z' }),
    );
    expect(object).toMatchObject({
      name: 'ab',
      generation: 3,
      isDeleting: true,
      finalizers: [revokeOnDeleteFinalizer],
    });
  });

  it('rejects an object without a name, naming the field', () => {
    expect(() => readTrustContractObject({ metadata: {} })).toThrow(/^metadata\.name: /);
  });
});

describe('parseTrustContractSpec', () => {
  it('computes each root fingerprint as the proposer commits to it', async () => {
    const participants = await parseTrustContractSpec(
      'ab',
      { participants: [participantSpec(a), participantSpec(b)] },
      rootsFrom({}),
    );
    expect(participants).toEqual([a.participant, b.participant]);
  });

  it.each([
    ['a Secret key', secretRef, 'Secret'],
    ['a ConfigMap key', configMapRef, 'ConfigMap'],
  ])('resolves a root held in %s', async (_, root, kind) => {
    const readRoot = rootsFrom({ [`${kind}/accord/zone-b-root/ca.crt`]: b.rootPem });
    const participants = await parseTrustContractSpec(
      'ab',
      { participants: [participantSpec(a), participantSpec(b, root)] },
      readRoot,
    );
    expect(participants[1]).toEqual(b.participant);
  });

  const cases: [string, () => { id?: string; spec: unknown }, RegExp][] = [
    ['a spec without participants', () => ({ spec: {} }), /^spec\.participants: /],
    [
      'a participant without a trust domain',
      () => ({ spec: { participants: [participantSpec(a), { name: 'zone-b', root: { pem: b.rootPem } }] } }),
      /^spec\.participants\[1\]\.trustDomain: /,
    ],
    [
      'a root with two sources',
      () => ({
        spec: { participants: [participantSpec(a), participantSpec(b, { pem: b.rootPem, ...secretRef })] },
      }),
      /^spec\.participants\[1\]\.root: Invalid value: "object": root needs exactly one of pem, secretKeyRef or configMapKeyRef$/,
    ],
    [
      'a missing Secret key',
      () => ({ spec: { participants: [participantSpec(a), participantSpec(b, secretRef)] } }),
      /^spec\.participants\[1\]\.root\.secretKeyRef: Secret accord\/zone-b-root does not exist or has no key "ca\.crt"$/,
    ],
    [
      'a root that is not PEM',
      () => ({ spec: { participants: [participantSpec(a), participantSpec(b, { pem: 'not pem' })] } }),
      /^spec\.participants\[1\]\.root\.pem: Invalid value: "string": pem must start with -----BEGIN CERTIFICATE-----$/,
    ],
    [
      'a root whose PEM block does not decode',
      () => ({
        spec: {
          participants: [
            participantSpec(a),
            participantSpec(b, { pem: '-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n' }),
          ],
        },
      }),
      /^spec\.participants\[1\]\.root: invalid PEM/,
    ],
    [
      'a root that is not a CA',
      () => ({ spec: { participants: [participantSpec(a), participantSpec(b, { pem: bIntermediate })] } }),
      /^spec\.participants\[1\]\.root: not a CA certificate/,
    ],
    [
      'a single participant',
      () => ({ spec: { participants: [participantSpec(a)] } }),
      /^spec\.participants: Invalid value: 1: spec\.participants in body should have at least 2 items$/,
    ],
    [
      'two participants with one root',
      () => ({
        spec: { participants: [participantSpec(a), { ...participantSpec(b), root: { pem: a.rootPem } }] },
      }),
      /^spec\.participants\[1\]\.root: ".*" is already used by participants\[0\]$/,
    ],
    [
      'an invalid trust domain',
      () => ({
        spec: { participants: [participantSpec(a), { ...participantSpec(b), trustDomain: 'Zone B' }] },
      }),
      /^spec\.participants\[1\]\.trustDomain: Invalid value: "Zone B": spec\.participants\[1\]\.trustDomain in body should match '\^\[a-z0-9\._-\]\+\$'$/,
    ],
    [
      'a name that cannot be a contract id',
      () => ({ id: 'a.b', spec: { participants: [participantSpec(a), participantSpec(b)] } }),
      /^metadata\.name: "a\.b" is not a DNS label/,
    ],
  ];

  it.each(cases)('rejects %s with an InvalidSpecError naming the field', async (_, build, message) => {
    const { id = 'ab', spec } = build();
    const parsing = parseTrustContractSpec(id, spec, rootsFrom({}));
    await expect(parsing).rejects.toThrow(InvalidSpecError);
    await expect(parsing).rejects.toThrow(message);
  });

  it('lets a failure to read a referenced root through, so that it is retried', async () => {
    const unreachable = () => Promise.reject(new Error('apiserver unreachable'));
    const parsing = parseTrustContractSpec(
      'ab',
      { participants: [participantSpec(a), participantSpec(b, secretRef)] },
      unreachable,
    );
    await expect(parsing).rejects.toThrow('apiserver unreachable');
    await expect(parsing).rejects.not.toThrow(InvalidSpecError);
  });
});
