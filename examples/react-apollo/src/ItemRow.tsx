import { useState } from 'react';
import { useMutation } from '@apollo/client/react';
import { graphql } from './gql';
import type { StoreItemsQuery } from './gql/graphql';

const SetItemTags = graphql(`
  mutation SetItemTags($itemId: ID!, $tagIds: [ID!]!) {
    setItemTags(itemId: $itemId, tagIds: $tagIds) {
      message
      item {
        id
        tagCount
        tags(orderBy: NAME) { id name }
      }
    }
  }
`);

type Item = StoreItemsQuery['items']['nodes'][number];
type Tag = Item['tags'][number];

export function ItemRow({ item, storeTags, canEdit }: { item: Item; storeTags: Tag[]; canEdit: boolean }) {
  const [picking, setPicking] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);
  // The item's tags change in the cache at once (the optimistic response); the list's
  // counts and facets follow when the refetch answers.
  const [setItemTags, { error }] = useMutation(SetItemTags, { refetchQueries: ['StoreItems'] });

  const save = () => {
    const tags = storeTags.filter((t) => chosen.includes(t.id));
    setPicking(false);
    setItemTags({
      variables: { itemId: item.id, tagIds: tags.map((t) => t.id) },
      optimisticResponse: {
        __typename: 'Mutation',
        setItemTags: {
          __typename: 'SetItemTagsPayload',
          message: 'Saving…',
          item: { __typename: 'Item', id: item.id, tagCount: tags.length, tags },
        },
      },
    }).catch(() => {}); // shown through error
  };

  return (
    <li aria-label={item.name}>
      <span className="name">{item.name}</span> <span className="price">{item.price.toFixed(2)}</span>
      <span className="tags">
        {item.tags.map((t) => (
          <span key={t.id} className="tag">
            {t.name}
          </span>
        ))}
      </span>
      {canEdit && !picking && (
        <button
          onClick={() => {
            setChosen(item.tags.map((t) => t.id));
            setPicking(true);
          }}
        >
          Edit tags
        </button>
      )}
      {picking && (
        <fieldset>
          <legend>Tags of {item.name}</legend>
          {storeTags.map((t) => (
            <label key={t.id}>
              <input
                type="checkbox"
                checked={chosen.includes(t.id)}
                onChange={(e) => setChosen((c) => (e.target.checked ? [...c, t.id] : c.filter((id) => id !== t.id)))}
              />
              {t.name}
            </label>
          ))}
          <button onClick={save}>Save</button>
          <button onClick={() => setPicking(false)}>Cancel</button>
        </fieldset>
      )}
      {error && <span role="alert">{error.message}</span>}
    </li>
  );
}
