// ESLint 9 flat config for the cinderflow monorepo.
//
// - TypeScript (`**/*.ts`): typescript-eslint `recommended` (syntax-only, no type information, so
//   `eslint .` stays fast) plus Nx module boundaries by project tag.
// - Node scripts (`scripts/**/*.mjs`): @eslint/js `recommended` with Node globals declared by hand.
// - Everything else that is JavaScript (jest configs, build output) is ignored.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// @nx/enforce-module-boundaries only *reads* Nx's cached project graph (.nx/workspace-data) and
// silently skips itself when there is none (a fresh clone, CI). Compute/refresh it here so the rule
// always runs. Without the daemon, so that linting never leaves a background process behind.
// A failure here must not stop the config from loading; the rule then prints its own warning.
try {
  process.env.NX_DAEMON ??= 'false';
  const { createProjectGraphAsync } = await import('@nx/devkit');
  await createProjectGraphAsync({ exitOnError: false });
} catch (err) {
  console.warn(`eslint.config.mjs: could not compute the Nx project graph: ${err?.message ?? err}`);
}

const nodeGlobals = {
  process: 'readonly',
  console: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  URL: 'readonly',
  fetch: 'readonly',
  Buffer: 'readonly',
};

// Libraries of any kind may never reach up into an application.
const libTags = ['type:util', 'type:data', 'type:contracts', 'type:domain'];

export default defineConfig([
  globalIgnores([
    '**/dist/**',
    '**/node_modules/**',
    '.nx/**',
    '**/coverage/**',
    '.image/**',
    // JavaScript config files (jest.config.js, jest.preset.js, ...). scripts/**/*.mjs is linted below.
    '**/*.js',
    '**/*.cjs',
  ]),

  {
    name: 'cinderflow/typescript',
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
        },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', notDependOnLibsWithTags: ['type:app'] },
            ...libTags.map((sourceTag) => ({ sourceTag, notDependOnLibsWithTags: ['type:app'] })),
          ],
        },
      ],
    },
  },

  {
    name: 'cinderflow/services-no-console',
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: {
      // Services log through @cinderflow/logging (pino); scripts/ may use console.
      'no-console': 'error',
    },
  },

  {
    name: 'cinderflow/node-scripts',
    files: ['scripts/**/*.mjs', 'eslint.config.mjs'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: nodeGlobals,
    },
  },
]);
