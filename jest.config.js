/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/e2e'],
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/e2e/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^@restorelab/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@restorelab/([a-z-]+)/testing$': '<rootDir>/packages/$1/src/testing/index.ts',
  },
  setupFiles: ['<rootDir>/e2e/support/test-env.js'],
  globalSetup: '<rootDir>/e2e/support/hugetlb-pool-setup.js',
  globalTeardown: '<rootDir>/e2e/support/hugetlb-pool-teardown.js',
  testTimeout: 120000,
};
