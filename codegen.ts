import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents from the committed SDL (never from the TS sources), used by the tests and clients. */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/documents/**/*.graphql'],
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTime: 'string' },
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false },
      },
    },
  },
  hooks: {},
};

export default config;
