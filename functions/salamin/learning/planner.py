"""Gemini may choose and order the modules, but only from catalog activity ids; its answer is
checked and repaired, or replaced by the deterministic builder.

Gemini gets the competencies with their measured mastery and priority, the catalog (ids,
competency, type, difficulty, minutes) and the budget, and answers a `PathPlanAnswer`
(pydantic response_schema). Repairs, each noted in `sourceNote`:
unknown activity ids and competencies are dropped; activities on another competency than
their module's are dropped; a module's activities are put in rising difficulty; modules beyond
the budget (timeframe × days × daily minutes) are trimmed; missing modules are filled from the
deterministic order. Objectives, `currentScore`, adaptive elements and progress always come
from the deterministic builder (the data), never from the answer. If fewer than half of the
modules survive, the deterministic path is used as is.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

from salamin.gateways.gemini import GeminiGateway, GeminiUnavailable
from salamin.learning.builder import module_count, priorities, to_activity
from salamin.learning.catalog import Catalog
from salamin.models.learning import LearningModule, LearningPath, PathGenerationRequest


class ModulePlan(BaseModel):
    competency: str
    title: str
    activityIds: list[str] = Field(min_length=1, max_length=6)


class PathPlanAnswer(BaseModel):
    modules: list[ModulePlan] = Field(min_length=1, max_length=8)


SYSTEM = (
    "You design interview-preparation learning paths. Use ONLY activity ids from the catalog "
    "given. One competency per module, easiest activities first, within the time budget."
)


def prompt_for(path: LearningPath, request: PathGenerationRequest, catalog: Catalog) -> str:
    known = path.skillAnalysis.mastery
    ranked = priorities(catalog, request, known, path.personalization)
    rows = [
        {
            "id": a.catalogId,
            "competency": a.competencies[0],
            "type": a.type,
            "difficulty": a.difficulty,
            "minutes": a.duration,
        }
        for a in catalog.activities
    ]
    budget = (
        request.timeframe
        * path.personalization.timeAvailability.daysPerWeek
        * path.personalization.timeAvailability.dailyMinutes
    )
    return json.dumps(
        {
            "modulesWanted": module_count(request.timeframe),
            "budgetMinutes": budget,
            "competencies": [
                {"competency": k, "priority": p, "mastery": known.get(k)} for k, p in ranked
            ],
            "request": request.model_dump(),
            "catalog": rows,
        }
    )


def plan_with_gemini(
    gemini: GeminiGateway | None,
    path: LearningPath,
    request: PathGenerationRequest,
    catalog: Catalog,
) -> LearningPath:
    """`path` is the deterministic one; returns it, or a copy with Gemini's (repaired) modules."""
    if gemini is None:
        return path
    try:
        answer = gemini.generate_structured(
            prompt=prompt_for(path, request, catalog), system=SYSTEM, schema=PathPlanAnswer
        )
    except GeminiUnavailable as exc:
        return path.model_copy(
            update={"sourceNote": f"Gemini unavailable ({exc.kind}): deterministic path"}
        )
    by_id = catalog.by_id()
    dropped_activities = 0
    dropped_modules: list[str] = []
    filled: list[str] = []
    wanted = module_count(request.timeframe)
    budget = (
        request.timeframe
        * path.personalization.timeAvailability.daysPerWeek
        * path.personalization.timeAvailability.dailyMinutes
    )
    modules: list[LearningModule] = []
    used_minutes = 0
    seen_competencies: set[str] = set()
    for plan in answer.modules[:wanted]:
        if plan.competency not in catalog.competencies or plan.competency in seen_competencies:
            dropped_modules.append(repr(plan.competency))
            continue
        picked = [
            by_id[i]
            for i in plan.activityIds
            if i in by_id and plan.competency in by_id[i].competencies
        ]
        dropped_activities += len(plan.activityIds) - len(picked)
        unique = {a.catalogId: a for a in picked}
        picked = sorted(unique.values(), key=lambda a: (a.difficulty, a.catalogId))
        minutes = sum(a.duration for a in picked)
        if not picked or used_minutes + minutes > budget:
            dropped_modules.append(f"{plan.competency} (empty or over budget)")
            continue
        module_id = f"m{len(modules) + 1}"
        activities = [to_activity(a, module_id=module_id) for a in picked]
        modules.append(
            LearningModule(
                moduleId=module_id,
                title=plan.title[:120] or catalog.competencies[plan.competency].label,
                description=f"Module {len(modules) + 1}: {catalog.competencies[plan.competency].label.lower()}.",
                estimatedTime=minutes,
                difficulty=activities[-1].difficulty,
                prerequisites=[modules[-1].moduleId] if modules else [],
                learningActivities=activities,
                competency=plan.competency,
            )
        )
        used_minutes += minutes
        seen_competencies.add(plan.competency)
    notes = []
    if dropped_activities:
        notes.append(f"dropped {dropped_activities} unknown or off-topic activities")
    if dropped_modules:
        notes.append("dropped modules on " + ", ".join(dropped_modules[:4]))
    if len(modules) * 2 < wanted:
        note = "model answer unusable (" + "; ".join(notes) + "): deterministic path"
        return path.model_copy(update={"sourceNote": note})
    for fallback in path.modules:
        if len(modules) >= wanted:
            break
        if fallback.competency in seen_competencies:
            continue
        module_id = f"m{len(modules) + 1}"
        modules.append(
            fallback.model_copy(
                update={
                    "moduleId": module_id,
                    "prerequisites": [modules[-1].moduleId] if modules else [],
                    "learningActivities": [
                        a.model_copy(update={"activityId": f"{module_id}-{a.catalogId}"})
                        for a in fallback.learningActivities
                    ],
                }
            )
        )
        filled.append(module_id)
    if filled:
        notes.append("filled " + ", ".join(filled) + " from the deterministic order")
    repaired = bool(notes)
    return path.model_copy(
        update={
            "modules": modules,
            "source": "model_repaired" if repaired else "model",
            "sourceNote": "; ".join(notes) if repaired else None,
            "progress": path.progress.model_copy(update={"currentModule": modules[0].moduleId}),
        }
    )
