// The Firestore stand-in for machines without the official emulator (its jar is
// downloaded from Google on first use, which an offline machine cannot do).
//
// It runs @firestore-emulator/server, bound to loopback only (its own start()
// binds every interface), and fixes the two semantics our code relies on that
// the package gets wrong (measured, DESIGN.md):
//   - transactions are serialized: BeginTransaction waits until no other
//     transaction is open, so read-modify-write transactions never lose updates;
//     a transaction left open longer than TX_TIMEOUT_MS is expired and its commit
//     answers ABORTED, as Firestore does for an expired transaction;
//   - a commit is all-or-nothing: every write's exists-precondition is checked
//     before any write is applied.
// Beside the gRPC port, port+1 answers HTTP like the official emulator's REST
// endpoint for resets: DELETE /emulator/v1/projects/{p}/databases/(default)/documents.
//
// Usage: node tools/firestore-standin.js <port>
'use strict';
const http = require('http');
const crypto = require('crypto');
const grpc = require('@grpc/grpc-js');
const { FirestoreServer } = require('@firestore-emulator/server');
const { BeginTransactionResponse } = require('@firestore-emulator/proto/dist/google/firestore/v1/firestore');

const HOST = '127.0.0.1';
const PORT = Number(process.argv[2] || 8080);
const TX_TIMEOUT_MS = Number(process.env.STANDIN_TX_TIMEOUT_MS || 60000);
const SERVICE = '/google.firestore.v1.Firestore/';

const emulator = new FirestoreServer();
const handlers = emulator.server.handlers;

// --- serialized transactions ------------------------------------------------
let active = null; // { id: hex, timer }
const waiting = [];
const expired = new Set();

function release(id) {
  if (!active || active.id !== id) return false;
  clearTimeout(active.timer);
  active = null;
  const next = waiting.shift();
  if (next) next();
  return true;
}

function acquire(grant) {
  const start = () => {
    const id = crypto.randomBytes(12).toString('hex');
    active = {
      id,
      timer: setTimeout(() => { expired.add(id); release(id); }, TX_TIMEOUT_MS),
    };
    grant(id);
  };
  if (active) waiting.push(start); else start();
}

const txHex = (tx) => (tx && tx.length ? Buffer.from(tx).toString('hex') : null);

function wrap(method, fn) {
  const h = handlers.get(SERVICE + method);
  if (!h) throw new Error(`no handler for ${method}`);
  const original = h.func.bind(h);
  h.func = (call, callback) => fn(original, call, callback);
}

wrap('BeginTransaction', (_orig, call, callback) => {
  acquire((id) => callback(null, BeginTransactionResponse.fromObject({ transaction: Buffer.from(id, 'hex') })));
});

wrap('Rollback', (orig, call, callback) => {
  release(txHex(call.request.transaction));
  orig(call, callback);
});

// --- atomic commits -----------------------------------------------------------
function docPath(write) {
  if (write.has_delete) return write.delete;
  if (write.has_update) return write.update.name;
  if (write.has_transform) return write.transform.document;
  return null;
}

function precheck(writes) {
  const exists = new Map();
  for (const w of writes) {
    const path = docPath(w);
    if (!path) continue;
    if (!exists.has(path)) exists.set(path, emulator.state.getDocument(path).metadata.hasExist);
    if (w.has_current_document && w.current_document.has_exists) {
      const want = w.current_document.exists;
      if (want && !exists.get(path)) return { code: grpc.status.NOT_FOUND, message: `no entity to update: ${path}` };
      if (!want && exists.get(path)) return { code: grpc.status.ALREADY_EXISTS, message: `entity already exists: ${path}` };
    }
    exists.set(path, !w.has_delete);
  }
  return null;
}

wrap('Commit', (orig, call, callback) => {
  const id = txHex(call.request.transaction);
  if (id && expired.has(id)) {
    expired.delete(id);
    callback({ code: grpc.status.ABORTED, message: 'The transaction has expired.' });
    return;
  }
  const failure = precheck(call.request.writes);
  if (failure) {
    if (id) release(id);
    callback(failure);
    return;
  }
  orig(call, (err, res) => {
    if (id) release(id);
    callback(err, res);
  });
});

emulator.server.bindAsync(`${HOST}:${PORT}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) { console.error(err.message); process.exit(1); }
  http.createServer((req, res) => {
    if (req.method === 'DELETE' && /\/documents$/.test(req.url)) {
      emulator.state.clear();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('Ok (postr Firestore stand-in)');
  }).listen(PORT + 1, HOST, () => {
    console.log(`firestore stand-in ready: grpc ${HOST}:${PORT}, http ${HOST}:${PORT + 1}`);
  });
});
