import { useState } from 'react';
import { useQuery } from '@apollo/client/react';
import { graphql } from './gql';
import { SignIn } from './SignIn';
import { StorePage } from './StorePage';
import { token } from './apollo';

const Stores = graphql(`
  query Stores {
    stores(first: 20) {
      nodes { id name }
    }
  }
`);

export function App() {
  const [signedIn, setSignedIn] = useState(() => token.get() !== null);
  const { data, error } = useQuery(Stores);
  const [storeId, setStoreId] = useState<string>();
  const stores = data?.stores.nodes ?? [];
  const current = storeId ?? stores[0]?.id;

  return (
    <>
      <header>
        <h1>storegraph</h1>
        <label>
          Store{' '}
          <select value={current ?? ''} onChange={(e) => setStoreId(e.target.value)}>
            {stores.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <SignIn signedIn={signedIn} onSignIn={() => setSignedIn(true)} />
      </header>
      {error && <p role="alert">{error.message}</p>}
      {current && <StorePage storeId={current} canEdit={signedIn} />}
    </>
  );
}
