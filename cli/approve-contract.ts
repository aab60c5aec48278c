import { X509Certificate } from 'node:crypto';
import { UsageError } from '../lib/cli/command-line.js';
import { signApproval } from '../lib/contract/approval-signature.js';
import { participantOfTrustDomain, type TrustContract } from '../lib/contract/trust-contract.js';
import { FailedPreconditionError, errorMessage } from '../lib/errors/accord-error.js';
import { spiffeIdOfCertificate } from '../lib/spiffe/x509-svid.js';
import { pemToDerList } from '../lib/x509/pem.js';
import { keyPairFromPrivateKeyPem } from '../lib/x509/private-key-pem.js';
import type { GlobalOptions } from './cli-command.js';
import type { CliEnvironment } from './cli-environment.js';
import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';
import { contractView, formatContractDetails } from './contract-view.js';
import { readInput } from './propose-contract.js';

/**
 * Approves `contract` as the zone of the caller's certificate: the participant is the one whose
 * trust domain the `--cert` SVID belongs to, and the approval is signed with `--key` over the
 * canonical bytes. What is being approved (participants and root fingerprints) is printed first,
 * and the signature is verified locally before it is sent.
 */
export async function approveContract(
  env: CliEnvironment,
  repository: ContractRepositoryClient,
  global: GlobalOptions,
  contract: TrustContract,
): Promise<TrustContract> {
  const certificatePem = await readInput(env, requiredPath(global.certPath, '--cert'));
  const keyPem = await readInput(env, requiredPath(global.keyPath, '--key'));
  let chain: Uint8Array[];
  let privateKey;
  let trustDomain: string;
  try {
    chain = pemToDerList(certificatePem);
    privateKey = (await keyPairFromPrivateKeyPem(keyPem)).privateKey;
    const [leaf] = chain;
    if (leaf === undefined) throw new UsageError('--cert holds no certificate');
    trustDomain = spiffeIdOfCertificate(new X509Certificate(leaf)).trustDomain;
  } catch (error) {
    throw new UsageError(`--cert/--key: ${errorMessage(error)}`);
  }
  const participant = participantOfTrustDomain(contract, trustDomain);
  if (participant === undefined) {
    throw new FailedPreconditionError(
      `your certificate belongs to ${trustDomain}, which is not a participant of contract ${contract.id}`,
    );
  }
  if (global.output === 'table') {
    env.stdout.write(`Approving contract ${contract.id} as ${participant.name} (${trustDomain}):\n\n`);
    env.stdout.write(formatContractDetails(contractView(contract)));
    env.stdout.write('\n');
  }
  const approval = await signApproval(
    contract,
    participant.name,
    { privateKey, certificateChainDer: chain },
    env.clock.now(),
  );
  return repository.approve(contract.id, approval);
}

function requiredPath(path: string | undefined, flag: string): string {
  if (path === undefined) throw new UsageError(`${flag} is required to approve`);
  return path;
}
