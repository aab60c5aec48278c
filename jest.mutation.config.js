// Jest for mutation runs (`npm run mutation`, stryker.config.js): the in-process unit tests of the
// security-critical modules only. Every mutant reruns the tests that cover it, so a test that starts
// a server, a child process or an Envoy would cost seconds per mutant; those stay in `npm test` only.
// docs/mutation-testing.md explains the choice.
import process from 'node:process';
import base from './jest.config.js';

/**
 * The unit tests that exercise each group of mutated modules (the keys of `mutatedModules` in
 * stryker.config.js); MUTATION_GROUPS selects groups there and here alike.
 */
export const mutationTests = {
  // Repository authorization: who may call, read, approve, revoke.
  repository: [
    'contract-repo/contract-authorization.test.ts',
    'contract-repo/contract-repository.test.ts',
    'contract-repo/enrolled-zones.test.ts',
  ],
  contract: ['lib/contract/*.test.ts'],
  spiffe: ['lib/spiffe/*.test.ts'],
  // The zone PKI's decisions: who gets which ID, what it signs.
  pki: [
    'pki/bootstrap-token-grants.test.ts',
    'pki/issue-wit.test.ts',
    'pki/kube-token-authenticator.test.ts',
    'pki/local-authenticator.test.ts',
    'pki/pki-authority.test.ts',
    'pki/svid-validity.test.ts',
  ],
  // The provider's own verification of what the repository serves.
  provider: ['contract-provider/desired-bundles.test.ts', 'contract-provider/contract-provider.test.ts'],
  // The translator's verification and its decision.
  translator: [
    'translator/check-handler.test.ts',
    'translator/content-digest.test.ts',
    'translator/http-signature-algorithm.test.ts',
    'translator/nonce-cache.test.ts',
    'translator/rfc9421-conformance.test.ts',
    'translator/service-binding.test.ts',
    'translator/signature-base.test.ts',
    'translator/verify-signed-request.test.ts',
    'translator/verify-wit.test.ts',
    'translator/wimse-profile.test.ts',
  ],
};

const groups = process.env.MUTATION_GROUPS?.split(',') ?? Object.keys(mutationTests);

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: groups.flatMap((group) => mutationTests[group] ?? []).map((pattern) => `<rootDir>/${pattern}`),
};
