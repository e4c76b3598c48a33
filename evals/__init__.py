"""Story-quality evals: metrics, judge, calibration against human labels, reports."""
