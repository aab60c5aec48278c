import { create } from '@bufbuild/protobuf';
import {
  approvalToProto,
  auditEntryFromProto,
  contractFromProto,
  revokeRequestToProto,
  stateToProto,
} from './contract-codec.js';
import type { AuditEntry } from './audit-chain.js';
import { decodeContractStream, type ContractStreamItem } from './contract-stream.js';
import type {
  ContractApproval,
  ContractState,
  ParticipantSignature,
  TrustContract,
} from './trust-contract.js';
import { ParticipantCache, type ParticipantProposal } from './validate-proposal.js';
import type { RootActivation, RootAnnouncement, RootRevocation } from './root-rotation.js';
import {
  rootActivationToProto,
  rootAnnouncementToProto,
  rootRevocationToProto,
} from './root-rotation-codec.js';
import { InvalidArgumentError } from '../errors/accord-error.js';
import type { GrpcClient } from '../grpc/grpc-client.js';
import {
  ContractSchema,
  ContractState as ProtoContractState,
  type Contract,
  type ContractService,
} from '../../proto/gen/accord/contracts/v1/contracts_pb.js';

/** One page of the audit log and the head the server reported with it. */
export interface AuditLogPage {
  entries: AuditEntry[];
  headSequence: number;
  headHash: Uint8Array;
}

/**
 * What clients (accordctl, the operator) ask of the contract repository, in domain types. They
 * depend on this, not on gRPC, so they are tested with an in-memory double and the adapter below
 * is the only protobuf code.
 */
export interface ContractRepositoryClient {
  list(state: ContractState | undefined): Promise<TrustContract[]>;
  get(id: string): Promise<TrustContract>;
  create(proposal: { id: string; participants: readonly ParticipantProposal[] }): Promise<TrustContract>;
  delete(id: string): Promise<void>;
  approve(id: string, approval: ContractApproval): Promise<TrustContract>;
  /** Revokes with the caller zone's signed revocation (`signRevocation` over the same reason). */
  revoke(id: string, reason: string, signed: ParticipantSignature): Promise<TrustContract>;
  auditLog(startSequence: number, pageSize: number): Promise<AuditLogPage>;
  /** Adds the caller zone's announcement of its next root to contract `id` (docs/root-rotation.md). */
  announceRoot(id: string, announcement: RootAnnouncement): Promise<TrustContract>;
  /** Adds the activation of an announced root to contract `id`. */
  activateRoot(id: string, activation: RootActivation): Promise<TrustContract>;
  /** Records that the caller zone's provider installed `trustDomain`'s announced root in contract `id`. */
  acknowledgeRoot(id: string, trustDomain: string, rootSha256: string): Promise<TrustContract>;
  /** Adds a root revocation (signed by the revoked root's key) to contract `id`. */
  revokeRoot(id: string, revocation: RootRevocation): Promise<TrustContract>;
  /**
   * Opens the Watch stream: a snapshot of the caller's contracts (unless `resumeToken` is
   * honoured), then every change, until `signal` aborts or the stream breaks (it then throws).
   */
  watch(resumeToken: string | undefined, signal: AbortSignal): AsyncIterable<ContractStreamItem>;
  close(): void;
}

/** Contracts per List call; the repository may send fewer, keeping each response near 1 MiB. */
const listPageSize = 500;

/**
 * The repository over its gRPC API. `list` reads every page; `watch` asks for the snapshot in
 * parts (so it fits the default 4 MiB message limit at any size) and hands it over whole.
 */
export function contractRepositoryOverGrpc(
  client: GrpcClient<typeof ContractService>,
): ContractRepositoryClient {
  return {
    list: async (state) => {
      const participants = new ParticipantCache();
      const contracts: TrustContract[] = [];
      let pageToken = '';
      do {
        const response = await client.list({
          state: state === undefined ? ProtoContractState.UNSPECIFIED : stateToProto(state),
          pageSize: listPageSize,
          pageToken,
        });
        for (const contract of response.contracts) contracts.push(contractFromProto(contract, participants));
        pageToken = response.nextPageToken;
      } while (pageToken !== '');
      return contracts;
    },
    get: async (id) => required((await client.get({ id })).contract),
    create: async ({ id, participants }) => {
      const contract = create(ContractSchema, {
        id,
        participants: participants.map((participant) => ({
          name: participant.name,
          trustDomain: participant.trustDomain,
          publicKey: participant.publicKey,
          hash: participant.hash,
        })),
      });
      return required((await client.create({ contract })).contract);
    },
    delete: async (id) => {
      await client.delete({ id });
    },
    approve: async (id, approval) =>
      required((await client.approve({ id, approval: approvalToProto(approval) })).contract),
    revoke: async (id, reason, signed) =>
      required((await client.revoke(revokeRequestToProto(id, reason, signed))).contract),
    auditLog: async (startSequence, pageSize) => {
      const response = await client.auditLog({ startSequence: BigInt(startSequence), pageSize });
      return {
        entries: response.entries.map(auditEntryFromProto),
        headSequence: Number(response.headSequence),
        headHash: response.headHash,
      };
    },
    announceRoot: async (id, announcement) =>
      required(
        (await client.announceRoot({ id, announcement: rootAnnouncementToProto(announcement) })).contract,
      ),
    activateRoot: async (id, activation) =>
      required((await client.activateRoot({ id, activation: rootActivationToProto(activation) })).contract),
    acknowledgeRoot: async (id, trustDomain, rootSha256) =>
      required((await client.acknowledgeRoot({ id, trustDomain, rootSha256 })).contract),
    revokeRoot: async (id, revocation) =>
      required((await client.revokeRoot({ id, revocation: rootRevocationToProto(revocation) })).contract),
    watch: (resumeToken, signal) =>
      decodeContractStream(
        client.watch({ resumeToken: resumeToken ?? '', snapshotInParts: true }, { signal }),
      ),
    close: () => {
      client.close();
    },
  };
}

function required(contract: Contract | undefined): TrustContract {
  if (contract === undefined) throw new InvalidArgumentError('the repository answered without a contract');
  return contractFromProto(contract);
}
