"""Every Cloud Function of Salamin, and nothing else: decorator, options, one call inward.

Business logic lives in the `salamin` package; `salamin.api` adapts requests into it.
"""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn, options
from salamin.api import _callable as callable_
from salamin.api import onboarding
from salamin.core import firebase

firebase.app()  # the SDK verifies callers' ID tokens against the default app
options.set_global_options(region="us-central1", max_instances=20)


@https_fn.on_call()
def submitExpertApplication(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req,
        onboarding.SubmitExpertApplicationRequest,
        onboarding.submit_expert_application,
        name="submitExpertApplication",
    )


@https_fn.on_call(memory=options.MemoryOption.MB_512)
def uploadVerificationDocument(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req,
        onboarding.UploadVerificationDocumentRequest,
        onboarding.upload_verification_document,
        name="uploadVerificationDocument",
    )


@https_fn.on_call()
def verifyExpertDocument(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req,
        onboarding.VerifyExpertDocumentRequest,
        onboarding.verify_expert_document,
        name="verifyExpertDocument",
    )


@https_fn.on_call()
def listPendingApplications(req: https_fn.CallableRequest[Any]) -> Any:
    return callable_.run(
        req,
        onboarding.ListPendingApplicationsRequest,
        onboarding.list_pending_applications,
        name="listPendingApplications",
    )
