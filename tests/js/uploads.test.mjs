// Recordings upload from the web client: createRecordingUpload checks the request and returns a
// resumable upload session URL on the bucket; the client PUTs the bytes there (the same request
// works against production Cloud Storage and the offline Storage emulator), then asks for the
// analysis of the uploaded file.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { callableError, client, closeAll, firestore as fs, listenUntil, signedIn } from "./support.mjs";

after(closeAll);

/** A 16 kHz mono 16-bit WAV of digital silence. */
function silentWav(seconds) {
  const samples = Math.round(16000 * seconds);
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write("RIFF", 0);
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write("WAVEfmt ", 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(16000, 24);
  buf.writeUInt32LE(32000, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36);
  buf.writeUInt32LE(samples * 2, 40);
  return buf;
}

test("upload a recording through a session URL, then analyse it", async () => {
  const user = await signedIn("uploader.js@example.com");
  const wav = silentWav(1);
  const up = await user.api.createRecordingUpload({ fileName: "answer.wav", contentType: "audio/wav", size: wav.length });
  assert.equal(up.path, `recordings/${user.uid}/answer.wav`);
  assert.equal(up.method, "PUT");
  const put = await fetch(up.uploadUrl, { method: up.method, headers: { "Content-Type": up.contentType }, body: wav });
  const body = await put.text();
  assert.equal(put.status, 200, body);
  const stored = JSON.parse(body);
  assert.equal(stored.name, up.path);
  assert.equal(Number(stored.size), wav.length);

  const queued = await user.api.analyzeVideoSession({ sessionId: "jsUploadSession1", audioPath: up.path });
  assert.equal(queued.status, "queued");
  // The worker reads the uploaded object: a silent file ends as `silent_media`, not `media_not_found`.
  const job = await listenUntil(
    fs.doc(user.db, "advancedAnalyses", "jsUploadSession1"),
    (d) => d.status === "complete" || d.status === "failed",
    { timeout: 120_000, what: "the analysis of the uploaded file to finish" },
  );
  assert.equal(job.status, "failed");
  assert.equal(job.error.reason, "silent_media");
});

test("upload requests are checked before any session opens", async () => {
  const user = await signedIn("uploader2.js@example.com");
  for (const [data, path] of [
    [{ fileName: "../someone-else/answer.wav", contentType: "audio/wav", size: 10 }, "fileName"],
    [{ fileName: "answer.exe", contentType: "audio/wav", size: 10 }, "fileName"],
    [{ fileName: "answer.wav", contentType: "video/mp4", size: 10 }, "contentType"],
    [{ fileName: "answer.wav", contentType: "audio/wav", size: 600 * 1024 * 1024 }, "size"],
    [{ fileName: "answer.wav", contentType: "audio/wav", size: "10" }, "size"],
  ]) {
    const err = await callableError(user.api.createRecordingUpload(data));
    assert.equal(err.code, "functions/invalid-argument", JSON.stringify(data));
    assert.deepEqual(client.fieldErrors(err).map((f) => f.path), [path]);
  }
});
