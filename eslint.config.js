import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Only the edges talk to the runner: the core stays pure and unit-testable.
    files: ['src/**/*.ts'],
    ignores: ['src/main.ts', 'src/publish.ts', 'src/runner-log.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@actions/core', message: 'Only src/main.ts, src/publish.ts and src/runner-log.ts import @actions/core.' }] }],
    },
  },
  {
    files: ['scripts/**/*.{js,mjs,ts}', 'test/**/*.{ts,mjs}'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['scripts/**/*.js', 'test/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setInterval: 'readonly', setTimeout: 'readonly' } },
  },
);
