// npm run lint: typescript-eslint's recommended rules, no import cycles, and the layers' doors (DESIGN.md:
// data flows one way, CLI/hook -> redirect -> netlink -> addon). Formatting is prettier's (.prettierrc.json).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'fuzz/corpus/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  importX.flatConfigs.typescript,
  {
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    languageOptions: { globals: globals.node },
    rules: {
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Outside src/netlink, the netlink layer is entered by its door (index.ts) or, for the lock and syslog
    // calls, host.ts; nothing else loads the addon.
    files: ['src/**/*.ts'],
    ignores: ['src/netlink/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: 'netlink/(?!(index|host)\\.js$)',
              message: 'use src/netlink through netlink/index.js (or netlink/host.js for the lock and syslog)',
            },
          ],
        },
      ],
    },
  },
);
