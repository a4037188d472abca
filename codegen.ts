import type { CodegenConfig } from '@graphql-codegen/cli';

const shared = {
  scalars: { DateTime: 'string', LocalDate: 'string' },
  useTypeImports: true,
  enumsAsTypes: true,
  avoidOptionals: { field: true, inputValue: false },
};

/** Typed documents from the committed SDL (never from the TS sources), used by the tests and clients. */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  generates: {
    'test/generated/graphql.ts': {
      documents: ['test/documents/**/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: shared,
    },
    // The web console (console/): documents as strings, so the browser bundle carries no GraphQL parser.
    'console/src/generated/graphql.ts': {
      documents: ['console/documents/**/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: { ...shared, documentMode: 'string' },
    },
  },
  hooks: {},
};

export default config;
