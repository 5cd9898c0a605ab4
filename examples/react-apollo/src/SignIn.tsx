import { useState, type FormEvent } from 'react';
import { useMutation } from '@apollo/client/react';
import { graphql } from './gql';
import { token } from './apollo';

const Login = graphql(`
  mutation Login($input: CredentialsInput!) {
    login(input: $input) {
      accessToken
      user { id email }
    }
  }
`);

// The demo account owns the demo stores (`storegraph seed` creates it).
export function SignIn({ signedIn, onSignIn }: { signedIn: boolean; onSignIn: () => void }) {
  const [email, setEmail] = useState('demo@example.com');
  const [password, setPassword] = useState('storegraph-demo');
  const [login, { data, loading, error }] = useMutation(Login);

  if (signedIn) {
    return <p className="user">Signed in{data ? ` as ${data.login.user.email}` : ''}</p>;
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const { data } = await login({ variables: { input: { email, password } } });
      if (data) {
        token.set(data.login.accessToken);
        onSignIn();
      }
    } catch {
      // shown through error
    }
  };
  return (
    <form className="user" onSubmit={submit}>
      <input aria-label="Email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      <input aria-label="Password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <button type="submit" disabled={loading}>
        Sign in
      </button>
      {error && <span role="alert">{error.message}</span>}
    </form>
  );
}
