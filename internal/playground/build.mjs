// Builds the playground into dist/: GraphiQL with the Explorer plugin, Monaco's workers, and an
// index.html that loads them from the server's own origin. The output depends only on the
// locked packages, web/ and the README's examples, so a rebuild of committed sources gives
// the same bytes.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';
import { parse, print } from 'graphql';

const dist = new URL('./dist/', import.meta.url);
const readme = new URL('../../README.md', import.meta.url);

// The README's block after "Paste these into the playground" holds the examples, each
// under a "# title" comment line; each becomes a tab.
function readmeExamples(text) {
  const block = text.match(/Paste these into the playground:\s*```graphql\n([\s\S]*?)```/);
  if (!block) throw new Error('README.md: no graphql block after "Paste these into the playground:"');
  const tabs = [];
  for (const line of block[1].split('\n')) {
    if (line.startsWith('# ')) tabs.push([line]);
    else if (tabs.length > 0) tabs.at(-1).push(line);
  }
  if (tabs.length === 0) throw new Error('README.md: the playground block has no "# title" lines');
  return tabs.map(([title, ...body]) => `${title}\n${named(title, body.join('\n').trim())}\n`);
}

// named gives an anonymous operation a name made of its title's first clause, which GraphiQL
// shows on its tab ("# A tag with its items, and ..." names it ATagWithItsItems), and lays
// it out over several lines.
function named(title, doc) {
  const words = title.slice(2).split(/[,(]/)[0].replace(/'/g, '').match(/[A-Za-z0-9]+/g) ?? [];
  const name = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  const ast = parse(doc);
  const definitions = ast.definitions.map((d) =>
    d.kind === 'OperationDefinition' && !d.name ? { ...d, name: { kind: 'Name', value: name } } : d,
  );
  return print({ ...ast, definitions });
}

const common = {
  bundle: true,
  minify: true,
  target: 'es2022',
  legalComments: 'eof',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

await rm(dist, { recursive: true, force: true });

const app = await build({
  ...common,
  metafile: true,
  entryPoints: { playground: 'web/main.jsx' },
  outdir: 'dist',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  loader: { '.ttf': 'file' },
  jsx: 'automatic',
  define: {
    ...common.define,
    STOREGRAPH_EXAMPLES: JSON.stringify(readmeExamples(await readFile(readme, 'utf8'))),
  },
});

// playground.css holds the CSS of every chunk; the chunks' own copies are never loaded.
for (const file of Object.keys(app.metafile.outputs)) {
  if (file.startsWith('dist/chunks/') && file.endsWith('.css')) await rm(file);
}

// Monaco runs its language services in workers, one bundle each, which main.jsx starts
// from the same folder.
await build({
  ...common,
  entryPoints: {
    'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
    'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
    'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
  },
  outdir: 'dist',
  format: 'iife',
});

// The page asks for every chunk it runs when it opens at once, instead of finding Monaco's
// chunks one import after another. Prettier's chunks load when the user prettifies.
const outputs = app.metafile.outputs;
const onOpen = new Set();
const visit = (file) => {
  if (onOpen.has(file) || !file.endsWith('.js')) return;
  const inputs = Object.keys(outputs[file].inputs);
  if (inputs.length > 0 && inputs.every((input) => input.includes('node_modules/prettier/'))) return;
  onOpen.add(file);
  for (const i of outputs[file].imports) visit(i.path);
};
visit('dist/playground.js');
onOpen.delete('dist/playground.js');
const preload = [...onOpen]
  .sort()
  .map((file) => `<link rel="modulepreload" href="${file.replace(/^dist\//, 'playground/')}">`)
  .join('\n    ');
const page = await readFile(new URL('./web/index.html', import.meta.url), 'utf8');
await writeFile(new URL('index.html', dist), page.replace('<!-- modulepreload -->', preload));
