// Lint for the whole repository: `npm run lint` (eslint with zero warnings, then prettier --check).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/data/**', '**/coverage/**', 'apps/console/vite.config.ts.timestamp-*'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Nest's DI and TypeORM's entities need classes that are only decorated, and empty modules.
      '@typescript-eslint/no-extraneous-class': 'off',
      // Hydrating raw SQL rows and test doubles: the type is asserted where the shape is known.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    // Specs and benchmarks read response bodies and raw rows loosely, as the API's clients would.
    files: ['apps/api/test/**/*.ts', 'apps/api/bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Migrations are frozen once released: lint does not reopen them.
    files: ['apps/api/src/database/migrations/**/*.ts'],
    rules: { 'preserve-caught-error': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['apps/console/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
