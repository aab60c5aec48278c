// Jest runs the TypeScript sources directly: @swc/jest strips types (tsc --noEmit checks them)
// and turns ES modules into CommonJS, including the ESM-only dependencies listed below
// (@kubernetes/client-node 1.x and the OIDC libraries it imports are ESM-only).
const esmOnlyDependencies = ['jose', '@kubernetes/client-node', 'openid-client', 'oauth4webapi'];

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/dist-bench/', '/.cache/'],
  modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/dist/', '<rootDir>/dist-bench/'],
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyDependencies.join('|')})/)`],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
};
