import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import type { ErrorLike } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import type { DocumentNode } from 'graphql';
import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';

// The access token of the signed-in user, kept for this browser tab.
const tokenKey = 'storegraph.accessToken';
export const token = {
  get: () => sessionStorage.getItem(tokenKey),
  set: (value: string) => sessionStorage.setItem(tokenKey, value),
};

// Every operation is sent by the hash codegen gave it in src/gql/persisted-documents.json,
// so a server that runs only those documents (TRUSTED_DOCUMENTS) runs the app. A server
// without the list answers the first hash with PERSISTED_QUERY_NOT_FOUND; from then on the
// app sends whole documents.
const hashOf = (doc: DocumentNode) => {
  const hash = (doc as { __meta__?: { hash?: string } }).__meta__?.hash;
  if (!hash) throw new Error('a document without its persisted hash: run npm run codegen');
  return hash.replace(/^sha256:/, '');
};
const hashUnknown = ({ error, meta }: { error: ErrorLike; meta: PersistedQueryLink.ErrorMeta }) =>
  meta.persistedQueryNotFound ||
  meta.persistedQueryNotSupported ||
  // Over the socket the answer comes as an error, which the link does not read itself.
  (CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND'));
const persisted = new PersistedQueryLink({ generateHash: hashOf, disable: hashUnknown, retry: hashUnknown });

// Reading is public; changes carry the token as `Authorization: Bearer <token>`.
const auth = new SetContextLink(({ headers }) => {
  const t = token.get();
  return { headers: t ? { ...headers, authorization: `Bearer ${t}` } : headers };
});
const http = auth.concat(new HttpLink({ uri: '/graphql' }));

// Subscriptions go over graphql-ws on the same path, the token in connection_init.
const endpoint = new URL('/graphql', location.href);
endpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
const socket = createClient({
  url: endpoint.href,
  connectionParams: () => {
    const t = token.get();
    return t ? { Authorization: `Bearer ${t}` } : {};
  },
});
// The same socket with the document's text left out, as HttpLink leaves it out of a
// request the persisted-query link sends by its hash alone.
const socketByHash: Client = { ...socket, subscribe: (payload, sink) => socket.subscribe({ ...payload, query: '' }, sink) };
const ws = ApolloLink.split(
  (operation) => operation.getContext().http?.includeQuery === false,
  new GraphQLWsLink(socketByHash),
  new GraphQLWsLink(socket),
);

export const client = new ApolloClient({
  link: persisted.split(({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION, ws, http),
  cache: new InMemoryCache(),
});
