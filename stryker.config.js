// Mutation testing of the security-critical modules (`npm run mutation`; docs/mutation-testing.md).
// Stryker changes one operator, condition or statement of these files at a time and reruns the
// unit tests that cover the change; a mutant that no test notices is a check nothing guards.
import process from 'node:process';

/** The modules whose every decision a test must guard, grouped as docs/mutation-testing.md reports them. */
export const mutatedModules = {
  repository: ['contract-repo/contract-authorization.ts', 'contract-repo/enrolled-zones.ts'],
  contract: ['lib/contract/*.ts'],
  spiffe: ['lib/spiffe/*.ts'],
  pki: [
    'pki/pki-authority.ts',
    'pki/local-authenticator.ts',
    'pki/kube-token-authenticator.ts',
    'pki/bootstrap-token-grants.ts',
    'pki/issue-wit.ts',
    'pki/svid-validity.ts',
  ],
  provider: ['contract-provider/desired-bundles.ts'],
  translator: [
    'translator/verify-signed-request.ts',
    'translator/verify-wit.ts',
    'translator/check-handler.ts',
    'translator/signature-base.ts',
    'translator/wimse-profile.ts',
    'translator/nonce-cache.ts',
    'translator/content-digest.ts',
    'translator/http-signature-algorithm.ts',
  ],
};

/**
 * The groups this run mutates: all of them, or those named (comma-separated keys of
 * `mutatedModules`) in MUTATION_GROUPS, so that a group can be reworked and rescored on its own.
 */
const groups = process.env.MUTATION_GROUPS?.split(',') ?? Object.keys(mutatedModules);
const unknownGroups = groups.filter((group) => !(group in mutatedModules));
if (unknownGroups.length > 0) {
  throw new Error(
    `MUTATION_GROUPS names unknown groups ${unknownGroups.join(', ')}; known: ${Object.keys(mutatedModules).join(', ')}`,
  );
}
const runName =
  process.env.MUTATION_GROUPS === undefined ? 'all' : groups.join('+').replaceAll(/[^a-z0-9+]+/g, '-');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  // Per test: each mutant reruns only the tests that executed it.
  coverageAnalysis: 'perTest',
  mutate: [...groups.flatMap((group) => mutatedModules[group]), '!**/*.test.ts'],
  // Two cores shared by several sessions: one or two test processes, and timeouts that a loaded
  // machine does not hit (a timeout counts as detected, so generous bounds only cost time when a
  // mutant loops).
  concurrency: 2,
  timeoutFactor: 4,
  timeoutMS: 20000,
  dryRunTimeoutMinutes: 20,
  // `npm run mutation` passes --incremental: the results of the previous run of the same groups
  // are reused for the mutants and tests that did not change; `-- --force` reruns everything.
  incrementalFile: `reports/mutation/${runName}.incremental.json`,
  ignorePatterns: [
    '/reports',
    '/dist',
    '/dist-bench',
    '/.cache',
    '/coverage',
    '/charts',
    '/crds',
    '/docs',
    '/bench',
  ],
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${runName}.json` },
  htmlReporter: { fileName: `reports/mutation/${runName}.html` },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
