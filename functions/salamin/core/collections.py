"""Every Firestore collection and Storage prefix name, in one place (spec names kept)."""

EXPERT_APPLICATIONS = "expertApplications"
EXPERTS = "experts"
EXPERT_PRIVATE = "private"  # experts/{id}/private/contact: phone and personal email
EXPERT_PRIVATE_CONTACT = "contact"  # + documentsSubmitted
EXPERT_PRIVATE_VERIFICATION = "verification"  # verifiedBy and the admin's notes (activation)
EXPERT_PRIVATE_PAYOUTS = "payouts"  # Stripe Connect account and readiness (payouts.py)
EXPERT_PRIVATE_STATS = "stats"  # totalEarnings and performanceCounters (performance.py)
EXPERT_CALENDARS = "expertCalendars"
# Sub-collections of expertCalendars/{expertId} (docs/calendar-model.md)
CALENDAR_BUSY = "busy"
CALENDAR_LOCKS = "locks"
CALENDAR_DAYS = "days"
CALENDAR_WEEKS = "weeks"
CALENDAR_CAP_TOKENS = "tokens"  # days/{date}/tokens/{k}, weeks/{week}/tokens/{k}
CALENDAR_CLIENTS = "clients"  # repeat-client tally per user
CALENDAR_DISCOUNT_CLAIMS = "discountClaims"  # {userId}-{k}: first-time discounts held, k < max
SESSION_PRIVATE = "private"  # expertSessions/{id}/private/contacts
SESSION_CONTACTS = "contacts"
SESSION_CLAIMS = "claims"  # expertSessions/{id}/private/claims: lockUnits, capTokens
EXPERT_SESSIONS = "expertSessions"
EXPERT_TRANSACTIONS = "expertTransactions"
ADMIN_NOTIFICATIONS = "adminNotifications"
MAIL = "mail"
STRIPE_EVENTS = "stripeEvents"
ADVANCED_ANALYSES = "advancedAnalyses"
INDUSTRY_BENCHMARKS = "industryBenchmarks"
# Benchmark internals (never client-readable): per-person contribution, counter shards, and the
# compacted per-cohort state that industryBenchmarks and personalised benchmarks are read from.
BENCHMARK_CONTRIBUTIONS = "benchmarkContributions"
BENCHMARK_SHARDS = "benchmarkShards"
BENCHMARK_COHORTS = "benchmarkCohorts"
USER_BENCHMARKS = "benchmarks"  # users/{uid}/benchmarks/{id}: saved personalised benchmarks
USER_LEARNING = "learning"  # users/{uid}/learning/skills: mastery per competency
USER_NOTIFICATIONS = "notifications"  # users/{uid}/notifications/{id}: in-app notices
PATH_EVENTS = "events"  # learningPaths/{pathId}/events/{eventId}: progress events
LEARNING_PATHS = "learningPaths"
USERS = "users"

EXPERT_DOCUMENTS_PREFIX = "expert-documents"
RECORDINGS_PREFIX = "recordings"  # recordings/{uid}/{file}: users' own media for analysis
ANALYSIS_EVIDENCE_PREFIX = "analyses"  # analyses/{uid}/{sessionId}/evidence.json


def user_profile_path(uid: str) -> str:
    return f"{USERS}/{uid}/profile/data"


def user_statistics_path(uid: str) -> str:
    return f"{USERS}/{uid}/statistics/current"


# Expert self-service and marketplace completeness (issue 10)
EXPERT_STATUS_LOG = "statusLog"  # experts/{id}/statusLog/{entryId}: audit of status changes
REVIEW_MODERATION = "reviewModeration"  # reviewModeration/{sessionId}: admin-hidden reviews
WAITLIST_ENTRIES = "waitlistEntries"  # waitlistEntries/{entryId}: who waits for which expert
WAITLIST_RATE = "waitlistRate"  # waitlistRate/{uid}_{YYYY-MM-DD}: notifications sent that day
WAITLIST_NOTICES = "waitlistNotices"  # waitlistNotices/{id}: one per entry per freed time
WAITLIST_USERS = "waitlistUsers"  # waitlistUsers/{uid}: the user's entry ids (the cap)
USER_NOTIFICATIONS = "notifications"  # users/{uid}/notifications/{id}: in-app notifications
PACKAGE_PURCHASES = "packagePurchases"  # packagePurchases/{id}: bought package deals, credits
