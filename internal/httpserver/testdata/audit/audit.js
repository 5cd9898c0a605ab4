// Runs graphql-http's server audits against the GraphQL endpoint given as the first
// argument and prints one JSON line per audit: {id, name, status, reason, status code, body}.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.js <graphql url>');
  process.exit(2);
}

for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.httpStatus = result.response.status;
    line.contentType = result.response.headers.get('content-type');
    line.body = await result.response.text().catch(() => '');
  }
  console.log(JSON.stringify(line));
}
