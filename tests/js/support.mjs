// Shared helpers of the Firebase JS SDK suite. The endpoints come from the environment that
// tests/js/test_js_sdk.py sets from the pytest stack fixture.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { client, firebaseApp, firebaseAuth, firestore, functions } from "../../clients/web/testing/sdk.mjs";

export const env = {
  projectId: need("SALAMIN_PROJECT_ID"),
  firestore: need("FIRESTORE_EMULATOR_HOST"),
  auth: need("FIREBASE_AUTH_EMULATOR_HOST"),
  functions: need("SALAMIN_FUNCTIONS_HOST"),
  stripe: need("STRIPE_API_BASE"),
  stripeKey: need("STRIPE_SECRET_KEY"),
  admin: { email: need("SALAMIN_ADMIN_EMAIL"), password: need("SALAMIN_ADMIN_PASSWORD") },
  fixtures: JSON.parse(readFileSync(need("SALAMIN_FIXTURES"), "utf8")),
};

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite through tests/js/test_js_sdk.py`);
  return value;
}

function hostPort(hostport) {
  const [host, port] = hostport.split(":");
  return [host, Number(port)];
}

let apps = 0;

/** A browser-like client: its own Firebase app, signed in (signed up first if `create`). */
export async function signedIn(email, { password = "secret-pass-1", create = true } = {}) {
  const app = firebaseApp.initializeApp(
    { projectId: env.projectId, apiKey: "fake-api-key", appId: "salamin-js-suite" },
    `client-${++apps}`,
  );
  const auth = firebaseAuth.getAuth(app);
  firebaseAuth.connectAuthEmulator(auth, `http://${env.auth}`, { disableWarnings: true });
  const db = firestore.getFirestore(app);
  firestore.connectFirestoreEmulator(db, ...hostPort(env.firestore));
  const fns = functions.getFunctions(app, "us-central1");
  functions.connectFunctionsEmulator(fns, ...hostPort(env.functions));
  const cred = create
    ? await firebaseAuth.createUserWithEmailAndPassword(auth, email, password)
    : await firebaseAuth.signInWithEmailAndPassword(auth, email, password);
  return { app, auth, db, uid: cred.user.uid, email, api: client.salaminClient(fns), fns };
}

/** A client that never signed in. */
export function anonymous() {
  const app = firebaseApp.initializeApp(
    { projectId: env.projectId, apiKey: "fake-api-key", appId: "salamin-js-suite" },
    `anon-${++apps}`,
  );
  const db = firestore.getFirestore(app);
  firestore.connectFirestoreEmulator(db, ...hostPort(env.firestore));
  const fns = functions.getFunctions(app, "us-central1");
  functions.connectFunctionsEmulator(fns, ...hostPort(env.functions));
  return { app, db, api: client.salaminClient(fns) };
}

export async function closeAll() {
  await Promise.all(firebaseApp.getApps().map((a) => firebaseApp.deleteApp(a)));
}

/** Poll `check` until it returns something truthy. */
export async function until(check, { timeout = 30_000, what }) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Resolve with the first snapshot data for which `predicate` holds (a live listener). */
export function listenUntil(ref, predicate, { timeout = 30_000, what }) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`listener timed out waiting for ${what}`));
    }, timeout);
    const stop = firestore.onSnapshot(
      ref,
      (snap) => {
        const data = snap.data();
        if (data && predicate(data)) {
          clearTimeout(timer);
          stop();
          resolve(data);
        }
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** The callable error of `promise` (fails the test if it resolves). */
export async function callableError(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(client.isSalaminError(err), `not a FunctionsError: ${err}`);
    return err;
  }
  assert.fail("the call succeeded");
}

/** The Stripe double, as Stripe.js would confirm a PaymentIntent, and its test controls. */
export const stripe = {
  async confirm(paymentIntentId, paymentMethod = "pm_card_visa") {
    const r = await fetch(`${env.stripe}/v1/payment_intents/${paymentIntentId}/confirm`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${env.stripeKey}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ payment_method: paymentMethod }),
    });
    return { status: r.status, body: await r.json() };
  },
  async onboard(accountId) {
    const r = await fetch(`${env.stripe}/_double/accounts/${accountId}/onboard`, { method: "POST" });
    assert.equal(r.status, 200);
  },
};

/** Every string value anywhere in `value`, for privacy scans of whole documents. */
export function strings(value) {
  if (typeof value === "string") return [value];
  if (value && typeof value === "object") {
    if (typeof value.toDate === "function") return [];
    return Object.values(value).flatMap(strings);
  }
  return [];
}

export function keys(value) {
  if (value && typeof value === "object" && typeof value.toDate !== "function") {
    return Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)]);
  }
  return [];
}

export { client, firestore, functions };
