// Error codes and `details` as the Firebase JS SDK surfaces them (FunctionsError.code is
// `functions/<code>`, `.details` is the server's details object).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { anonymous, callableError, client, closeAll, env, signedIn } from "./support.mjs";

after(closeAll);

let user;
before(async () => {
  user = await signedIn("errors.js@example.com");
});

const paths = (err) => client.fieldErrors(err).map((f) => f.path).sort();

test("no ID token: unauthenticated", async () => {
  const err = await callableError(anonymous().api.searchExperts({}));
  assert.equal(err.code, "functions/unauthenticated");
});

test("bad fields: invalid-argument with every offending path, dotted with map keys", async () => {
  const bad = structuredClone(env.fixtures.application);
  bad.personalInfo.timeZone = "Nowhere/Land";
  bad.pricing.sessionTypes.mock_interview.basePrice = -5;
  const err = await callableError(user.api.submitExpertApplication({ applicationData: bad }));
  assert.equal(err.code, "functions/invalid-argument");
  assert.deepEqual(paths(err), [
    "applicationData.personalInfo.timeZone",
    "applicationData.pricing.sessionTypes.mock_interview.basePrice",
  ]);
  for (const f of client.fieldErrors(err)) assert.ok(f.message.length > 0);
  assert.ok(!err.message.includes("Traceback"));
});

test("unknown field: invalid-argument naming it", async () => {
  const err = await callableError(user.api.searchExperts({ pageSize: 5, bogus: true }));
  assert.equal(err.code, "functions/invalid-argument");
  assert.deepEqual(paths(err), ["bogus"]);
});

test("wrong enum value and bad formats on createBookingRequest", async () => {
  const err = await callableError(
    user.api.createBookingRequest({
      expertId: "nobody",
      sessionType: "group_therapy",
      date: "2026-02-30",
      startTime: "9am",
      duration: 60,
    }),
  );
  assert.equal(err.code, "functions/invalid-argument");
  assert.deepEqual(paths(err), ["date", "sessionType", "startTime"]);
});

test("request data that is not an object: invalid-argument at the root", async () => {
  const raw = client.callable(user.fns, "searchExperts");
  const err = await callableError(raw(["not", "an", "object"]));
  assert.equal(err.code, "functions/invalid-argument");
  assert.deepEqual(paths(err), ["(root)"]);
});

test("unknown expert: not-found", async () => {
  const err = await callableError(user.api.getAvailableSlots({ expertId: "no-such-expert" }));
  assert.equal(err.code, "functions/not-found");
});

test("admin-only callable as a plain user: permission-denied", async () => {
  const err = await callableError(user.api.listPendingApplications({}));
  assert.equal(err.code, "functions/permission-denied");
});

test("strict wire types: strings are not numbers, booleans or enums", async () => {
  const raw = (name) => client.callable(user.fns, name);
  for (const [name, data, path] of [
    ["searchExperts", { pageSize: "10" }, "pageSize"],
    ["getAvailableSlots", { expertId: "x", duration: "60" }, "duration"],
    ["verifyExpertDocument", { expertId: "x", documentType: "identity", approved: "true" }, "approved"],
    ["searchExperts", { sortBy: 2 }, "sortBy"],
  ]) {
    const err = await callableError(raw(name)(data));
    assert.equal(err.code, "functions/invalid-argument", name);
    assert.deepEqual(paths(err), [path], name);
  }
});
