import { approvedContract } from '../../test/support/test-contracts.js';
import { createTestZone, type TestZone } from '../../test/support/test-zone.js';
import { InvalidArgumentError, PermissionDeniedError } from '../errors/accord-error.js';
import { signRevocation, verifyRevocation } from './revocation-signature.js';
import type { TrustContract } from './trust-contract.js';

let a: TestZone;
let b: TestZone;
let contract: TrustContract;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestZone('zone-a'), createTestZone('zone-b')]);
  contract = await approvedContract('ab', [a, b]);
});

describe('signRevocation and verifyRevocation', () => {
  it("signs a designated approver's revocation that verifies with its reason, naming the signer", async () => {
    const signed = await signRevocation(contract, 'zone-a', 'zone-a leaves', a.operator.signer, new Date());
    expect(signed.participant).toBe('zone-a');
    expect(verifyRevocation(contract, { reason: 'zone-a leaves', signed }).spiffeId.uri).toBe(
      'spiffe://zone-a.example/accord/operator',
    );
  });

  it('refuses the signature under another reason than the one signed', async () => {
    const signed = await signRevocation(contract, 'zone-a', 'zone-a leaves', a.admin.signer, new Date());
    const check = () => verifyRevocation(contract, { reason: 'zone-b misbehaved', signed });
    expect(check).toThrow(PermissionDeniedError);
    expect(check).toThrow(/^revocation rejected: /);
  });

  it('refuses a revocation without a signature as invalid input', () => {
    const check = () => verifyRevocation(contract, { reason: 'zone-a leaves', signed: undefined });
    expect(check).toThrow(InvalidArgumentError);
    expect(check).toThrow(
      new InvalidArgumentError('revocation: unsigned; a participant signs its revocation'),
    );
  });

  it("does not hand out a revocation its signer could not make: a workload's, or the partner's admin's", async () => {
    const web = await a.issue('/ns/shop/sa/web');
    await expect(signRevocation(contract, 'zone-a', 'zone-a leaves', web.signer, new Date())).rejects.toThrow(
      PermissionDeniedError,
    );
    await expect(
      signRevocation(contract, 'zone-a', 'zone-a leaves', b.admin.signer, new Date()),
    ).rejects.toThrow(PermissionDeniedError);
  });
});
