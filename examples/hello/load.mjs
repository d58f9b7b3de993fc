#!/usr/bin/env node
// A steady stream of requests to an environment, with a line per second of who answered:
//   node examples/hello/load.mjs [URL] [requests per second]
//   node examples/hello/load.mjs http://127.0.0.1:8080 50
// Useful to watch a canary take its share of traffic, or a bad build being rolled back.
import http from 'node:http';

const url = new URL(process.argv[2] ?? 'http://127.0.0.1:8080/');
const rate = Number(process.argv[3] ?? 50);
if (!(rate > 0 && rate <= 2000)) {
  console.error('rate must be between 1 and 2000 requests per second');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let tally = new Map();
let sent = 0;
const started = Date.now();

function fire() {
  const req = http.get(url, { agent }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => {
      body += c;
    });
    res.on('end', () => {
      let version = '?';
      try {
        version = JSON.parse(body).version ?? '?';
      } catch {}
      const key = res.statusCode === 200 ? version : `${res.statusCode}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    });
  });
  req.on('error', (err) => tally.set(err.code ?? 'error', (tally.get(err.code ?? 'error') ?? 0) + 1));
}

setInterval(() => {
  const due = Math.floor(((Date.now() - started) * rate) / 1000);
  while (sent < due) {
    sent++;
    fire();
  }
}, 5);

setInterval(() => {
  const parts = [...tally.entries()].sort().map(([k, n]) => `${k}: ${n}`);
  console.log(`${new Date().toISOString().slice(11, 19)}  ${parts.join('  ') || 'no answers'}`);
  tally = new Map();
}, 1000);
