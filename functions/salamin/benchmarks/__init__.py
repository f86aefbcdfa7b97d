"""Industry benchmarks (spec §2.2): cohorts, exactly-once folds, published distributions and
personalised comparisons. Depends on analyses' stored shape, never on `salamin.analysis`."""
