import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';

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

export const client = new ApolloClient({
  link: auth.concat(new HttpLink({ uri: '/graphql' })),
  cache: new InMemoryCache(),
});
