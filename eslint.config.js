// @ts-check
/**
 * Lint: ESLint's and typescript-eslint's recommended rules, type-checked, on every TypeScript file.
 * Tests and benchmarks drive real processes and fakes through loosely typed JSON (fake platform
 * payloads, `expect.any`): there the rules about `any` flowing around are off, the rest apply.
 * The direction of imports between layers is checked by dependency-cruiser (.dependency-cruiser.cjs).
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'scratch/', 'coverage/', '*.config.js', '*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A port's method is `async` because the port returns a promise, whether or not this
      // implementation waits on anything (an in-memory fake, a lock released synchronously).
      '@typescript-eslint/require-await': 'off',
      // `_name` marks what is there on purpose and unused (a destructured rest, a required parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['test/**/*.ts', 'testkit/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Fakes read platform payloads (unknown JSON) with String(…) on purpose.
      '@typescript-eslint/no-base-to-string': 'off',
      // `expect(fake.method)` and handlers passed by reference are the point of a test.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
