"""Every Cloud Function of Salamin, and nothing else: decorator, options, one call inward.

Business logic lives in the `salamin` package; `salamin.api` adapts requests into it.
"""

from __future__ import annotations

from typing import Any

from firebase_functions import firestore_fn, https_fn, options, scheduler_fn, tasks_fn
from firebase_functions.params import SecretParam

from salamin.api import _callable as callable_
from salamin.api import analysis, discovery, experts, onboarding, uploads
from salamin.api import benchmarks as benchmarks_api
from salamin.api import booking as booking_api
from salamin.api import learning as learning_api
from salamin.api import packages as packages_api
from salamin.core import firebase

firebase.app()  # the SDK verifies callers' ID tokens against the default app
options.set_global_options(region="us-central1", max_instances=20)


@https_fn.on_call()
def submitExpertApplication(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, onboarding.submit_expert_application)


@https_fn.on_call(memory=options.MemoryOption.MB_512)
def uploadVerificationDocument(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, onboarding.upload_verification_document)


@https_fn.on_call()
def verifyExpertDocument(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, onboarding.verify_expert_document)


@https_fn.on_call()
def listPendingApplications(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, onboarding.list_pending_applications)


# --- Booking and payments (spec §1.3) -----------------------------------------------------------
STRIPE_SECRET_KEY = SecretParam("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = SecretParam("STRIPE_WEBHOOK_SECRET")
STRIPE_CONNECT_WEBHOOK_SECRET = SecretParam("STRIPE_CONNECT_WEBHOOK_SECRET")


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def createBookingRequest(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req, booking_api.create_booking_request, stripe_key=STRIPE_SECRET_KEY.value
    )


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def confirmPayment(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, booking_api.confirm_payment, stripe_key=STRIPE_SECRET_KEY.value)


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def cancelSession(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, booking_api.cancel_session, stripe_key=STRIPE_SECRET_KEY.value)


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def rescheduleSession(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, booking_api.reschedule_session, stripe_key=STRIPE_SECRET_KEY.value)


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def markSessionCompleted(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req, booking_api.mark_session_completed, stripe_key=STRIPE_SECRET_KEY.value
    )


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def reportNoShow(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, booking_api.report_no_show, stripe_key=STRIPE_SECRET_KEY.value)


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def resolveDispute(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, booking_api.resolve_dispute, stripe_key=STRIPE_SECRET_KEY.value)


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def submitSessionFeedback(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req, booking_api.submit_session_feedback, stripe_key=STRIPE_SECRET_KEY.value
    )


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def createPayoutAccount(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, booking_api.create_payout_account, stripe_key=STRIPE_SECRET_KEY.value)


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def createPayoutOnboardingLink(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req, booking_api.create_payout_onboarding_link, stripe_key=STRIPE_SECRET_KEY.value
    )


@https_fn.on_request(
    secrets=[STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET]
)
def stripeWebhook(req: https_fn.Request) -> https_fn.Response:
    return booking_api.stripe_webhook(
        req,
        stripe_key=STRIPE_SECRET_KEY.value,
        webhook_secret=STRIPE_WEBHOOK_SECRET.value,
        connect_webhook_secret=STRIPE_CONNECT_WEBHOOK_SECRET.value,
    )


@tasks_fn.on_task_dispatched(
    retry_config=options.RetryConfig(max_attempts=10, min_backoff_seconds=30),
    rate_limits=options.RateLimits(max_concurrent_dispatches=20),
    secrets=[STRIPE_SECRET_KEY],
)
def expireHold(req: tasks_fn.CallableRequest[Any]) -> Any:
    return booking_api.expire_hold_task(req.data, stripe_key=STRIPE_SECRET_KEY.value)


@tasks_fn.on_task_dispatched(
    retry_config=options.RetryConfig(max_attempts=10, min_backoff_seconds=60),
    rate_limits=options.RateLimits(max_concurrent_dispatches=20),
    secrets=[STRIPE_SECRET_KEY],
)
def closeSession(req: tasks_fn.CallableRequest[Any]) -> Any:
    return booking_api.close_session_task(req.data, stripe_key=STRIPE_SECRET_KEY.value)


@scheduler_fn.on_schedule(schedule="every 5 minutes", secrets=[STRIPE_SECRET_KEY])
def sweepExpiredHolds(event: scheduler_fn.ScheduledEvent) -> None:
    booking_api.sweep(stripe_key=STRIPE_SECRET_KEY.value)


GEMINI_API_KEY = SecretParam("GEMINI_API_KEY")


@https_fn.on_call()
def analyzeVideoSession(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, analysis.analyze_video_session)


@https_fn.on_call()
def createRecordingUpload(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, uploads.create_recording_upload)


@tasks_fn.on_task_dispatched(
    retry_config=options.RetryConfig(
        max_attempts=analysis.MAX_ATTEMPTS, min_backoff_seconds=analysis.MIN_BACKOFF_S
    ),
    rate_limits=options.RateLimits(max_concurrent_dispatches=analysis.MAX_CONCURRENT_JOBS),
    memory=options.MemoryOption.GB_2,
    timeout_sec=analysis.WORKER_TIMEOUT_S,
    secrets=[GEMINI_API_KEY],
)
def runAdvancedAnalysis(req: tasks_fn.CallableRequest[Any]) -> None:
    analysis.run_advanced_analysis(req.data, gemini_api_key=GEMINI_API_KEY.value)


# --- Discovery (spec §1.2) ------------------------------------------------------------------


@https_fn.on_call()
def searchExperts(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, discovery.search_experts)


@https_fn.on_call()
def getAvailableSlots(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, discovery.get_available_slots)


@firestore_fn.on_document_written(document="experts/{expertId}")
def syncExpertSearchFields(
    event: firestore_fn.Event[firestore_fn.Change[firestore_fn.DocumentSnapshot | None]],
) -> None:
    discovery.sync_expert_search(event.params["expertId"])


@scheduler_fn.on_schedule(schedule="every day 03:00")
def refreshExpertSearchActivity(event: scheduler_fn.ScheduledEvent) -> None:
    discovery.refresh_search_activity()


# --- Experts manage themselves; earnings, reviews, waitlist (issue 10) ---------------------------


@https_fn.on_call()
def updateExpertProfile(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, experts.update_expert_profile)


@https_fn.on_call()
def setExpertStatus(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, experts.set_expert_status)


@https_fn.on_call()
def getExpertEarnings(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, experts.get_expert_earnings)


@https_fn.on_call()
def listExpertReviews(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, experts.list_expert_reviews)


@https_fn.on_call()
def setReviewHidden(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, experts.set_review_hidden)


@https_fn.on_call()
def joinWaitlist(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, experts.join_waitlist)


@https_fn.on_call()
def leaveWaitlist(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, experts.leave_waitlist)


@firestore_fn.on_document_written(document="expertCalendars/{expertId}/busy/{sessionId}")
def notifyWaitlistOnFreedTime(
    event: firestore_fn.Event[firestore_fn.Change[firestore_fn.DocumentSnapshot | None]],
) -> None:
    change = event.data
    before = change.before.to_dict() if change and change.before else None
    after = change.after.to_dict() if change and change.after else None
    experts.on_busy_written(event.params["expertId"], event.params["sessionId"], before, after)


# --- Benchmarks (spec §2.2) ---------------------------------------------------------------------


@https_fn.on_call(secrets=[GEMINI_API_KEY])
def generatePersonalizedBenchmark(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req, benchmarks_api.generate_personalized_benchmark, gemini_api_key=GEMINI_API_KEY.value
    )


@firestore_fn.on_document_written(document="advancedAnalyses/{analysisId}")
def foldAnalysisBenchmarks(
    event: firestore_fn.Event[firestore_fn.Change[firestore_fn.DocumentSnapshot | None]],
) -> None:
    benchmarks_api.on_analysis_written(event.params["analysisId"])


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def purchasePackage(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, packages_api.purchase_package, stripe_key=STRIPE_SECRET_KEY.value)


@https_fn.on_call(secrets=[STRIPE_SECRET_KEY])
def refundPackageCredits(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req, packages_api.refund_package_credits, stripe_key=STRIPE_SECRET_KEY.value
    )


@tasks_fn.on_task_dispatched(
    retry_config=options.RetryConfig(max_attempts=10, min_backoff_seconds=60)
)
def expirePackageCredits(req: tasks_fn.CallableRequest[Any]) -> Any:
    return packages_api.expire_package_credits_task(req.data)


# --- Learning paths (spec §3.1) -----------------------------------------------------------------


@https_fn.on_call(secrets=[GEMINI_API_KEY])
def generatePersonalizedPath(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req, learning_api.generate_personalized_path, gemini_api_key=GEMINI_API_KEY.value
    )


@https_fn.on_call()
def trackProgress(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, learning_api.track_progress)


@https_fn.on_call()
def adaptPath(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(req, learning_api.adapt_path)


@https_fn.on_call(secrets=[GEMINI_API_KEY])
def recommendNextActivity(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req, learning_api.recommend_next_activity, gemini_api_key=GEMINI_API_KEY.value
    )


@firestore_fn.on_document_written(document="advancedAnalyses/{analysisId}")
def updateLearningFromAnalysis(
    event: firestore_fn.Event[firestore_fn.Change[firestore_fn.DocumentSnapshot | None]],
) -> None:
    learning_api.on_analysis_written(event.params["analysisId"])


@firestore_fn.on_document_written(document="expertSessions/{sessionId}")
def completeLearningExpertSession(
    event: firestore_fn.Event[firestore_fn.Change[firestore_fn.DocumentSnapshot | None]],
) -> None:
    learning_api.on_expert_session_written(event.params["sessionId"])
