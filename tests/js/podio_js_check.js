#!/usr/bin/env node
// Drives a Podio API (podio-sim in the test suite) with podio-js, the Podio
// client SDK for Node.js, exactly as an integrator would: password
// authentication, then reads and writes through `podio.request`. Prints one
// JSON line summarizing what the server answered; on failure prints the
// failing step and Podio's error to stderr and exits 1.
//
// Configuration (environment):
//   PODIO_API_URL        base URL of the API, e.g. http://127.0.0.1:8090 (required)
//   PODIO_CLIENT_ID      OAuth client id (required)
//   PODIO_CLIENT_SECRET  OAuth client secret (required)
//   PODIO_USERNAME       e-mail for the password grant (required)
//   PODIO_PASSWORD       password for the password grant (required)
//   PODIO_APP_ID         the app to read, filter and create an item in (required)
//   PODIO_FILTER         JSON body of the item filter (default {"limit": 5})
//   PODIO_ITEM           JSON body of the item create (default: a title only)
//   PODIO_TASK_TEXT      text of the task created on the item
//   PODIO_COMMENT        text of the comment added to the item
//
// podio-js must be resolvable: run tests/js/setup.sh and put the
// node_modules directory it prints in NODE_PATH.
'use strict';

function fail(message) {
  process.stderr.write(`podio_js_check: ${message}\n`);
  process.exit(1);
}

function env(name, fallback) {
  const value = process.env[name];
  if (value !== undefined && value !== '') {
    return value;
  }
  if (fallback === undefined) {
    fail(`environment variable ${name} is required`);
  }
  return fallback;
}

function jsonEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  try {
    return JSON.parse(raw);
  } catch (err) {
    return fail(`${name} is not valid JSON (${err.message}): ${raw}`);
  }
}

let Podio;
try {
  Podio = require('podio-js').api;
} catch (err) {
  fail(`cannot load podio-js (${err.message}); run tests/js/setup.sh and set NODE_PATH to the node_modules directory it prints`);
}
const podioVersion = require('podio-js/package.json').version;

const config = {
  apiURL: env('PODIO_API_URL'),
  clientId: env('PODIO_CLIENT_ID'),
  clientSecret: env('PODIO_CLIENT_SECRET'),
  username: env('PODIO_USERNAME'),
  password: env('PODIO_PASSWORD'),
  appId: Number(env('PODIO_APP_ID')),
  filter: jsonEnv('PODIO_FILTER', { limit: 5 }),
  item: jsonEnv('PODIO_ITEM', { fields: { title: 'Created by podio-js' } }),
  taskText: env('PODIO_TASK_TEXT', 'Follow up (task created by podio-js)'),
  comment: env('PODIO_COMMENT', 'Comment added by podio-js'),
};
if (!Number.isSafeInteger(config.appId) || config.appId <= 0) {
  fail(`PODIO_APP_ID must be a positive whole number, got ${JSON.stringify(process.env.PODIO_APP_ID)}`);
}

// podio-js rejects with its own error objects whose `message` is Podio's
// error body; render them so a failure names the call and the server's reason.
function describe(err) {
  if (err && err.name && err.name.startsWith('Podio')) {
    const body = typeof err.message === 'string' ? err.message : JSON.stringify(err.message);
    return `${err.name} (HTTP ${err.status}) from ${err.url}: ${body}`;
  }
  return err && err.stack ? err.stack : String(err);
}

// podio-js throws from inside its HTTP callbacks on some failures (a
// refused connection during authentication dereferences a missing response),
// which no promise can catch; name the step that was running instead.
let currentStep = 'startup';
process.on('uncaughtException', (err) => {
  fail(`step ${currentStep} failed: podio-js threw ${describe(err)} (is PODIO_API_URL ${JSON.stringify(process.env.PODIO_API_URL)} reachable?)`);
});

async function step(name, run) {
  currentStep = name;
  try {
    return await run();
  } catch (err) {
    return fail(`step ${name} failed: ${describe(err)}`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  // No session store: the token lives on this instance only.
  const podio = new Podio(
    { authType: 'password', clientId: config.clientId, clientSecret: config.clientSecret },
    { apiURL: config.apiURL },
  );

  await step('authenticate', () => new Promise((resolve, reject) => {
    podio.authenticateWithCredentials(config.username, config.password, (err) => (err ? reject(err) : resolve()));
  }));
  const firstToken = podio.authObject.accessToken;

  const status = await step('user_status', () => podio.request('get', '/user/status'));
  const userId = status.user.user_id;

  const orgs = await step('list_orgs', () => podio.request('get', '/org/'));
  const app = await step('get_app', () => podio.request('get', `/app/${config.appId}`));
  const filtered = await step('filter_items', () => podio.request('post', `/item/app/${config.appId}/filter/`, config.filter));
  const created = await step('create_item', () => podio.request('post', `/item/app/${config.appId}/`, config.item));
  const itemId = created.item_id;

  const task = await step('create_task', () => podio.request('post', `/task/item/${itemId}/`, {
    text: config.taskText,
    responsible: userId,
  }));
  // podio-js sends GET data as the query string.
  const itemTasks = await step('list_item_tasks', () => podio.request('get', '/task/', { reference: `item:${itemId}` }));
  const comment = await step('add_comment', () => podio.request('post', `/comment/item/${itemId}/`, { value: config.comment }));

  // A short-lived token (the test suite runs the simulator with one) lets the
  // SDK's own refresh path run: wait it out, and the next call must succeed
  // after podio-js has exchanged the refresh token on its own.
  let refresh = null;
  const ttl = Number(podio.authObject.expiresIn);
  if (ttl <= 10) {
    await sleep(ttl * 1000 + 500);
    const orgsAfter = await step('call_after_expiry', () => podio.request('get', '/org/'));
    refresh = {
      waited_secs: ttl + 0.5,
      token_changed: podio.authObject.accessToken !== firstToken,
      orgs_after: orgsAfter.length,
    };
  }

  const summary = {
    sdk: `podio-js ${podioVersion}`,
    user_id: userId,
    token_expires_in: ttl,
    orgs: orgs.map((o) => o.name),
    app: { app_id: app.app_id, name: app.config.name, fields: app.fields.length },
    filter: {
      total: filtered.total,
      filtered: filtered.filtered,
      item_ids: filtered.items.map((i) => i.item_id),
    },
    item: { item_id: itemId, app_item_id: created.app_item_id, title: created.title },
    task: {
      task_id: task.task_id,
      text: task.text,
      ref: task.ref ? { type: task.ref.type, id: task.ref.id } : null,
      listed_on_item: itemTasks.map((t) => t.task_id),
    },
    comment: { comment_id: comment.comment_id, value: comment.value },
    refresh,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

// A TypeError here means an answer lacked a key the summary reads.
main().catch((err) => fail(`after step ${currentStep}, reading its answer: ${describe(err)}`));
