"""Measured verbal and non-verbal interview metrics (spec §2.1), from the recording itself.

Entry point: `salamin.analysis.media.pipeline.measure`. Every number in its result traces back
to a measurement of the media (evidence lists word timings, fillers, pauses and per-second face
presence); a metric that cannot be measured is None and named in `absent` with the reason.
Heavy libraries (numpy, PyAV, faster-whisper, OpenCV, parselmouth) are imported lazily inside
the functions that need them, so importing this package costs next to nothing.
"""
