import { useState } from 'react';
import { useQuery, useSubscription } from '@apollo/client/react';
import { graphql } from './gql';
import { ItemRow } from './ItemRow';

const StoreItems = graphql(`
  query StoreItems($storeId: ID!, $tags: [ID!]) {
    store(id: $storeId) {
      id
      name
      tags(orderBy: NAME) { id name }
    }
    items(first: 100, filter: { storeId: $storeId, tags: { all: $tags } }) {
      totalCount
      nodes {
        id
        name
        price
        tagCount
        tags(orderBy: NAME) { id name }
      }
      tagFacets(first: 20) {
        count
        tag { id name }
      }
    }
  }
`);

// Each change to the store, with the item as it is now: the cache updates the item where it
// is shown, and a refetch brings the list, its count and its facets up to date.
const StoreChanged = graphql(`
  subscription StoreChanged($storeId: ID!) {
    storeChanged(storeId: $storeId) {
      kind
      item {
        id
        name
        price
        tagCount
        tags(orderBy: NAME) { id name }
      }
    }
  }
`);

// A store's items, narrowed to those carrying every selected tag. Each chip is a tag the
// listed items carry, with how many of them carry it.
export function StorePage({ storeId, canEdit }: { storeId: string; canEdit: boolean }) {
  const [selected, setSelected] = useState<string[]>([]);
  const { data, previousData, error, refetch } = useQuery(StoreItems, { variables: { storeId, tags: selected } });
  const live = useSubscription(StoreChanged, { variables: { storeId }, onData: () => void refetch() });
  const shown = data ?? previousData;
  if (error) return <p role="alert">{error.message}</p>;
  if (!shown?.store) return <p>Loading…</p>;

  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((t) => t !== id) : [...s, id]));
  const counts = new Map(shown.items.tagFacets.map((f) => [f.tag.id, f.count]));
  const chips = shown.store.tags.filter((t) => counts.has(t.id) || selected.includes(t.id));

  return (
    <main>
      <nav aria-label="Filter by tags" className="chips">
        {chips.map((t) => (
          <button key={t.id} aria-pressed={selected.includes(t.id)} onClick={() => toggle(t.id)}>
            {t.name} <span className="count">{counts.get(t.id) ?? 0}</span>
          </button>
        ))}
      </nav>
      <p className="total">
        {shown.items.totalCount} {shown.items.totalCount === 1 ? 'item' : 'items'}
        {live.error && <span role="alert"> · live updates stopped: {live.error.message}</span>}
      </p>
      <ul className="items">
        {shown.items.nodes.map((item) => (
          <ItemRow key={item.id} item={item} storeTags={shown.store!.tags} canEdit={canEdit} />
        ))}
      </ul>
    </main>
  );
}
