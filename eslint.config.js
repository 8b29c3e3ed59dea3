import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.ridehail/', 'test-output/', 'src/contract/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly',
        AbortController: 'readonly', fetch: 'readonly', performance: 'readonly', setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // kafkajs' own read_committed filter leaks aborted records; src/kafka/kafkajs.ts installs a
      // fixed one before kafkajs loads, so values come from there (types are erased, so free).
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'kafkajs', message: "import it from src/kafka/kafkajs.ts, which fixes its read_committed filter first", allowTypeImports: true }],
      }],
    },
  },
  {
    files: ['src/kafka/kafkajs.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    // The dashboard page runs in the browser, not in Node.
    files: ['src/dashboard/public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly', document: 'readonly', EventSource: 'readonly', fetch: 'readonly', console: 'readonly',
        setTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', clearTimeout: 'readonly',
        Intl: 'readonly', uPlot: 'readonly', Chart: 'readonly', requestAnimationFrame: 'readonly', location: 'readonly',
        URLSearchParams: 'readonly', localStorage: 'readonly', navigator: 'readonly',
      },
    },
  },
);
