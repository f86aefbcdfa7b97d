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
  assert.equal(client.errorReason(err), "expert_not_found");
});

test("messages are written for people: no pydantic wording, no [key] paths", async () => {
  const bad = structuredClone(env.fixtures.application);
  bad.personalInfo.nickname = "ada";
  bad.pricing.sessionTypes.group_therapy = bad.pricing.sessionTypes.mock_interview;
  bad.pricing.sessionTypes.mock_interview = { ...bad.pricing.sessionTypes.mock_interview, basePrice: 120.5 };
  delete bad.professionalInfo.currentRole;
  const err = await callableError(user.api.submitExpertApplication({ applicationData: bad }));
  const byPath = Object.fromEntries(client.fieldErrors(err).map((f) => [f.path, f.message]));
  assert.deepEqual(byPath, {
    "applicationData.personalInfo.nickname": "is not a known field",
    "applicationData.professionalInfo.currentRole": "is required",
    "applicationData.pricing.sessionTypes.mock_interview.basePrice": "must be a whole number",
    "applicationData.pricing.sessionTypes.group_therapy":
      "must be one of 'mock_interview', 'resume_review', 'career_coaching' or 'salary_negotiation'",
  });
  for (const text of [err.message, ...Object.values(byPath)]) {
    assert.doesNotMatch(text, /Value error|Input should|Extra inputs|Field required|\[key\]/);
  }
});

test("every reason the server can send is in the generated ErrorReason union", async () => {
  const err = await callableError(user.api.cancelSession({ sessionId: "NoSuchSession123", cancelledBy: "user", reason: "x" }));
  assert.equal(err.code, "functions/not-found");
  assert.equal(err.details.reason, "session_not_found");
  assert.ok(client.ERROR_REASONS.includes(err.details.reason));
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
