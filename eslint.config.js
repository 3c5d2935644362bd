// Lint rules: typescript-eslint's recommended set over the sources, tests and bench.
import javascript from '@eslint/js';
import typescript from 'typescript-eslint';

export default typescript.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'bench/peers/', 'bench/.out/', 'test/artifacts/'] },
  javascript.configs.recommended,
  ...typescript.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read arbitrary JSON from servers and fixtures.
    files: ['**/*.test.ts', '**/test-support/**', 'test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
