import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';

// The access token of the signed-in user, kept for this browser tab.
const tokenKey = 'storegraph.accessToken';
export const token = {
  get: () => sessionStorage.getItem(tokenKey),
  set: (value: string) => sessionStorage.setItem(tokenKey, value),
};

// Reading is public; changes carry the token as `Authorization: Bearer <token>`.
const auth = new SetContextLink(({ headers }) => {
  const t = token.get();
  return { headers: t ? { ...headers, authorization: `Bearer ${t}` } : headers };
});
const http = auth.concat(new HttpLink({ uri: '/graphql' }));

// Subscriptions go over graphql-ws on the same path, the token in connection_init.
const endpoint = new URL('/graphql', location.href);
endpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
const ws = new GraphQLWsLink(
  createClient({
    url: endpoint.href,
    connectionParams: () => {
      const t = token.get();
      return t ? { Authorization: `Bearer ${t}` } : {};
    },
  }),
);

export const client = new ApolloClient({
  link: ApolloLink.split(({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION, ws, http),
  cache: new InMemoryCache(),
});
