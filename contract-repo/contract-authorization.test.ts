import type { TrustContract } from '../lib/contract/trust-contract.js';
import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '../lib/errors/accord-error.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import { proposedContract } from '../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../test/support/test-zone.js';
import {
  authorizeAdmin,
  authorizeConsent,
  authorizeRead,
  callerOf,
  canSee,
  type Caller,
} from './contract-authorization.js';

// The repository's authorization decisions on their own, with the exact reason each refusal gives
// (contract-repository.test.ts checks them through the repository's operations).

/** A repository admin whose zone takes part in no contract here (a hub's administrator). */
const hubAdminId = 'spiffe://hub.example/accord/admin';
const admins: ReadonlySet<string> = new Set([hubAdminId]);

function caller(uri: string): Caller {
  return callerOf({ spiffeId: parseSpiffeId(uri) }, admins);
}

let zoneA: TestZone;
let zoneB: TestZone;
let contract: TrustContract;

beforeAll(async () => {
  [zoneA, zoneB] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
  contract = proposedContract('ab', [zoneA, zoneB]);
});

describe('callerOf', () => {
  it('takes identity and zone from the verified peer, and admin status from the admins set only', () => {
    expect(caller(hubAdminId)).toEqual({
      spiffeId: hubAdminId,
      trustDomain: 'hub.example',
      isAdmin: true,
    });
    expect(caller('spiffe://zone-a.example/accord/admin')).toEqual({
      spiffeId: 'spiffe://zone-a.example/accord/admin',
      trustDomain: 'zone-a.example',
      isAdmin: false,
    });
  });

  it('refuses a call without a client certificate as UNAUTHENTICATED, saying what is missing', () => {
    expect(() => callerOf(undefined, admins)).toThrow(UnauthenticatedError);
    expect(() => callerOf(undefined, admins)).toThrow('a client certificate (X509-SVID) is required');
  });
});

describe('authorizeAdmin', () => {
  it('lets an admin through and refuses anybody else, naming the operation and the caller', () => {
    expect(() => authorizeAdmin(caller(hubAdminId), 'propose')).not.toThrow();
    const operator = caller('spiffe://zone-a.example/accord/operator');
    expect(() => authorizeAdmin(operator, 'propose')).toThrow(PermissionDeniedError);
    expect(() => authorizeAdmin(operator, 'propose')).toThrow(
      'propose is restricted to repository admins; spiffe://zone-a.example/accord/operator is not one',
    );
  });
});

describe('authorizeRead', () => {
  it('shows a contract to its participant zones and to admins', () => {
    expect(canSee(caller('spiffe://zone-b.example/ns/shop/sa/app'), contract)).toBe(true);
    expect(canSee(caller(hubAdminId), contract)).toBe(true);
    expect(authorizeRead(caller('spiffe://zone-a.example/accord/operator'), 'ab', contract)).toBe(contract);
  });

  it('reports a contract of other zones exactly like a missing one (NOT_FOUND with the id)', () => {
    const outsider = caller('spiffe://zone-c.example/accord/operator');
    expect(canSee(outsider, contract)).toBe(false);
    expect(() => authorizeRead(outsider, 'ab', contract)).toThrow(NotFoundError);
    expect(() => authorizeRead(outsider, 'ab', contract)).toThrow('contract ab not found');
    expect(() => authorizeRead(caller(hubAdminId), 'absent', undefined)).toThrow('contract absent not found');
  });
});

describe('authorizeConsent', () => {
  it("lets a designated approver of the participant's own trust domain approve and revoke for it", () => {
    for (const uri of ['spiffe://zone-b.example/accord/admin', 'spiffe://zone-b.example/accord/operator']) {
      expect(authorizeConsent(caller(uri), 'approve', 'ab', contract, 'zone-b')).toBe(contract);
      expect(authorizeConsent(caller(uri), 'revoke', 'ab', contract, 'zone-b')).toBe(contract);
    }
  });

  it.each([
    {
      who: 'the approver of the other participant',
      uri: 'spiffe://zone-a.example/accord/operator',
    },
    {
      // Sees every contract, belongs to none: no participant of its own to consent for.
      who: 'a repository admin of a trust domain that is no participant',
      uri: hubAdminId,
    },
  ])('refuses consent for zone-b by $who: PERMISSION_DENIED, own trust domain only', ({ uri }) => {
    expect(() => authorizeConsent(caller(uri), 'revoke', 'ab', contract, 'zone-b')).toThrow(
      PermissionDeniedError,
    );
    expect(() => authorizeConsent(caller(uri), 'revoke', 'ab', contract, 'zone-b')).toThrow(
      `${uri} may not revoke for participant zone-b: consent must come from the participant's own trust domain`,
    );
  });

  it('refuses consent by a workload of the participant zone, naming the designated approvers', () => {
    const workload = caller('spiffe://zone-b.example/ns/shop/sa/app');
    expect(() => authorizeConsent(workload, 'approve', 'ab', contract, 'zone-b')).toThrow(
      'spiffe://zone-b.example/ns/shop/sa/app may not approve for participant zone-b: only its designated approvers (spiffe://zone-b.example/accord/admin, spiffe://zone-b.example/accord/operator) may',
    );
  });

  it('refuses consent on a contract the caller cannot see as NOT_FOUND', () => {
    const outsider = caller('spiffe://zone-c.example/accord/operator');
    expect(() => authorizeConsent(outsider, 'approve', 'ab', contract, 'zone-b')).toThrow(NotFoundError);
  });
});
