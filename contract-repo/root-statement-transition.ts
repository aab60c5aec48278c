import { rootRotationLimits } from '../lib/contract/root-rotation-codec.js';
import type { ContractRootRotation } from '../lib/contract/root-rotation.js';
import type { TrustContract } from '../lib/contract/trust-contract.js';
import { AlreadyExistsError, FailedPreconditionError } from '../lib/errors/accord-error.js';
import type { RootStatementEvent } from './root-statement-event.js';

/**
 * Places a root statement in `contract` (the pure transition the repository runs before appending
 * and again when folding the log): it throws the domain error a caller should see when the change
 * is not allowed. Signatures and chains were verified before the event existed
 * (`ContractRepository`); this function enforces the shape: nothing on a revoked contract, one
 * record per announced root, one activation each, one acknowledgement per zone, one revocation
 * per root, and the bounds of `rootRotationLimits`.
 */
export function applyRootStatement(
  contract: TrustContract,
  event: RootStatementEvent,
  meta: { readonly sequence: number; readonly time: Date; readonly actor: string },
): TrustContract {
  if (contract.state === 'revoked') {
    throw new FailedPreconditionError(
      `contract ${contract.id} is revoked; root statements no longer apply to it`,
    );
  }
  const revision = meta.sequence;
  switch (event.action) {
    case 'announce-root': {
      const { announcement } = event;
      if (findRotation(contract, announcement.trustDomain, announcement.rootSha256) !== undefined) {
        throw new AlreadyExistsError(
          `contract ${contract.id} already carries the announcement of root ${announcement.rootSha256}`,
        );
      }
      if (contract.rootRotations.length >= rootRotationLimits.maxRotationsPerContract) {
        throw new FailedPreconditionError(
          `contract ${contract.id} carries its maximum of ${rootRotationLimits.maxRotationsPerContract} announced roots; propose a new contract`,
        );
      }
      const rotation: ContractRootRotation = { announcement, activation: undefined, acknowledgements: [] };
      return { ...contract, rootRotations: [...contract.rootRotations, rotation], revision };
    }
    case 'activate-root': {
      const { activation } = event;
      const rotation = requireRotation(contract, activation.trustDomain, activation.rootSha256);
      if (rotation.activation !== undefined) {
        throw new AlreadyExistsError(
          `root ${activation.rootSha256} is already activated in contract ${contract.id}`,
        );
      }
      return withRotation(contract, rotation, { ...rotation, activation }, revision);
    }
    case 'acknowledge-root': {
      const rotation = requireRotation(contract, event.trustDomain, event.rootSha256);
      if (rotation.acknowledgements.some((each) => each.trustDomain === event.acknowledgingTrustDomain)) {
        throw new AlreadyExistsError(
          `${event.acknowledgingTrustDomain} already acknowledged root ${event.rootSha256} in contract ${contract.id}`,
        );
      }
      const acknowledgement = {
        trustDomain: event.acknowledgingTrustDomain,
        acknowledgedBy: meta.actor,
        acknowledgedAt: meta.time,
      };
      return withRotation(
        contract,
        rotation,
        { ...rotation, acknowledgements: [...rotation.acknowledgements, acknowledgement] },
        revision,
      );
    }
    case 'revoke-root': {
      const { revocation } = event;
      if (
        contract.rootRevocations.some(
          (each) => each.trustDomain === revocation.trustDomain && each.rootSha256 === revocation.rootSha256,
        )
      ) {
        throw new AlreadyExistsError(
          `root ${revocation.rootSha256} is already revoked in contract ${contract.id}`,
        );
      }
      if (contract.rootRevocations.length >= rootRotationLimits.maxRevocationsPerContract) {
        throw new FailedPreconditionError(
          `contract ${contract.id} carries its maximum of ${rootRotationLimits.maxRevocationsPerContract} root revocations`,
        );
      }
      return { ...contract, rootRevocations: [...contract.rootRevocations, revocation], revision };
    }
  }
}

/** The record of `trustDomain`'s announced root `rootSha256` in `contract`, if any. */
export function findRotation(
  contract: Pick<TrustContract, 'rootRotations'>,
  trustDomain: string,
  rootSha256: string,
): ContractRootRotation | undefined {
  return contract.rootRotations.find(
    (rotation) =>
      rotation.announcement.trustDomain === trustDomain && rotation.announcement.rootSha256 === rootSha256,
  );
}

function requireRotation(
  contract: TrustContract,
  trustDomain: string,
  rootSha256: string,
): ContractRootRotation {
  const rotation = findRotation(contract, trustDomain, rootSha256);
  if (rotation === undefined) {
    throw new FailedPreconditionError(
      `contract ${contract.id} carries no announcement of root ${rootSha256} of ${trustDomain}`,
    );
  }
  return rotation;
}

function withRotation(
  contract: TrustContract,
  before: ContractRootRotation,
  after: ContractRootRotation,
  revision: number,
): TrustContract {
  return {
    ...contract,
    rootRotations: contract.rootRotations.map((rotation) => (rotation === before ? after : rotation)),
    revision,
  };
}
