/**
 * A sample web-client flow, type-checked by scripts/test.sh (`tsc --noEmit`) against the
 * generated contract: search, pick a slot, book it, listen until the session is confirmed.
 * Compile errors here mean the contract changed in a way a client would notice.
 */
import type { FirebaseApp } from "firebase/app";
import { doc, getFirestore, onSnapshot, type DocumentReference } from "firebase/firestore";
import { getFunctions } from "firebase/functions";

import { errorReason, fieldErrors, salaminClient, type Docs, type Responses } from "../src/index.js";

type Slot = Responses.AvailableSlot;

export async function bookFirstSlot(app: FirebaseApp, searchTerm: string): Promise<string> {
  const api = salaminClient(getFunctions(app, "us-central1"));
  const page = await api.searchExperts({ searchTerm, sortBy: "rating", pageSize: 10 });
  const first = page.results[0];
  if (!first) throw new Error("no expert found");
  const name = `${first.expert.personalInfo.firstName} ${first.expert.personalInfo.lastName}`;
  const { slots, timeZone } = await api.getAvailableSlots({
    expertId: first.expert.expertId,
    sessionType: "mock_interview",
    duration: 60,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  });
  const slot: Slot | undefined = slots[0];
  if (!slot) throw new Error(`${name} has no free slot`);
  console.log(`booking ${name} on ${slot.date} ${slot.startTime} (${timeZone}), ${slot.price} ${slot.currency} minor units`);
  try {
    const booked = await api.createBookingRequest({
      expertId: first.expert.expertId,
      sessionType: "mock_interview",
      slotId: slot.slotId, // exactly the instant shown, in any viewer zone
      duration: slot.duration,
    });
    if (!booked.holdExpiresAt) return booked.sessionId; // paid by a package credit
    const holdEnds: Date = new Date(booked.holdExpiresAt);
    console.log(`pay ${booked.amount} ${booked.currency} before ${holdEnds.toISOString()}`);
    return booked.sessionId;
  } catch (error) {
    switch (errorReason(error)) {
      case "slot_taken":
      case "day_full":
      case "week_full":
        throw new Error("that time was just taken; pick another slot");
      case "expert_payouts_not_ready":
        throw new Error("this expert cannot take bookings yet");
      case "ambiguous_local_time":
      case "nonexistent_local_time":
        throw new Error("book that time by its slot, not by wall-clock time");
      default:
        for (const f of fieldErrors(error)) console.error(`${f.path}: ${f.message}`);
        throw error;
    }
  }
}

/** Resolves once the session document says `confirmed` (the webhook has seen the payment). */
export function whenConfirmed(app: FirebaseApp, sessionId: string): Promise<Docs.ExpertSession> {
  const ref = doc(getFirestore(app), "expertSessions", sessionId) as DocumentReference<Docs.ExpertSession>;
  return new Promise((resolve, reject) => {
    const stop = onSnapshot(
      ref,
      (snap) => {
        const session = snap.data();
        if (session?.status === "confirmed") {
          console.log(`confirmed for ${session.scheduledDate.toDate().toISOString()}`);
          stop();
          resolve(session);
        }
      },
      reject,
    );
  });
}
