// npm run lint: typescript-eslint's recommended rules, no import cycles, and the folders' doors (DESIGN.md:
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
  // Every folder of src/ is entered by its door, index.ts: no module outside a folder imports its internals
  // (issue 18). An import that leaves its own folder may name another folder's index.js, nothing deeper; netlink
  // has a second door, host.ts (the addon's flock and syslog), kept out of the public `netlink` namespace.
  ...[
    { files: ['src/*/**/*.ts'], leaving: '(\\.\\./)+' },
    { files: ['src/*.ts'], leaving: '\\./' },
  ].map(({ files, leaving }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${leaving}(?!netlink/host\\.js$)[^./][^/]*/(?!index\\.js$)`,
              message: 'another folder of src/ is entered through its index.js, not its internals',
            },
          ],
        },
      ],
    },
  })),
);
