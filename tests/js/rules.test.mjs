// The access matrix of firestore.rules on the official SDKs (@firebase/rules-unit-testing,
// firebase/firestore): every collection a document lives in × {anonymous, owner, other user,
// expert, admin} × {get, list, create, update, delete}. Runs on its own project id, so the
// journeys' data in the functions' project is untouched.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { firestore as fs, rulesTesting } from "../../clients/web/testing/sdk.mjs";

const OWNER = "owner-uid"; // the candidate / applicant / user the document belongs to
const EXPERT = "expert-uid"; // the expert party of the document
const OTHER = "other-uid"; // a signed-in stranger
const OTHER_EXPERT = "other-expert-uid"; // an expert unrelated to the document (role "expert" where the owner is the expert)
const ADMIN = "admin-uid";
const ROLES = ["anonymous", "owner", "other", "expert", "admin"];
const OPS = ["get", "list", "create", "update", "delete"];
const T = fs.Timestamp.fromDate(new Date("2026-12-01T09:00:00Z"));

const SIGNED_IN = ["owner", "other", "expert", "admin"];
const NONE = [];

/**
 * Each case: the seeded document (`path`, `data`), who may do what (`allow`), and how a role
 * lists (`list`: [field, value] filters per role; a rules-compliant client filters on its uid).
 * `expertIsOwner`: the document belongs to the expert; role "expert" is then another expert.
 */
const CASES = [
  {
    name: "expertApplications",
    path: `expertApplications/${OWNER}`,
    data: { expertId: OWNER, status: "pending", personalInfo: { email: "a@example.com", phone: "+1 555 0100" } },
    allow: { get: ["owner", "admin"], list: ["admin"] },
  },
  {
    name: "experts",
    path: `experts/${EXPERT}`,
    expertIsOwner: true,
    data: { expertId: EXPERT, status: "active", personalInfo: { firstName: "Ada" } },
    allow: { get: SIGNED_IN, list: SIGNED_IN },
  },
  {
    name: "experts/private",
    path: `experts/${EXPERT}/private/contact`,
    expertIsOwner: true,
    data: { email: "ada@example.com", phone: "+1 555 0100", documentsSubmitted: [] },
    allow: { get: ["owner", "admin"], list: ["owner", "admin"] },
  },
  {
    name: "expertCalendars",
    path: `expertCalendars/${EXPERT}`,
    expertIsOwner: true,
    data: { expertId: EXPERT, timeZone: "Europe/London", lastUpdated: T },
    allow: { get: SIGNED_IN, list: SIGNED_IN },
  },
  {
    name: "expertCalendars/busy",
    path: `expertCalendars/${EXPERT}/busy/s1`,
    expertIsOwner: true,
    data: { sessionId: "s1", start: T, end: T, status: "held" },
    allow: { get: SIGNED_IN, list: SIGNED_IN },
  },
  ...["locks/20261201T0900Z", "days/2026-12-01", "weeks/2026-W49", "clients/owner-uid"].map((sub) => ({
    name: `expertCalendars/${sub.split("/")[0]}`,
    path: `expertCalendars/${EXPERT}/${sub}`,
    expertIsOwner: true,
    data: { sessionId: "s1", count: 1 },
    allow: {},
  })),
  {
    name: "expertSessions",
    path: "expertSessions/s1",
    data: { sessionId: "s1", userId: OWNER, expertId: EXPERT, status: "confirmed", price: 12000 },
    list: { default: ["userId", OWNER], expert: ["expertId", EXPERT] },
    allow: { get: ["owner", "expert", "admin"], list: ["owner", "expert", "admin"] },
  },
  {
    name: "expertSessions/private",
    path: "expertSessions/s1/private/contacts",
    data: { userEmail: "cand@example.com", expertEmail: "ada@example.com" },
    allow: {},
  },
  {
    name: "expertTransactions",
    path: "expertTransactions/t1",
    data: { expertId: EXPERT, sessionId: "s1", grossAmount: 12000, platformFee: 2400, netAmount: 9600 },
    list: { default: ["expertId", EXPERT] },
    allow: { get: ["expert", "admin"], list: ["expert", "admin"] },
  },
  {
    name: "experts/statusLog",
    path: `experts/${EXPERT}/statusLog/l1`,
    expertIsOwner: true,
    data: { expertId: EXPERT, fromStatus: "active", toStatus: "suspended", reason: "complaints under review", changedBy: ADMIN, byAdmin: true, changedAt: T },
    allow: { get: ["owner", "admin"], list: ["owner", "admin"] },
  },
  {
    name: "reviewModeration",
    path: "reviewModeration/s1",
    data: { sessionId: "s1", expertId: EXPERT, hidden: true, reason: "names the candidate", decidedBy: ADMIN, decidedAt: T },
    allow: { get: ["admin"], list: ["admin"] },
  },
  {
    name: "waitlistEntries",
    path: "waitlistEntries/w1",
    // the entry carries the candidate's e-mail and hours: the candidate's own, not the expert's
    data: { entryId: "w1", userId: OWNER, expertId: EXPERT, email: "cand@example.com", sessionType: "mock_interview", duration: 60, status: "active", joinedAt: T },
    list: { default: ["userId", OWNER], expert: ["expertId", EXPERT] },
    allow: { get: ["owner"], list: ["owner"] },
  },
  ...["waitlistNotices/n1", "waitlistRate/owner-uid", "waitlistUsers/owner-uid"].map((path) => ({
    name: path.split("/")[0],
    path,
    data: { userId: OWNER, expertId: EXPERT, count: 1 },
    allow: {},
  })),
  {
    name: "packagePurchases",
    path: "packagePurchases/pp1",
    data: { purchaseId: "pp1", userId: OWNER, expertId: EXPERT, packageName: "Starter", totalPrice: 30000, currency: "USD", status: "paid", createdAt: T },
    list: { default: ["userId", OWNER], expert: ["expertId", EXPERT] },
    allow: { get: ["owner", "admin"], list: ["owner", "admin"] },
  },
  { name: "stripeEvents", path: "stripeEvents/evt_1", data: { type: "payment_intent.succeeded" }, allow: {} },
  { name: "mail", path: "mail/m1", data: { to: "ada@example.com", message: { subject: "hi" } }, allow: {} },
  {
    name: "adminNotifications",
    path: "adminNotifications/n1",
    data: { type: "expert_document_review", expertId: OWNER, status: "pending", createdAt: T },
    update: { status: "handled", handledBy: ADMIN, handledAt: T },
    allow: { get: ["admin"], list: ["admin"], update: ["admin"] },
  },
  {
    name: "adminNotifications (other fields)",
    path: "adminNotifications/n1",
    data: { type: "expert_document_review", expertId: OWNER, status: "pending", createdAt: T },
    update: { expertId: OTHER },
    only: ["update"],
    allow: {},
  },
  {
    name: "advancedAnalyses",
    path: "advancedAnalyses/a1",
    data: { sessionId: "a1", userId: OWNER, status: "complete", progress: 1 },
    list: { default: ["userId", OWNER] },
    allow: { get: ["owner", "admin"], list: ["owner", "admin"] },
  },
  {
    name: "industryBenchmarks",
    path: "industryBenchmarks/b1",
    data: { industry: "fintech", role: "engineer" },
    allow: { get: SIGNED_IN, list: SIGNED_IN },
  },
  ...["benchmarkContributions/owner-uid", "benchmarkShards/technology-0", "benchmarkCohorts/technology"].map((path) => ({
    name: path.split("/")[0],
    path,
    data: { count: 1 },
    allow: {},
  })),
  {
    name: "users/benchmarks",
    path: `users/${OWNER}/benchmarks/bm1`,
    data: { userId: OWNER, createdAt: T },
    allow: { get: ["owner"], list: ["owner"] },
  },
  {
    name: "learningPaths",
    path: "learningPaths/p1",
    data: { userId: OWNER, title: "System design" },
    list: { default: ["userId", OWNER] },
    allow: { get: ["owner"], list: ["owner"] },
  },
  {
    name: "learningPaths/events",
    path: "learningPaths/p1/events/e1",
    data: { eventId: "e1", kind: "progress", applied: true },
    allow: {},
  },
  {
    name: "users/notifications",
    path: `users/${OWNER}/notifications/n1`,
    data: { type: "waitlist_slot_available", title: "A slot opened", body: "Ada has time on Tuesday", createdAt: T, read: false },
    update: { read: true, readAt: T },
    allow: { get: ["owner"], list: ["owner"], update: ["owner"] },
  },
  {
    name: "users/notifications (other fields)",
    path: `users/${OWNER}/notifications/n1`,
    data: { type: "waitlist_slot_available", title: "A slot opened", body: "Ada has time on Tuesday", createdAt: T, read: false },
    update: { title: "forged" },
    only: ["update"],
    allow: {},
  },
  {
    name: "users/learning",
    path: `users/${OWNER}/learning/skills`,
    data: { competencies: { communication: { alpha: 2, beta: 1, evidence: 1 } }, appliedEvidence: ["a1"] },
    allow: { get: ["owner"], list: ["owner"] },
  },
  {
    name: "users/profile",
    path: `users/${OWNER}/profile/data`,
    singleton: true,
    data: { targetCompanies: ["Analytical Engines"] },
    update: { targetCompanies: ["Babbage & Co"] },
    // a singleton's rule matches only its document, so a query on the collection is denied
    allow: { get: ["owner"], create: ["owner"], update: ["owner"], delete: ["owner"] },
  },
  {
    name: "users/statistics",
    path: `users/${OWNER}/statistics/current`,
    singleton: true,
    data: { totalAdvancedAnalyses: 1, lastAdvancedAnalysis: T },
    allow: { get: ["owner", "admin"] },
  },
];

let testEnv;

function uidOf(role, c) {
  return {
    owner: c.expertIsOwner ? EXPERT : OWNER,
    other: OTHER,
    expert: c.expertIsOwner ? OTHER_EXPERT : EXPERT,
    admin: ADMIN,
  }[role];
}

function dbAs(role, c) {
  if (role === "anonymous") return testEnv.unauthenticatedContext().firestore();
  const claims = role === "admin" ? { admin: true } : {};
  return testEnv.authenticatedContext(uidOf(role, c), claims).firestore();
}

async function seed() {
  await testEnv.clearFirestore();
  await testEnv.withSecurityRulesDisabled(async (ctx) => {
    const db = ctx.firestore();
    for (const c of CASES) await fs.setDoc(fs.doc(db, c.path), c.data);
  });
}

function collectionOf(path) {
  return path.split("/").slice(0, -1).join("/");
}

function attempt(op, role, c) {
  const db = dbAs(role, c);
  const ref = fs.doc(db, c.path);
  switch (op) {
    case "get":
      return fs.getDoc(ref);
    case "list": {
      const coll = fs.collection(db, collectionOf(c.path));
      const filter = c.list && (c.list[role] ?? c.list.default);
      return fs.getDocs(filter ? fs.query(coll, fs.where(filter[0], "==", filter[1])) : coll);
    }
    case "create": {
      const target = c.singleton ? ref : fs.doc(db, `${collectionOf(c.path)}/new-${role}`);
      const body = { ...c.data };
      for (const k of ["userId", "expertId"]) if (k in body && role !== "anonymous") body[k] = uidOf(role, c);
      return fs.setDoc(target, body);
    }
    case "update":
      return fs.updateDoc(ref, c.update ?? { status: "tampered" });
    case "delete":
      return fs.deleteDoc(ref);
  }
  throw new Error(op);
}

before(async () => {
  const [host, port] = process.env.FIRESTORE_EMULATOR_HOST.split(":");
  testEnv = await rulesTesting.initializeTestEnvironment({
    projectId: "demo-salamin-rules",
    firestore: { host, port: Number(port), rules: readFileSync(process.env.SALAMIN_RULES, "utf8") },
  });
  await seed();
});

after(async () => {
  await testEnv?.cleanup();
});

for (const c of CASES) {
  describe(`rules: ${c.name}`, () => {
    for (const op of c.only ?? OPS) {
      for (const role of ROLES) {
        const allowed = (c.allow[op] ?? NONE).includes(role);
        test(`${op} as ${role}: ${allowed ? "allowed" : "denied"}`, async () => {
          if (op === "create" && c.singleton) {
            // a true create: the singleton does not exist yet
            await testEnv.withSecurityRulesDisabled((ctx) => fs.deleteDoc(fs.doc(ctx.firestore(), c.path)));
          }
          try {
            if (allowed) await rulesTesting.assertSucceeds(attempt(op, role, c));
            else await rulesTesting.assertFails(attempt(op, role, c));
          } finally {
            if (allowed && op !== "get" && op !== "list") await seed();
            if (op === "create" && c.singleton) await seed();
          }
        });
      }
    }
  });
}

test("rules: an owner's list without the owner filter is denied (no collection scans)", async () => {
  for (const path of ["expertSessions", "advancedAnalyses", "learningPaths", "expertTransactions", "waitlistEntries", "packagePurchases"]) {
    await rulesTesting.assertFails(fs.getDocs(fs.collection(dbAs("owner", {}), path)));
  }
});

test("rules: every collection firestore.rules names is in the matrix", () => {
  const rules = readFileSync(process.env.SALAMIN_RULES, "utf8");
  const inRules = new Set([...rules.matchAll(/match \/(\w+)\/\{/g)].map((m) => m[1]).filter((n) => n !== "databases"));
  const inMatrix = new Set(CASES.flatMap((c) => c.path.split("/").filter((_, i) => i % 2 === 0)));
  assert.deepEqual([...inRules].filter((n) => !inMatrix.has(n)), []);
});
