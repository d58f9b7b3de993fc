// Benchmark upstream: a plain node:http hello server in its own process. Prints its port as JSON.
import { createServer } from 'node:http';

const body = Buffer.from('hello world\n');
const server = createServer({ keepAliveTimeout: 65_000 }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${JSON.stringify({ port: a && typeof a === 'object' ? a.port : 0 })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
