import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for every graphql() call in src/, checked against the server's schema.
const config: CodegenConfig = {
  schema: '../../schema.graphqls',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, nonOptionalTypename: true, skipTypeNameForRoot: true },
    },
  },
};

export default config;
