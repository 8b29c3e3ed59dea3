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
    },
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
