"""Reports on a sweep: progress lines, summaries, trials.csv, best.json, report.html."""
