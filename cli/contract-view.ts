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

/** `contracts list` as a table: one line per contract. */
export function formatContractList(views: readonly ContractView[]): string {
  return formatTable(
    ['id', 'state', 'approved', 'participants', 'revision'],
    views.map((view) => [
      view.id,
      view.state,
      `${view.verifiedApprovals}/${view.participants.length}`,
      view.participants.map((participant) => participant.name).join(','),
      String(view.revision),
    ]),
  );
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
  const participants = formatTable(
    ['name', 'trust domain', 'approved', 'root sha-256'],
    view.participants.map((participant) => [
      participant.name,
      participant.trustDomain,
      participant.hasVerifiedApproval ? 'yes' : 'no',
      participant.rootSha256,
    ]),
  );
  const invalid = view.invalidApprovals.map(
    (approval) => `Invalid approval from ${approval.participant}: ${approval.reason}\n`,
  );
  return `${header}\n\n${participants}${invalid.join('')}`;
}
