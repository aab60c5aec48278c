import { callerOf, type Caller } from '../../contract-repo/contract-authorization.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';

/** The repository admin of the repository tests (a zone-a identity). */
export const testAdminId = 'spiffe://zone-a.example/accord/admin';

/** The admins set the repository tests open their repositories with. */
export const testAdmins: ReadonlySet<string> = new Set([testAdminId]);

/** The authenticated caller `uri` as the repository sees it, given `testAdmins`. */
export function testCaller(uri: string): Caller {
  return callerOf({ spiffeId: parseSpiffeId(uri) }, testAdmins);
}

/**
 * The admin, each test zone's operator (a designated approver) and a plain workload of zone-b,
 * for repository calls without gRPC.
 */
export const testCallers = {
  admin: testCaller(testAdminId),
  zoneA: testCaller('spiffe://zone-a.example/accord/operator'),
  zoneB: testCaller('spiffe://zone-b.example/accord/operator'),
  zoneC: testCaller('spiffe://zone-c.example/accord/operator'),
  workloadB: testCaller('spiffe://zone-b.example/ns/shop/sa/some-app'),
};
