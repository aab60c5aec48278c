import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { componentBoundaries } from './eslint-component-boundaries.js';

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'node_modules/', 'proto/gen/', 'coverage/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // @kubernetes/client-node's generated models (V1Secret, …) are data-only classes that its
      // documentation fills with object literals; this rule would forbid exactly that.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  ...componentBoundaries,
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
