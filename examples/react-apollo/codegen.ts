import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

// Typed documents for every graphql() call in src/, checked against the server's schema, and
// persisted-documents.json, the server's TRUSTED_DOCUMENTS: each document by its hash, with the
// __typename fields Apollo's cache adds, so that a document run by its hash answers what the
// cache needs.
const config: CodegenConfig = {
  schema: '../../schema.graphqls',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: true },
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: { useTypeImports: true, enumsAsTypes: true, nonOptionalTypename: true, skipTypeNameForRoot: true },
    },
  },
};

export default config;
