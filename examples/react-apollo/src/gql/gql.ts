/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Stores {\n    stores(first: 20) {\n      nodes { id name }\n    }\n  }\n": typeof types.StoresDocument,
    "\n  mutation SetItemTags($itemId: ID!, $tagIds: [ID!]!) {\n    setItemTags(itemId: $itemId, tagIds: $tagIds) {\n      message\n      item {\n        id\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n    }\n  }\n": typeof types.SetItemTagsDocument,
    "\n  mutation Login($input: CredentialsInput!) {\n    login(input: $input) {\n      accessToken\n      user { id email }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query StoreItems($storeId: ID!, $tags: [ID!]) {\n    store(id: $storeId) {\n      id\n      name\n      tags(orderBy: NAME) { id name }\n    }\n    items(first: 100, filter: { storeId: $storeId, tags: { all: $tags } }) {\n      totalCount\n      nodes {\n        id\n        name\n        price\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n      tagFacets(first: 20) {\n        count\n        tag { id name }\n      }\n    }\n  }\n": typeof types.StoreItemsDocument,
    "\n  subscription StoreChanged($storeId: ID!) {\n    storeChanged(storeId: $storeId) {\n      kind\n      item {\n        id\n        name\n        price\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n    }\n  }\n": typeof types.StoreChangedDocument,
};
const documents: Documents = {
    "\n  query Stores {\n    stores(first: 20) {\n      nodes { id name }\n    }\n  }\n": types.StoresDocument,
    "\n  mutation SetItemTags($itemId: ID!, $tagIds: [ID!]!) {\n    setItemTags(itemId: $itemId, tagIds: $tagIds) {\n      message\n      item {\n        id\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n    }\n  }\n": types.SetItemTagsDocument,
    "\n  mutation Login($input: CredentialsInput!) {\n    login(input: $input) {\n      accessToken\n      user { id email }\n    }\n  }\n": types.LoginDocument,
    "\n  query StoreItems($storeId: ID!, $tags: [ID!]) {\n    store(id: $storeId) {\n      id\n      name\n      tags(orderBy: NAME) { id name }\n    }\n    items(first: 100, filter: { storeId: $storeId, tags: { all: $tags } }) {\n      totalCount\n      nodes {\n        id\n        name\n        price\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n      tagFacets(first: 20) {\n        count\n        tag { id name }\n      }\n    }\n  }\n": types.StoreItemsDocument,
    "\n  subscription StoreChanged($storeId: ID!) {\n    storeChanged(storeId: $storeId) {\n      kind\n      item {\n        id\n        name\n        price\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n    }\n  }\n": types.StoreChangedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Stores {\n    stores(first: 20) {\n      nodes { id name }\n    }\n  }\n"): (typeof documents)["\n  query Stores {\n    stores(first: 20) {\n      nodes { id name }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetItemTags($itemId: ID!, $tagIds: [ID!]!) {\n    setItemTags(itemId: $itemId, tagIds: $tagIds) {\n      message\n      item {\n        id\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SetItemTags($itemId: ID!, $tagIds: [ID!]!) {\n    setItemTags(itemId: $itemId, tagIds: $tagIds) {\n      message\n      item {\n        id\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: CredentialsInput!) {\n    login(input: $input) {\n      accessToken\n      user { id email }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($input: CredentialsInput!) {\n    login(input: $input) {\n      accessToken\n      user { id email }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query StoreItems($storeId: ID!, $tags: [ID!]) {\n    store(id: $storeId) {\n      id\n      name\n      tags(orderBy: NAME) { id name }\n    }\n    items(first: 100, filter: { storeId: $storeId, tags: { all: $tags } }) {\n      totalCount\n      nodes {\n        id\n        name\n        price\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n      tagFacets(first: 20) {\n        count\n        tag { id name }\n      }\n    }\n  }\n"): (typeof documents)["\n  query StoreItems($storeId: ID!, $tags: [ID!]) {\n    store(id: $storeId) {\n      id\n      name\n      tags(orderBy: NAME) { id name }\n    }\n    items(first: 100, filter: { storeId: $storeId, tags: { all: $tags } }) {\n      totalCount\n      nodes {\n        id\n        name\n        price\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n      tagFacets(first: 20) {\n        count\n        tag { id name }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription StoreChanged($storeId: ID!) {\n    storeChanged(storeId: $storeId) {\n      kind\n      item {\n        id\n        name\n        price\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription StoreChanged($storeId: ID!) {\n    storeChanged(storeId: $storeId) {\n      kind\n      item {\n        id\n        name\n        price\n        tagCount\n        tags(orderBy: NAME) { id name }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;