import {
  contractToProto,
  deletedContractToProto,
  approvalFromProto,
  auditEntryToProto,
  proposalFromProto,
  revokeRequestFromProto,
  stateFromProto,
} from '../lib/contract/contract-codec.js';
import { isDnsLabel } from '../lib/contract/dns-label.js';
import {
  rootActivationFromProto,
  rootAnnouncementFromProto,
  rootRevocationFromProto,
  sha256Field,
} from '../lib/contract/root-rotation-codec.js';
import { isValidTrustDomain } from '../lib/spiffe/spiffe-id.js';
import { validateProposal } from '../lib/contract/validate-proposal.js';
import { InvalidArgumentError } from '../lib/errors/accord-error.js';
import { quoteUntrusted } from '../lib/errors/quote-untrusted.js';
import { registerService, type CallContext, type RegisteredService } from '../lib/grpc/grpc-server.js';
import {
  ContractService,
  ContractState as ProtoContractState,
  GetCertificatesResponseSchema,
} from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import { EncodedMessage } from '../lib/grpc/encoded-message.js';
import { callerOf, type Caller } from './contract-authorization.js';
import type { ContractRepository, TrustedPartner } from './contract-repository.js';

/**
 * The `accord.contracts.v1.ContractService` adapter: authenticates the caller from the verified
 * peer certificate (before reading the request), decodes with lib/contract's codec and validation,
 * calls the `ContractRepository` and encodes. Errors are domain errors mapped by lib/grpc.
 */
export function createContractService(repository: ContractRepository): RegisteredService {
  const callerFor = (context: CallContext): Caller => callerOf(context.peer, repository.admins);
  // The repository answers a zone with the same partners array until the next change; its
  // encoding is kept beside it and goes with it.
  const encodedCertificates = new WeakMap<
    readonly TrustedPartner[],
    EncodedMessage<typeof GetCertificatesResponseSchema>
  >();
  return registerService(ContractService, {
    list: (request, context) => {
      const caller = callerFor(context);
      const state =
        request.state === ProtoContractState.UNSPECIFIED ? undefined : stateFromProto(request.state);
      const page = repository.listPage(caller, state, request.pageSize, request.pageToken);
      return Promise.resolve({
        contracts: page.contracts.map(contractToProto),
        nextPageToken: page.nextPageToken,
      });
    },
    get: (request, context) => {
      const caller = callerFor(context);
      return Promise.resolve({ contract: contractToProto(repository.get(caller, requiredId(request.id))) });
    },
    create: async (request, context) => {
      const caller = callerFor(context);
      const proposal = validateProposal(proposalFromProto(request.contract));
      return { contract: contractToProto(await repository.propose(caller, proposal)) };
    },
    delete: async (request, context) => {
      const caller = callerFor(context);
      await repository.delete(caller, requiredId(request.id));
      return {};
    },
    getCertificates: (_request, context) => {
      const partners = repository.partners(callerFor(context));
      let encoded = encodedCertificates.get(partners);
      if (encoded === undefined) {
        encoded = EncodedMessage.encode(GetCertificatesResponseSchema, {
          certificates: [...new Set(partners.map((partner) => partner.rootPem))],
          partners: partners.map((partner) => ({
            name: partner.name,
            trustDomain: partner.trustDomain,
            certificate: partner.rootPem,
            hash: partner.rootSha256,
            contractIds: [...partner.contractIds],
          })),
        });
        encodedCertificates.set(partners, encoded);
      }
      return Promise.resolve(encoded);
    },
    approve: async (request, context) => {
      const caller = callerFor(context);
      const id = requiredId(request.id);
      const approval = approvalFromProto(request.approval);
      requireParticipantName(approval.participant, 'approval');
      return { contract: contractToProto(await repository.approve(caller, id, approval)) };
    },
    revoke: async (request, context) => {
      const caller = callerFor(context);
      const id = requiredId(request.id);
      const { reason, signed } = revokeRequestFromProto(request);
      requireParticipantName(signed.participant, 'revocation');
      return { contract: contractToProto(await repository.revoke(caller, id, reason, signed)) };
    },
    watch: async (request, context, send) => {
      const caller = callerFor(context);
      const events = repository.watch(caller, request.resumeToken, context.signal, request.snapshotInParts);
      for await (const event of events) {
        if (event.kind === 'snapshot') {
          await send({
            event: {
              case: 'snapshot',
              value: {
                contracts: event.contracts.map(contractToProto),
                hasMore: event.hasMore,
                isContinuation: event.isContinuation,
              },
            },
            resumeToken: event.resumeToken,
          });
        } else {
          const { contract, isDeleted } = event.change;
          await send({
            event: {
              case: 'change',
              value: {
                contract: isDeleted ? deletedContractToProto(contract) : contractToProto(contract),
                deleted: isDeleted,
              },
            },
            resumeToken: event.resumeToken,
          });
        }
      }
    },
    announceRoot: async (request, context) => {
      const caller = callerFor(context);
      const id = requiredId(request.id);
      const announcement = rootAnnouncementFromProto(request.announcement, id, 'announcement');
      return { contract: contractToProto(await repository.announceRoot(caller, id, announcement)) };
    },
    activateRoot: async (request, context) => {
      const caller = callerFor(context);
      const id = requiredId(request.id);
      const activation = rootActivationFromProto(request.activation, 'activation');
      return { contract: contractToProto(await repository.activateRoot(caller, id, activation)) };
    },
    acknowledgeRoot: async (request, context) => {
      const caller = callerFor(context);
      const id = requiredId(request.id);
      const rootSha256 = sha256Field(request.rootSha256, 'root_sha256');
      if (!isValidTrustDomain(request.trustDomain)) {
        throw new InvalidArgumentError(
          `trust_domain: ${quoteUntrusted(request.trustDomain)} is not a trust domain`,
        );
      }
      return {
        contract: contractToProto(
          await repository.acknowledgeRoot(caller, id, request.trustDomain, rootSha256),
        ),
      };
    },
    revokeRoot: async (request, context) => {
      const caller = callerFor(context);
      const id = requiredId(request.id);
      const revocation = rootRevocationFromProto(request.revocation, 'revocation');
      return { contract: contractToProto(await repository.revokeRoot(caller, id, revocation)) };
    },
    auditLog: async (request, context) => {
      const caller = callerFor(context);
      const page = await repository.auditLog(caller, Number(request.startSequence), request.pageSize);
      return {
        entries: page.entries.map(auditEntryToProto),
        headSequence: BigInt(page.head.sequence),
        headHash: page.head.hash,
      };
    },
  });
}

/** A participant name from a request is a DNS label; anything else is refused, quoted and cut. */
function requireParticipantName(name: string, field: string): void {
  if (!isDnsLabel(name))
    throw new InvalidArgumentError(`${field}.participant: ${quoteUntrusted(name)} is not a participant name`);
}

/**
 * A contract id from a request: every stored id is a DNS label (proposals are validated, generated
 * ids are UUIDs), so anything else is refused here, quoted and cut, before it reaches a lookup or
 * a message that would echo it.
 */
function requiredId(id: string): string {
  if (id === '') throw new InvalidArgumentError('id: required');
  if (!isDnsLabel(id)) throw new InvalidArgumentError(`id: ${quoteUntrusted(id)} is not a contract id`);
  return id;
}
