import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '../lib/errors/accord-error.js';
import type { SpiffeId } from '../lib/spiffe/spiffe-id.js';
import { participantOfTrustDomain, type TrustContract } from '../lib/contract/trust-contract.js';
import { isZoneApprover, zoneApproverIds } from '../lib/contract/zone-approvers.js';

/**
 * The authenticated caller as the repository sees it. Identity comes only from the verified peer
 * certificate, never from the request.
 */
export interface Caller {
  /** SPIFFE ID (URI) of the caller's X509-SVID. */
  readonly spiffeId: string;
  /** The caller's zone: contracts are visible to the zones that participate in them. */
  readonly trustDomain: string;
  /** Listed in the repository's configured admins: may propose, revoke, delete and read all. */
  readonly isAdmin: boolean;
}

/** Turns the verified peer into a `Caller`; a call without a client certificate is UNAUTHENTICATED. */
export function callerOf(
  peer: { readonly spiffeId: SpiffeId } | undefined,
  admins: ReadonlySet<string>,
): Caller {
  if (peer === undefined) throw new UnauthenticatedError('a client certificate (X509-SVID) is required');
  return {
    spiffeId: peer.spiffeId.uri,
    trustDomain: peer.spiffeId.trustDomain,
    isAdmin: admins.has(peer.spiffeId.uri),
  };
}

/** Whether `caller` may see `contract`: admins see all; a zone sees the contracts it participates in. */
export function canSee(caller: Caller, contract: Pick<TrustContract, 'participants'>): boolean {
  return caller.isAdmin || participantOfTrustDomain(contract, caller.trustDomain) !== undefined;
}

/** Proposing and deleting change who may trust whom for everybody: admins only. */
export function authorizeAdmin(caller: Caller, operation: string): void {
  if (!caller.isAdmin)
    throw new PermissionDeniedError(
      `${operation} is restricted to repository admins; ${caller.spiffeId} is not one`,
    );
}

/**
 * Reading a contract. A contract the caller cannot see is reported as NOT_FOUND, exactly like a
 * missing one, so zones cannot probe for contracts they are not part of.
 */
export function authorizeRead(
  caller: Caller,
  contractId: string,
  contract: TrustContract | undefined,
): TrustContract {
  if (contract === undefined || !canSee(caller, contract))
    throw new NotFoundError(`contract ${contractId} not found`);
  return contract;
}

/**
 * Approving or revoking on behalf of `participantName`: only a designated approver of that
 * participant's own trust domain (`zoneApproverPaths`) may give or withdraw its consent. Admins
 * get no exception, nor does any other identity of the zone: consent is the zone's, not the
 * repository operator's or a workload's.
 */
export function authorizeConsent(
  caller: Caller,
  action: 'approve' | 'revoke',
  contractId: string,
  contract: TrustContract | undefined,
  participantName: string,
): TrustContract {
  const visible = authorizeRead(caller, contractId, contract);
  const own = participantOfTrustDomain(visible, caller.trustDomain);
  if (own?.name !== participantName) {
    throw new PermissionDeniedError(
      `${caller.spiffeId} may not ${action} for participant ${participantName}: consent must come from the participant's own trust domain`,
    );
  }
  if (!isZoneApprover(caller.spiffeId, own.trustDomain)) {
    throw new PermissionDeniedError(
      `${caller.spiffeId} may not ${action} for participant ${participantName}: only its designated approvers (${zoneApproverIds(own.trustDomain).join(', ')}) may`,
    );
  }
  return visible;
}
