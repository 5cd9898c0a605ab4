import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './page.css';

// Monaco's workers are bundled next to this file, so they load from the page's own origin.
globalThis.MonacoEnvironment = {
  getWorker(_id, label) {
    const name = label === 'json' || label === 'graphql' ? label : 'editor';
    return new Worker(new URL(`./${name}.worker.js`, import.meta.url));
  },
};

const endpoint = new URL('/graphql', location.href);
const socket = new URL(endpoint);
socket.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

// Subscriptions go over graphql-ws on the same path, the headers pane's contents riding in
// connection_init.
const fetcher = createGraphiQLFetcher({
  url: endpoint.href,
  subscriptionUrl: socket.href,
  enableIncrementalDelivery: false,
});

const headers = `{
  // Reading is public. To change data, sign in (the "Sign in" tab) and
  // put its accessToken here:
  // "Authorization": "Bearer <accessToken>"
}
`;

const signIn = `# Sign in as the demo account, which owns the demo stores; put the
# accessToken in the Headers pane below as "Authorization": "Bearer <accessToken>".
mutation SignIn {
  login(input: { email: "demo@example.com", password: "storegraph-demo" }) {
    accessToken
    refreshToken
    user { id email }
  }
}
`;

const live = `# Every change to the first demo store, as it commits: run it, then change
# something in another tab (setItemTags, for one).
subscription StoreChanges {
  storeChanged(storeId: "1") {
    kind
    itemId
    tagId
    item { name tags(orderBy: NAME) { name } }
    tag { name itemCount }
  }
}
`;

// STOREGRAPH_EXAMPLES is the README's example queries, put in by build.mjs.
const tabs = [...STOREGRAPH_EXAMPLES, signIn, live].map((query) => ({ query, headers }));

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    plugins={[explorerPlugin()]}
    defaultTabs={tabs}
    defaultHeaders={headers}
    defaultEditorToolsVisibility="headers"
  />,
);
