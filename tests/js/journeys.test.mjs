// The two journeys of the web client on the official Firebase JS SDK, against the emulator
// suite: an expert onboards and becomes bookable; a candidate finds them, books a slot, pays on
// the Stripe double, and a live listener sees the session confirmed.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import {
  callableError,
  client,
  closeAll,
  env,
  firestore as fs,
  keys,
  listenUntil,
  signedIn,
  strings,
  stripe,
  until,
} from "./support.mjs";

after(closeAll);

const fx = env.fixtures;
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/; // the one wire format of instants
let expertUid; // the expert onboarded by the first journey, booked by the second

test("expert onboarding journey: apply, upload, verified by an admin, payouts, searchable", async () => {
  const applicant = await signedIn("grace.js@example.com");
  const admin = await signedIn(env.admin.email, { password: env.admin.password, create: false });
  const stranger = await signedIn("stranger.onboarding.js@example.com");

  const submitted = await applicant.api.submitExpertApplication({ applicationData: fx.application });
  assert.deepEqual(submitted, { expertId: applicant.uid, status: "pending" });

  // The applicant watches their own application; a stranger may not read it.
  const appRef = fs.doc(applicant.db, "expertApplications", applicant.uid);
  const pending = (await fs.getDoc(appRef)).data();
  assert.equal(pending.status, "pending");
  assert.ok(pending.joinedAt instanceof fs.Timestamp, "documents keep Firestore Timestamps");
  await assert.rejects(fs.getDoc(fs.doc(stranger.db, "expertApplications", applicant.uid)), {
    code: "permission-denied",
  });

  const identity = await applicant.api.uploadVerificationDocument({
    expertId: applicant.uid,
    documentType: "identity",
    file: { name: "passport.pdf", contentType: "application/pdf", data: fx.pdfBase64 },
  });
  assert.match(identity.path, new RegExp(`^expert-documents/${applicant.uid}/identity/`));
  assert.match(identity.document.uploadDate, ISO_Z);
  await applicant.api.uploadVerificationDocument({
    expertId: applicant.uid,
    documentType: "employment",
    file: { name: "contract.png", contentType: "image/png", data: fx.pngBase64 },
  });

  const queue = await admin.api.listPendingApplications({ pageSize: 10 });
  const entry = queue.applications.find((a) => a.expertId === applicant.uid);
  assert.ok(entry, "the application is in the admin queue");
  assert.equal(entry.verification.documentsSubmitted.length, 2);
  assert.match(entry.joinedAt, ISO_Z);

  const denied = await callableError(
    applicant.api.verifyExpertDocument({ expertId: applicant.uid, documentType: "identity", approved: true }),
  );
  assert.equal(denied.code, "functions/permission-denied");

  const first = await admin.api.verifyExpertDocument({
    expertId: applicant.uid,
    documentType: "identity",
    approved: true,
  });
  assert.equal(first.activated, false);
  const second = await admin.api.verifyExpertDocument({
    expertId: applicant.uid,
    documentType: "employment",
    approved: true,
  });
  assert.equal(second.activated, true);
  assert.equal(second.expertStatus, "active");

  // Privacy, as a stranger reads whole documents: the public profile has no contact data or
  // document records; the private contact document is not readable.
  const publicDoc = (await fs.getDoc(fs.doc(stranger.db, "experts", applicant.uid))).data();
  assert.equal(publicDoc.status, "active");
  const visible = strings(publicDoc);
  for (const secret of [fx.application.personalInfo.email, fx.application.personalInfo.phone]) {
    assert.ok(!visible.some((s) => s.includes(secret)), `public profile leaks ${secret}`);
  }
  assert.ok(!visible.some((s) => s.includes("expert-documents/")), "public profile leaks document paths");
  assert.ok(!keys(publicDoc).includes("documentsSubmitted"));
  assert.ok(!keys(publicDoc).includes("phone"));
  await assert.rejects(fs.getDoc(fs.doc(stranger.db, "experts", applicant.uid, "private", "contact")), {
    code: "permission-denied",
  });
  const contact = (await fs.getDoc(fs.doc(applicant.db, "experts", applicant.uid, "private", "contact"))).data();
  assert.equal(contact.email, fx.application.personalInfo.email);

  // Before payouts are set up the expert cannot take payment: default search hides them, an
  // explicit includeUnbookable lists them marked, and slots say why there are none.
  const early = await signedIn("early.js@example.com");
  const unready = await until(
    async () =>
      (await early.api.searchExperts({ includeUnbookable: true })).results.find(
        (r) => r.expert.expertId === applicant.uid,
      ),
    { what: "the new expert listed as not bookable" },
  );
  assert.equal(unready.bookable, false);
  assert.equal(unready.notBookableReason, "expert_payouts_not_ready");
  assert.deepEqual(unready.availableSlots, []);
  const hidden = await early.api.searchExperts({});
  assert.ok(!hidden.results.some((r) => r.expert.expertId === applicant.uid), "default search hides it");
  const noSlots = await early.api.getAvailableSlots({ expertId: applicant.uid, daysAhead: 14 });
  assert.equal(noSlots.bookable, false);
  assert.equal(noSlots.notBookableReason, "expert_payouts_not_ready");
  assert.deepEqual(noSlots.slots, []);

  // Payouts: a Connect account, onboarded on the Stripe double; account.updated reaches the
  // webhook and the expert's public document says payoutsEnabled.
  const account = await applicant.api.createPayoutAccount({});
  assert.equal(account.payoutsEnabled, false);
  const link = await applicant.api.createPayoutOnboardingLink({
    returnUrl: "https://salamin.example/return",
    refreshUrl: "https://salamin.example/refresh",
  });
  assert.match(link.url, /^https?:\/\//);
  await stripe.onboard(account.stripeAccountId);
  await listenUntil(fs.doc(applicant.db, "experts", applicant.uid), (d) => d.payoutsEnabled === true, {
    what: "payoutsEnabled after account.updated",
  });

  // Searchable once the search-fields trigger has run.
  const candidate = await signedIn("finder.js@example.com");
  await until(
    async () => (await candidate.api.searchExperts({})).results.some((r) => r.expert.expertId === applicant.uid),
    { what: "the new expert in search results" },
  );
  expertUid = applicant.uid;
});

test("candidate journey: sign up, search, slots, book, pay on the Stripe double, listener sees confirmed", async () => {
  assert.ok(expertUid, "needs the expert from the onboarding journey");
  const candidate = await signedIn("candidate.js@example.com");
  const stranger = await signedIn("stranger.booking.js@example.com");

  const page = await candidate.api.searchExperts({ searchTerm: fx.application.personalInfo.lastName, sortBy: "relevance" });
  const hit = page.results.find((r) => r.expert.expertId === expertUid);
  assert.ok(hit, "search finds the expert by name");
  assert.equal(hit.bookable, true);
  assert.ok(hit.availableSlots.length > 0, "search shows the next slots");
  assert.ok(!keys(hit.expert).includes("search") && !keys(hit.expert).includes("stripeAccountId"));

  const { slots, timeZone, expertTimeZone, bookable } = await candidate.api.getAvailableSlots({
    expertId: expertUid,
    daysAhead: 14,
    sessionType: "mock_interview",
    duration: 60,
    timeZone: "America/Chicago",
  });
  assert.equal(timeZone, "America/Chicago");
  assert.equal(bookable, true);
  assert.equal(expertTimeZone, fx.application.personalInfo.timeZone);
  const slot = slots[0];
  assert.ok(slot, "the expert has a free slot");
  assert.match(slot.startUtc, ISO_Z);
  assert.equal(slot.price, 12000);

  // Book what was shown (in the viewer's zone, Chicago): by slotId, the exact instant.
  const booked = await candidate.api.createBookingRequest({
    expertId: expertUid,
    sessionType: "mock_interview",
    slotId: slot.slotId,
    duration: slot.duration,
  });
  assert.equal(booked.amount, 12000);
  assert.equal(booked.currency, "USD");
  assert.match(booked.holdExpiresAt, ISO_Z);
  assert.ok(booked.clientSecret.startsWith(booked.paymentIntentId));

  // The same slot for someone else, in the spec's expert-local form: failed-precondition with a
  // machine-readable reason.
  const taken = await callableError(
    stranger.api.createBookingRequest({
      expertId: expertUid,
      sessionType: "mock_interview",
      date: slot.expertDate,
      startTime: slot.expertStartTime,
      duration: 60,
    }),
  );
  assert.equal(taken.code, "functions/failed-precondition");
  assert.equal(client.errorReason(taken), "slot_taken");

  // The candidate listens to the session while paying.
  const sessionRef = fs.doc(candidate.db, "expertSessions", booked.sessionId);
  const held = (await fs.getDoc(sessionRef)).data();
  assert.equal(held.status, "pending");
  assert.equal(held.scheduledDate.toDate().toISOString(), slot.startUtc, "the instant shown is the instant booked");
  const confirmed = listenUntil(sessionRef, (s) => s.status === "confirmed", { what: "confirmed" });
  const paid = await stripe.confirm(booked.paymentIntentId);
  assert.equal(paid.status, 200);
  assert.equal(paid.body.status, "succeeded");
  const session = await confirmed;
  assert.equal(session.paymentStatus, "paid");
  assert.match(session.meetingLink, /^https:\/\/meet\.jit\.si\//);

  // A stranger sees the time as busy, never who booked it, and cannot read the session.
  await assert.rejects(fs.getDoc(fs.doc(stranger.db, "expertSessions", booked.sessionId)), {
    code: "permission-denied",
  });
  const busy = (await fs.getDoc(fs.doc(stranger.db, "expertCalendars", expertUid, "busy", booked.sessionId))).data();
  assert.ok(busy, "the busy interval is public");
  const busyText = strings(busy);
  assert.ok(!busyText.some((s) => s.includes(candidate.uid) || s.includes(candidate.email)));
  assert.ok(!keys(busy).includes("userId"));

  // The expert sees the booking; the slot is gone from the candidate's next slot list.
  const expert = await signedIn("grace.js@example.com", { create: false });
  const theirs = await fs.getDocs(
    fs.query(fs.collection(expert.db, "expertSessions"), fs.where("expertId", "==", expertUid)),
  );
  assert.deepEqual(theirs.docs.map((d) => d.id), [booked.sessionId]);
  const again = await candidate.api.getAvailableSlots({ expertId: expertUid, sessionType: "mock_interview", duration: 60 });
  assert.ok(!again.slots.some((s) => s.startUtc === slot.startUtc));

  const ok = await candidate.api.confirmPayment({ sessionId: booked.sessionId, paymentIntentId: booked.paymentIntentId });
  assert.equal(ok.status, "confirmed");
});
