"""Interview answers spoken by the test-media TTS engines (see `make_test_media`).

Phrases carry fillers in braces ({um}, {you know}); numbers are scripted pauses in seconds.
The wide-bench scripts mix fillers with decoys that are not fillers ("I'd like to", "what kind
of", "you know what ...?", "I like", "sort of thing").
"""

from __future__ import annotations

Script = list[str | float]
"""Phrases (with {filler} marks) and pauses in seconds, in order."""

TEAM_STORY: Script = [
    "So, {um}, in my last role I led a small team of four engineers.",
    1.0,
    "We had to migrate the billing system, {uh}, without any downtime.",
    0.8,
    "{Like}, the old code was, {you know}, really fragile.",
    1.4,
    "I like working with old code, but this was {sort of} a mess.",
    0.9,
    "{I mean}, nobody had touched it in years.",
    3.5,
    "What I mean is that we had no tests at all.",
    0.9,
    "So we wrote a kind of safety net first, {um}, with contract tests, and then we",
    0.7,
    "{er}, moved the traffic over one customer at a time.",
    1.2,
    "It took three months, and it was {kind of} stressful, but we shipped it.",
]

CONFLICT_STORY: Script = [
    "{Uh}, the hardest conflict I had was with a product manager.",
    1.1,
    "She wanted the feature in two weeks, and I thought it needed six.",
    0.6,
    "So I, {um}, wrote down every risk I could see.",
    2.4,
    "Then we sat together and, {you know}, cut the scope in half.",
    0.9,
    "Do you know what happened next?",
    1.0,
    "We shipped the smaller version on time, and users loved it.",
    1.6,
    "{Like}, honestly, it was the best outcome for everyone.",
    0.8,
    "I learned that data beats opinions, {I mean}, almost every time.",
]

WHY_US: Script = [
    "I want to join your company because the mission matters to me.",
    0.9,
    "I have spent five years building tools for small businesses.",
    1.3,
    "{Um}, I think the next step for me is a larger product,",
    0.6,
    "{uh}, with real scale, and a team that cares about quality.",
    1.0,
    "Your engineering blog was, {sort of}, the reason I applied.",
    4.0,
    "I would like to grow into a technical lead role here.",
]

FAST_NO_FILLERS: Script = [
    "Thank you for the question.",
    0.7,
    "My biggest strength is that I explain complex systems in simple words.",
    1.0,
    "In my current job I run the onboarding sessions for every new engineer.",
    0.8,
    "People often tell me that the diagrams I draw are the first ones they understand.",
    1.5,
    "That matters because a team that shares a mental model ships faster.",
    0.9,
    "It also means fewer late night incidents and calmer releases.",
]

FILLER_HEAVY: Script = [
    "{Um}, so, {uh}, my weakness is, {like}, public speaking.",
    0.9,
    "{You know}, when I present, I {kind of} rush.",
    1.2,
    "{Er}, I have been, {um}, practising with a coach.",
    0.7,
    "{I mean}, it is getting better, {sort of}.",
    2.6,
    "{Uh}, last month I gave a talk to, {like}, eighty people.",
    1.0,
    "And, {um}, it went well, {you know}?",
]

LEXICAL_NOT_FILLERS: Script = [
    "I like the way your team works.",
    0.8,
    "It looks like a great fit for my skills.",
    0.9,
    "What kind of projects would I lead in the first year?",
    1.1,
    "Do you know when the platform team was started?",
    0.7,
    "That is what I mean by ownership of the product.",
    1.3,
    "I would like to learn more about the sort of problems you solve.",
]

W_PROJECT: Script = [
    "So, {um}, I joined a startup where I, {like}, built the first data pipeline.",
    1.0,
    "I'd like to say it was easy, but, {uh}, it was not.",
    0.8,
    "We had, {you know}, three engineers and no budget.",
    1.5,
    "What kind of tools could we afford?",
    0.9,
    "{Er}, mostly open source, and, {um}, a lot of patience.",
    2.6,
    "It was {sort of} a miracle that it worked at all.",
]

W_FAILURE: Script = [
    "{Uh}, my biggest failure was a launch that went wrong.",
    0.9,
    "I like to test everything, but that week we, {um}, skipped a step.",
    1.2,
    "{I mean}, the pressure was huge.",
    0.7,
    "Do you know what we learned?",
    1.1,
    "{Like}, you need a rollback plan before you need it.",
    3.3,
    "Now I write that kind of plan first, {you know}, every single time.",
]

W_LEADERSHIP: Script = [
    "{Um}, leadership for me is, {kind of}, about clarity.",
    0.8,
    "People want to know what success looks like.",
    1.3,
    "So I, {uh}, write down the goal and the deadline.",
    0.6,
    "I would like every person to own one part.",
    1.0,
    "{Er}, when it works, the team is, {like}, twice as fast.",
    2.2,
    "That is the sort of thing I mean by clarity.",
]

W_GROWTH: Script = [
    "I want to grow into a staff engineer role.",
    0.9,
    "{Uh}, I have led two migrations, and, {um}, one rewrite.",
    1.4,
    "You know what I enjoyed most?",
    0.8,
    "Mentoring, {you know}, the junior people on the team.",
    1.1,
    "{Um}, I would like to do more of that here.",
    2.8,
    "It is {sort of} why I applied.",
]

W_CONFLICT: Script = [
    "{Er}, once I disagreed with my manager about a deadline.",
    1.0,
    "He thought we could, {like}, finish in a week.",
    0.7,
    "I said, {um}, that it would take a month.",
    1.6,
    "What kind of compromise did we find?",
    0.9,
    "{I mean}, we cut the scope, and, {uh}, shipped in two weeks.",
    2.4,
    "I like that we both listened.",
]

WIDE_SCRIPTS: dict[str, Script] = {
    "project": W_PROJECT,
    "failure": W_FAILURE,
    "leadership": W_LEADERSHIP,
    "growth": W_GROWTH,
    "conflict": W_CONFLICT,
}
