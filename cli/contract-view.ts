import { approvalReport } from '../lib/contract/contract-approvals.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { formatTable } from './format-table.js';

/**
 * A contract as accordctl prints it, with approvals verified *locally*: the `verifiedApprovals`
 * and `isTrustEstablished` fields come from checking the signatures here, not from the
 * repository's `state`, so an admin sees the same truth a provider acts on.
 */
export interface ContractView {
  id: string;
  state: string;
  revision: number;
  proposedBy: string;
  createdAt: string;
  participants: {
    name: string;
    trustDomain: string;
    rootSha256: string;
    hasVerifiedApproval: boolean;
  }[];
  verifiedApprovals: number;
  invalidApprovals: { participant: string; reason: string }[];
  isTrustEstablished: boolean;
  revocation: { revokedBy: string; revokedAt: string; reason: string } | null;
}

/** Builds the view of a contract (verifying its approvals). */
export function contractView(contract: TrustContract): ContractView {
  const report = approvalReport(contract);
  const approved = new Set(report.approved);
  return {
    id: contract.id,
    state: contract.state,
    revision: contract.revision,
    proposedBy: contract.proposedBy,
    createdAt: contract.createdAt.toISOString(),
    participants: contract.participants.map((participant) => ({
      name: participant.name,
      trustDomain: participant.trustDomain,
      rootSha256: participant.rootSha256,
      hasVerifiedApproval: approved.has(participant.name),
    })),
    verifiedApprovals: report.approved.length,
    invalidApprovals: report.invalid.map((invalid) => ({ ...invalid })),
    isTrustEstablished:
      contract.state !== 'revoked' && contract.revocation === undefined && report.missing.length === 0,
    revocation:
      contract.revocation === undefined
        ? null
        : {
            revokedBy: contract.revocation.revokedBy,
            revokedAt: contract.revocation.revokedAt.toISOString(),
            reason: contract.revocation.reason,
          },
  };
}

/** The columns of `contracts list` (and of `contracts watch`, after its EVENT column). */
export const contractListHeaders = ['id', 'state', 'approved', 'participants', 'revision'] as const;

/** One contract as a `contracts list` row: approvals counted as verified here. */
export function contractListRow(view: ContractView): string[] {
  return [
    view.id,
    view.state,
    `${view.verifiedApprovals}/${view.participants.length}`,
    view.participants.map((participant) => participant.name).join(','),
    String(view.revision),
  ];
}

/** `contracts list` as a table: one line per contract. */
export function formatContractList(views: readonly ContractView[]): string {
  return formatTable(contractListHeaders, views.map(contractListRow));
}

/** `contracts show` for people: the contract's fields, then its participants with root fingerprints. */
export function formatContractDetails(view: ContractView): string {
  const fields = [
    ['Id:', view.id],
    ['State:', view.state],
    ['Trust established:', view.isTrustEstablished ? 'yes (every approval verified locally)' : 'no'],
    ['Revision:', String(view.revision)],
    ['Proposed by:', view.proposedBy],
    ['Created at:', view.createdAt],
  ];
  if (view.revocation !== null) {
    fields.push(
      ['Revoked by:', view.revocation.revokedBy],
      ['Revoked at:', view.revocation.revokedAt],
      ['Reason:', view.revocation.reason],
    );
  }
  const width = Math.max(...fields.map(([label]) => (label ?? '').length)) + 1;
  const header = fields.map(([label, value]) => `${(label ?? '').padEnd(width)}${value ?? ''}`).join('\n');
  const invalid = view.invalidApprovals.map(
    (approval) => `Invalid approval from ${approval.participant}: ${approval.reason}\n`,
  );
  return `${header}\n\n${formatParticipants(view)}${invalid.join('')}`;
}

/** The participants with their root fingerprints: what an approval signs, shown with its result. */
export function formatParticipants(view: ContractView): string {
  return formatTable(
    ['name', 'trust domain', 'approved', 'root sha-256'],
    view.participants.map((participant) => [
      participant.name,
      participant.trustDomain,
      participant.hasVerifiedApproval ? 'yes' : 'no',
      participant.rootSha256,
    ]),
  );
}

/**
 * Where a contract stands, in one phrase for a result line: revoked (by whom, why), active with
 * every approval verified, or how many approvals it has and whose it still waits for.
 */
export function contractStatus(view: ContractView): string {
  if (view.revocation !== null) return `revoked by ${view.revocation.revokedBy}: ${view.revocation.reason}`;
  if (view.state === 'active' && view.isTrustEstablished)
    return `active: all ${view.participants.length} approvals verified`;
  const missing = view.participants.filter((participant) => !participant.hasVerifiedApproval);
  const waiting = missing.length === 0 ? '' : `, waiting for ${missing.map((p) => p.name).join(', ')}`;
  return `${view.state}: ${view.verifiedApprovals} of ${view.participants.length} approvals${waiting}`;
}

/** A command's result line (`contract ab approved as zone-a (…)`), the contract's status, and its participants. */
export function formatContractResult(headline: string, view: ContractView): string {
  return `${headline}; ${contractStatus(view)}\n\n${formatParticipants(view)}`;
}

/**
 * Whether a contract waits for the approval of the zone `trustDomain`: proposed, that zone a
 * participant, and no approval of it that verifies here (`contracts list --pending`).
 */
export function isAwaitingApprovalOf(view: ContractView, trustDomain: string): boolean {
  return (
    view.state === 'proposed' &&
    view.participants.some(
      (participant) => participant.trustDomain === trustDomain && !participant.hasVerifiedApproval,
    )
  );
}
